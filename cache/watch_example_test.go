package cache_test

import (
	"context"
	"fmt"
	"log"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func ExampleCache_OnChange() {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/flag", Value: "off"})
	values, err := cache.New(srv.Clients())
	if err != nil {
		log.Fatal(err)
	}
	defer values.Close()
	ctx := context.Background()
	req := cache.ParameterRequest{Name: "/app/flag"}
	values.Parameter(ctx, req)

	changes := make(chan cache.Change, 1)
	cancel, err := values.OnChange(func(ch cache.Change) {
		if ch.Kind == cache.ParameterChanged && ch.Parameter.Name == "/app/flag" {
			changes <- ch
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	defer cancel()

	srv.PutParameter(sourcetest.Parameter{Name: "/app/flag", Value: "on"})
	values.Parameter(ctx, cache.ParameterRequest{Name: "/app/flag", Refresh: true}) // or a refresh-ahead, a MaxAge read, …
	ch := <-changes
	p, _ := values.Parameter(ctx, req) // a hit: the value the change announced
	fmt.Println(ch.OldVersion, "→", ch.NewVersion, p.Value())
	// Output: 1 → 2 on
}
