// Command quickstart shows parsec's main job with no AWS account: it starts
// parsec's own fake of SSM Parameter Store and Secrets Manager
// (source/sourcetest) with realistic latency, then reads a parameter and a
// secret through the in-process cache a few times and prints how long each
// read took. The first read of each goes upstream; the rest come from
// memory.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	// The upstream: a local fake with the latency SSM and Secrets Manager
	// show from Lambda (tens of milliseconds per call).
	upstream := sourcetest.NewServer(sourcetest.WithLatency(20*time.Millisecond, 80*time.Millisecond))
	defer upstream.Close()
	if _, err := upstream.PutParameter(sourcetest.Parameter{Name: "/app/prod/db-host", Value: "db.internal:5432"}); err != nil {
		return err
	}
	if _, err := upstream.PutParameter(sourcetest.Parameter{Name: "/app/prod/api-key", Value: "k-123", Type: "SecureString"}); err != nil {
		return err
	}
	password := "correct horse battery staple"
	if _, err := upstream.CreateSecret(sourcetest.Secret{Name: "app/prod/db"}, sourcetest.SecretVersion{String: &password}); err != nil {
		return err
	}

	// The cache: build it once (in a Lambda function, outside the handler).
	// In production, one call: cache.NewDefault(ctx) (the SDK's default
	// configuration and the extension's environment variables).
	values, err := cache.New(upstream.Clients())
	if err != nil {
		return err
	}
	defer values.Close()
	ctx := context.Background()

	fmt.Println("parsec quick start: an in-process cache in front of a fake SSM and Secrets Manager (20-80 ms per call)")
	fmt.Println()
	for i := 1; i <= 3; i++ {
		start := time.Now()
		host, err := values.Parameter(ctx, cache.ParameterRequest{Name: "/app/prod/db-host"})
		if err != nil {
			return err
		}
		tp := time.Since(start)
		start = time.Now()
		secret, err := values.Secret(ctx, cache.SecretRequest{SecretID: "app/prod/db"})
		if err != nil {
			return err
		}
		ts := time.Since(start)
		fmt.Printf("read %d: parameter %-22q in %10v %s   secret %v in %10v %s\n",
			i, host.Value(), tp.Round(time.Microsecond/10), origin(i), secret, ts.Round(time.Microsecond/10), origin(i))
	}

	// 100 goroutines asking for a cold key at once make one upstream call.
	var wg sync.WaitGroup
	start := time.Now()
	for range 100 {
		wg.Go(func() {
			_, _ = values.Parameter(ctx, cache.ParameterRequest{Name: "/app/prod/api-key", WithDecryption: true})
		})
	}
	wg.Wait()
	fmt.Printf("\n100 concurrent readers of a cold SecureString: %v, %d upstream call(s)\n",
		time.Since(start).Round(time.Millisecond), upstream.CallsFor("GetParameter", "/app/prod/api-key"))

	// Reads from memory, timed in bulk.
	const n = 1_000_000
	start = time.Now()
	for range n {
		_, _ = values.Parameter(ctx, cache.ParameterRequest{Name: "/app/prod/db-host"})
	}
	per := time.Since(start) / n
	st := values.Stats()
	fmt.Printf("%d cached reads: %v each\n", n, per)
	fmt.Printf("\nstats: %d hits, %d misses, %d upstream calls, %d coalesced waits\n", st.Hits, st.Misses, st.Loads, st.Coalesced)
	fmt.Println("(the secret prints as [REDACTED]: parsec's value types never show a value when printed or logged)")
	return nil
}

func origin(i int) string {
	if i == 1 {
		return "(upstream)"
	}
	return "(memory)  "
}
