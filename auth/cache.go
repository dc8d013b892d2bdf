package auth

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// tokenCache is a bounded LRU of verified access tokens, keyed by the
// SHA-256 of the token (the token itself is not kept). An entry is good
// until the token's exp and only while its signing key is still in the
// ring; revocation is the session check's job, which runs on hits too.
type tokenCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[[sha256.Size]byte]*list.Element
}

type cacheEntry struct {
	key    [sha256.Size]byte
	claims *Claims
	kid    string
	exp    time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, ll: list.New(), items: make(map[[sha256.Size]byte]*list.Element, max)}
}

func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.exp) {
		c.ll.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e, true
}

func (c *tokenCache) add(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		el.Value = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[e.key] = c.ll.PushFront(e)
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).key)
	}
}

func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
