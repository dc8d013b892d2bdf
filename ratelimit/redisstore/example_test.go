package redisstore_test

import (
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/ratelimit"
	"github.com/chainsync/middleware/ratelimit/redisstore"
)

func ExampleNew() {
	// ContextTimeoutEnabled makes go-redis honour the limiter's timeout; a
	// hung Redis then costs a request at most Options.Timeout.
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{"127.0.0.1:6379"},
		ContextTimeoutEnabled: true,
	})
	defer client.Close()
	store, err := redisstore.New(client, redisstore.Options{Prefix: "chainsync:rl:"})
	if err != nil {
		panic(err)
	}
	// Fail open (the default): if Redis is down, requests are served and
	// the failures logged and counted.
	limiter := ratelimit.Must(store, nil, []ratelimit.Policy{ratelimit.General(), ratelimit.API()}, ratelimit.Options{})
	_ = limiter.Handler // wrap the API's handler with it
	fmt.Println(store.Key("api", "ip:203.0.113.7"))

	// Without ContextTimeoutEnabled the store refuses the client.
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer plain.Close()
	_, err = redisstore.New(plain, redisstore.Options{})
	fmt.Println(errors.Is(err, redisstore.ErrContextTimeoutDisabled))
	// Output:
	// chainsync:rl:api:{ip:203.0.113.7}
	// true
}
