package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/store/redis"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// Errors fail closed: with no server to answer, a code check, a jti and a
// rate-limit decision are all refused with ErrUnavailable, never accepted.
func Example_failClosed() {
	client := goredis.NewClient(&goredis.Options{
		Addr:        "127.0.0.1:1", // nothing listens here
		MaxRetries:  -1,
		DialTimeout: time.Second,
	})
	defer client.Close()

	if _, err := redis.New(client, redis.Options{Prefix: "my{app}"}); errors.Is(err, redis.ErrConfig) {
		fmt.Println("a prefix with braces is refused")
	}
	store, err := redis.New(client, redis.Options{Prefix: "myapp"})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := time.Now()

	_, err = store.Verifications().Attempt(ctx, "0b0e0f3c-3d4a-4c55-9d6e-7f8091a2b3c4", [][]byte{[]byte("digest")}, now, 5)
	fmt.Println("code check unavailable:", errors.Is(err, redis.ErrUnavailable))

	err = store.Sessions().ConsumeJTI(ctx, "jti-1", now.Add(time.Minute), now)
	fmt.Println("jti unavailable:", errors.Is(err, redis.ErrUnavailable))

	limiter, err := store.Limiter(redis.LimiterConfig{Name: "signin", Rule: ratelimit.Rule{Limit: 10, Window: time.Minute}})
	if err != nil {
		log.Fatal(err)
	}
	d, err := limiter.Allow(ctx, "203.0.113.7")
	fmt.Println("allowed:", d.Allowed, "unavailable:", errors.Is(err, redis.ErrUnavailable))
	// Output:
	// a prefix with braces is refused
	// code check unavailable: true
	// jti unavailable: true
	// allowed: false unavailable: true
}

// A host wires one Store into every service. (Compiled, not run: it needs
// a Redis server.)
func Example() {
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs: []string{"127.0.0.1:6379"}, // several addresses: Cluster; with MasterName: Sentinel
		// Let context deadlines bound socket reads too.
		ContextTimeoutEnabled: true,
	})
	defer client.Close()
	store, err := redis.New(client, redis.Options{Prefix: "myapp"})
	if err != nil {
		log.Fatal(err)
	}

	secret := []byte("a 32-byte or longer random secret, from your vault")
	codes, err := verification.New(verification.Config{
		Store:    store.Verifications(),
		Email:    &verificationtest.Recorder{}, // in production: verification.NewSMTPSender(...)
		HashKeys: [][]byte{secret},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = codes

	var sessions session.Config
	sessions.Store = store.Sessions()
	var flows oauth.Config
	flows.Store = store.OAuthStates()

	signins, err := store.Limiter(redis.LimiterConfig{Name: "signin", Rule: ratelimit.Rule{Limit: 300, Window: time.Minute}})
	if err != nil {
		log.Fatal(err)
	}
	d, err := signins.Allow(context.Background(), "203.0.113.7")
	if err != nil || !d.Allowed {
		return // fail closed: refuse the sign-in
	}
}
