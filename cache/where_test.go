package cache_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/logbuf"
	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
)

// createAs creates secret name = value in the account of role ("" for the
// config's own), through moto's AssumeRole.
func createAs(t *testing.T, srv *motoserver.Server, role, name, value string, tags ...smtypes.Tag) string {
	t.Helper()
	cfg := srv.Config()
	if role != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(srv.Config()), role))
	}
	out, err := secretsmanager.NewFromConfig(cfg).CreateSecret(motoserver.WithTimeout(t), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// Issue 25: a secret read through a role in a second account; two roles,
// and a role and the source's own credentials, never share an entry.
func TestRolesAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	roleB := "arn:aws:iam::222222222222:role/reader"
	roleC := "arn:aws:iam::333333333333:role/reader"
	createAs(t, srv, "", "db", "own")
	createAs(t, srv, roleB, "db", "second")
	createAs(t, srv, roleC, "db", "third")
	c, err := cache.New(source.New(srv.Config()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for round := range 2 {
		for role, want := range map[string]string{"": "own", roleB: "second", roleC: "third"} {
			s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db", RoleARN: role})
			if err != nil || s.Value() != want {
				t.Fatalf("round %d: Secret(db, role %q) = %q, %v; want %q", round, role, s.Value(), err, want)
			}
		}
		if round == 0 && c.Stats().Loads != 3 {
			t.Fatalf("loads after three first reads = %d; want 3", c.Stats().Loads)
		}
	}
	if st := c.Stats(); st.Loads != 3 || st.Hits != 3 {
		t.Errorf("stats = %d loads, %d hits; want 3, 3 (one entry per role)", st.Loads, st.Hits)
	}
	// A batch through two roles: one call per role.
	got, err := c.Secrets(ctx, []cache.SecretRequest{{SecretID: "db", RoleARN: roleB, Refresh: true}, {SecretID: "db", RoleARN: roleC, Refresh: true}})
	if err != nil || got[0].Value() != "second" || got[1].Value() != "third" {
		t.Fatalf("Secrets through two roles = %v, %v", got, err)
	}
	_, err = c.Secret(ctx, cache.SecretRequest{SecretID: "db", RoleARN: "arn:aws:iam::42:role/x"})
	var re *cache.RequestError
	if !errors.As(err, &re) || re.Field != "roleArn" || !strings.Contains(err.Error(), "12 digits") {
		t.Errorf("Secret with a malformed role = %v; want a RequestError on roleArn", err)
	}
}

// deadPrimary sends us-east-1 to a port where nothing listens and every
// other region to moto.
type deadPrimary struct{ moto, dead string }

func (r deadPrimary) ResolveEndpoint(_ context.Context, p secretsmanager.EndpointParameters) (smithyendpoints.Endpoint, error) {
	s := r.moto
	if aws.ToString(p.Region) == "us-east-1" {
		s = r.dead
	}
	u, err := url.Parse(s)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// Issue 25: the primary region down → the replica's value, the region
// reported (Secret.Region, Stats.Failovers, a log line at INFO); not-found
// in the primary → not-found, no failover.
func TestFailoverRegionsAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	if _, err := srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("pw"),
		AddReplicaRegions: []smtypes.ReplicaRegionType{{Region: aws.String("us-west-2")}}}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	counter := &regionCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	cfg.RetryMaxAttempts = 1
	var logs logbuf.Buffer
	up := source.New(cfg, source.WithSecretsManagerOptions(func(o *secretsmanager.Options) {
		o.EndpointResolverV2 = deadPrimary{moto: srv.URL, dead: dead}
	}))
	c, err := cache.New(up, cache.WithFailoverRegions("us-west-2"),
		cache.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db"})
	if err != nil || s.Value() != "pw" || s.Region != "us-west-2" {
		t.Fatalf("Secret(db) with us-east-1 down = %q (region %q), %v; want pw from us-west-2", s.Value(), s.Region, err)
	}
	if st := c.Stats(); st.Failovers != 1 || st.Loads != 1 {
		t.Errorf("Stats.Failovers = %d, Loads %d; want 1, 1 (a failover is part of one load)", st.Failovers, st.Loads)
	}
	if out := logs.String(); !strings.Contains(out, "level=INFO") || !strings.Contains(out, "replica region") ||
		!strings.Contains(out, "region=us-west-2") || !strings.Contains(out, "primary=us-east-1") || strings.Contains(out, "pw") {
		t.Errorf("log = %q; want an INFO line naming us-west-2 and us-east-1, no value", out)
	}
	// Read again: a hit, still saying where it came from.
	if s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db"}); err != nil || s.Region != "us-west-2" || c.Stats().Hits != 1 {
		t.Errorf("second read = %q, %v, %d hits; want a hit from us-west-2", s.Region, err, c.Stats().Hits)
	}
	if n := counter.calls("us-west-2"); n != 1 {
		t.Errorf("calls to us-west-2 = %d; want 1", n)
	}

	// A batch fails over too.
	cb, err := cache.New(up, cache.WithFailoverRegions("us-west-2"))
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	got, err := cb.Secrets(ctx, []cache.SecretRequest{{SecretID: "db"}})
	if err != nil || got[0].Value() != "pw" || got[0].Region != "us-west-2" || cb.Stats().Failovers != 1 {
		t.Errorf("Secrets([db]) with us-east-1 down = %q (region %q), %v, %d failovers; want pw from us-west-2",
			got[0].Value(), got[0].Region, err, cb.Stats().Failovers)
	}

	// With the primary up, not-found stays not-found: no call to the replica.
	c2, err := cache.New(source.New(cfg), cache.WithFailoverRegions("us-west-2"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	before := counter.calls("us-west-2")
	if _, err := c2.Secret(ctx, cache.SecretRequest{SecretID: "nope"}); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Secret(nope) = %v; want not found", err)
	}
	if s, err := c2.Secret(ctx, cache.SecretRequest{SecretID: "db"}); err != nil || s.Region != "us-east-1" {
		t.Errorf("Secret(db) with the primary up = %q, %v; want served by us-east-1", s.Region, err)
	}
	if n := counter.calls("us-west-2") - before; n != 0 || c2.Stats().Failovers != 0 {
		t.Errorf("calls to the replica = %d, failovers %d; want 0, 0", n, c2.Stats().Failovers)
	}
	if _, err := cache.New(up, cache.WithFailoverRegions("zz-fake-1")); !errors.Is(err, source.ErrUnknownRegion) {
		t.Errorf("WithFailoverRegions(zz-fake-1) = %v; want ErrUnknownRegion", err)
	}
}

// Issue 25: prefetch by tag, then a read by ARN and a read by name → no
// further upstream call.
func TestPrefetchByTagAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	tag := smtypes.Tag{Key: aws.String("app:prefetch"), Value: aws.String("")}
	arns := map[string]string{}
	for i := range 25 { // two BatchGetSecretValue calls
		name := fmt.Sprintf("s%02d", i)
		arns[name] = createAs(t, srv, "", name, "v"+name, tag)
	}
	createAs(t, srv, "", "untagged", "u")
	c, err := cache.New(source.New(srv.Config()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Prefetch(ctx, cache.Prefetch{SecretTags: []string{"app:prefetch"}, Required: true}); err != nil {
		t.Fatal(err)
	}
	loads := c.Stats().Loads
	if loads != 3 { // ListSecrets, two BatchGetSecretValue
		t.Errorf("loads of the prefetch = %d; want 3", loads)
	}
	for name, arn := range arns {
		for _, id := range []string{arn, name} {
			if s, err := c.Secret(ctx, cache.SecretRequest{SecretID: id}); err != nil || s.Value() != "v"+name {
				t.Fatalf("Secret(%s) = %q, %v", id, s.Value(), err)
			}
		}
	}
	if st := c.Stats(); st.Loads != loads || st.Hits != 50 {
		t.Errorf("after reading by ARN and by name: %d loads, %d hits; want %d, 50", st.Loads, st.Hits, loads)
	}
	if _, err := c.Secret(ctx, cache.SecretRequest{SecretID: "untagged"}); err != nil || c.Stats().Loads != loads+1 {
		t.Errorf("untagged secret: %v, %d loads; want one load of its own", err, c.Stats().Loads)
	}
}

// More secrets carry the tag than the cache holds: the prefetch stops at
// half its size and says so.
func TestPrefetchByTagBoundAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	tag := smtypes.Tag{Key: aws.String("app:prefetch"), Value: aws.String("1")}
	for i := range 12 {
		createAs(t, srv, "", fmt.Sprintf("s%02d", i), "v", tag)
	}
	var logs logbuf.Buffer
	c, err := cache.New(source.New(srv.Config()), cache.WithMaxEntries(10),
		cache.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Prefetch(ctx, cache.Prefetch{SecretTags: []string{"app:prefetch"}, Required: true}); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, "more secrets carry the tags") || !strings.Contains(out, "prefetched=5") {
		t.Errorf("log = %q; want a WARN saying 5 were prefetched and more carry the tags", out)
	}
}
