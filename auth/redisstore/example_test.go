package redisstore_test

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/auth/redisstore"
)

func ExampleNew() {
	// ContextTimeoutEnabled makes go-redis honour request deadlines; New
	// refuses a client without it. With Redis Cluster, pass a
	// *redis.ClusterClient instead.
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer c.Close()
	store, err := redisstore.New(c, redisstore.Options{Prefix: "chainsync:auth:"})
	if err != nil {
		panic(err)
	}
	key, _ := auth.NewHS256Key([]byte("example-jwt-secret-of-32-bytes!!"))
	keys, _ := auth.NewKeyRing(key)
	_, err = auth.New(auth.Options{
		Keys: keys, RefreshKey: []byte("example-refresh-secret-32-bytes!"),
		Issuer: "chainsync", Audience: "chainsync-api",
		Store: store, SessionCheck: true, // Redis down: Bearer routes answer 503
	})
	fmt.Println(err)

	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer plain.Close()
	_, err = redisstore.New(plain, redisstore.Options{})
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
}
