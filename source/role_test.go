package source_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// Concurrent first reads through a new role, of several secrets and
// regions, share one AssumeRole call.
func TestRoleFirstReadsShareOneAssumeRole(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	fake := sourcetest.NewSTS()
	defer fake.Close()
	for i := range 16 {
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: fmt.Sprintf("s%d", i)}, sourcetest.SecretVersion{String: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
	}
	cl := source.New(srv.Config(), source.WithSTSOptions(func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.URL) }))
	const role = "arn:aws:iam::222222222222:role/reader"
	ctx := source.WithRole(context.Background(), role)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if _, err := cl.ReadSecret(ctx, fmt.Sprintf("s%d", i), "", ""); err != nil {
				t.Error(err)
			}
			// Another region of the same role: the fake answers every
			// region (one endpoint), not found for this ARN.
			_, _ = cl.ReadSecret(ctx, fmt.Sprintf("arn:aws:secretsmanager:eu-west-1:222222222222:secret:s%d", i), "", "")
		})
	}
	wg.Wait()
	if n := fake.Calls(role); n != 1 {
		t.Errorf("AssumeRole calls = %d; want 1", n)
	}
}
