package source_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
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

// signer records the access key of each Secrets Manager request.
type signer struct {
	next aws.HTTPClient
	mu   sync.Mutex
	keys []string
}

func (s *signer) Do(r *http.Request) (*http.Response, error) {
	if m := accessKeyRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		s.mu.Lock()
		s.keys = append(s.keys, m[1])
		s.mu.Unlock()
	}
	return s.next.Do(r)
}

var accessKeyRE = regexp.MustCompile(`Credential=([^/]+)/\d{8}/[^/]+/secretsmanager/`)

// Every read of the Clients of New follows the role in its context:
// DescribeSecret (rotation-aware expiry) and ListSecrets too.
func TestRoleOnEveryRead(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	fake := sourcetest.NewSTS()
	defer fake.Close()
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	rec := &signer{next: srv.Config().HTTPClient}
	cfg := srv.Config()
	cfg.HTTPClient = rec
	cl := source.New(cfg, source.WithSTSOptions(func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.URL) }))
	const role = "arn:aws:iam::222222222222:role/reader"
	ctx := source.WithRole(context.Background(), role)
	if _, err := cl.ReadRotation(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cl.ListSecretsByTag(ctx, []string{"k"}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.ReadSecrets(ctx, []string{"db"}); err != nil {
		t.Fatal(err)
	}
	want := sourcetest.AccessKeyID(role)
	if len(rec.keys) != 3 || rec.keys[0] != want || rec.keys[1] != want || rec.keys[2] != want {
		t.Errorf("signed by %q; want three calls by %s", rec.keys, want)
	}
}
