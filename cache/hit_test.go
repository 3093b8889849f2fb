package cache

import (
	"context"
	"testing"
)

func TestHitDoesNotAllocate(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	ctx := context.Background()
	req := ParameterRequest{Name: "/app/db/host", WithDecryption: true}
	if _, err := c.Parameter(ctx, req); err != nil {
		t.Fatal(err)
	}
	sreq := SecretRequest{SecretID: "db", VersionStage: "AWSCURRENT"}
	if _, err := c.Secret(ctx, sreq); err != nil {
		t.Fatal(err)
	}
	var sink Parameter
	if n := testing.AllocsPerRun(1000, func() { sink, _ = c.Parameter(ctx, req) }); n != 0 {
		t.Errorf("Parameter hit allocates %v times per read; want 0", n)
	}
	var ssink Secret
	if n := testing.AllocsPerRun(1000, func() { ssink, _ = c.Secret(ctx, sreq) }); n != 0 {
		t.Errorf("Secret hit allocates %v times per read; want 0", n)
	}
	_, _ = sink, ssink
	if got := f.total.Load(); got != 2 {
		t.Errorf("upstream calls = %d; want 2", got)
	}
}
