package cache

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
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

// ristretto stores only hashes of keys: an entry found under a key's hash
// but holding another key (a collision) must never be returned for it.
func TestHashCollisionIsAMiss(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	a := ParameterRequest{Name: "/a"}
	b := ParameterRequest{Name: "/b", WithDecryption: true}
	ak := a.key()
	e := &entry{key: b.key(), val: newParameter(&ssmtypes.Parameter{Name: aws.String("/b"), Value: aws.String("value of /b")})}
	c.stamp(e, c.now())
	c.store.values.Set(hash(c.store.seed, &ak), e, 1) // /b's entry under /a's hash
	c.store.values.Wait()
	p, err := c.Parameter(context.Background(), a)
	if err != nil || p.Value() != "value-of:/a:decrypt=false" || f.callsFor("/a") != 1 {
		t.Fatalf("Parameter(/a) = %q, %v with %d upstream calls; want /a's own value from upstream", p.Value(), err, f.callsFor("/a"))
	}
}
