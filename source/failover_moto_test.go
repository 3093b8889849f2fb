package source_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
)

// downResolver sends the regions in down to an address where nothing
// listens, and every other region to moto.
type downResolver struct {
	moto, dead string
	down       map[string]bool
}

func (r downResolver) ResolveEndpoint(_ context.Context, p secretsmanager.EndpointParameters) (smithyendpoints.Endpoint, error) {
	s := r.moto
	if r.down[aws.ToString(p.Region)] {
		s = r.dead
	}
	u, err := url.Parse(s)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// deadURL returns the URL of a loopback port where nothing listens.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// replicated creates the secret db in us-east-1, replicated to us-west-2
// and eu-west-1, and returns its ARN.
func replicated(t *testing.T, srv *motoserver.Server) string {
	t.Helper()
	out, err := srv.SecretsManager().CreateSecret(motoserver.WithTimeout(t), &secretsmanager.CreateSecretInput{
		Name: aws.String("db"), SecretString: aws.String("pw"),
		AddReplicaRegions: []smtypes.ReplicaRegionType{{Region: aws.String("us-west-2")}, {Region: aws.String("eu-west-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// Issue 25: the primary region down → the replica's value, the region
// reported; by name, by ARN, in a batch; without failover asked for, the
// primary's error.
func TestFailoverAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	arn := replicated(t, srv)
	counter := &regionCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	cfg.RetryMaxAttempts = 1
	cl := source.New(cfg, source.WithSecretsManagerOptions(func(o *secretsmanager.Options) {
		o.EndpointResolverV2 = downResolver{moto: srv.URL, dead: deadURL(t), down: map[string]bool{"us-east-1": true, "ap-south-1": true}}
	}))

	if _, err := cl.ReadSecret(ctx, "db", "", ""); !errors.Is(err, source.ErrUnavailable) {
		t.Fatalf("read without failover = %v; want the primary's unavailable", err)
	}
	if n := counter.calls("us-west-2", ""); n != 0 {
		t.Fatalf("calls to us-west-2 without failover = %d; want 0", n)
	}

	fctx := source.WithFailover(ctx, source.Failover{Regions: []string{"us-east-1", "ap-south-1", "us-west-2", "eu-west-1"}})
	for _, id := range []string{"db", arn} {
		s, err := cl.ReadSecret(fctx, id, "", "")
		if err != nil || aws.ToString(s.SecretString) != "pw" {
			t.Fatalf("read of %s with failover = %v, %v; want pw from a replica", id, s, err)
		}
		served := source.ServedBy(s)
		if served.Region != "us-west-2" || served.Primary != "us-east-1" || !served.Failover() || !errors.Is(served.Cause, source.ErrUnavailable) {
			t.Errorf("ServedBy(%s) = %+v; want us-west-2 after us-east-1 failed as unavailable", id, served)
		}
		if !strings.Contains(aws.ToString(s.ARN), ":us-west-2:") {
			t.Errorf("ARN of the replica's answer = %s; want us-west-2's", aws.ToString(s.ARN))
		}
	}
	// ap-south-1 was down too and tried in order; eu-west-1 never needed.
	if n := counter.calls("eu-west-1", ""); n != 0 {
		t.Errorf("calls to eu-west-1 = %d; want 0 (us-west-2 answered first)", n)
	}
	if n := counter.calls("ap-south-1", ""); n != 2 {
		t.Errorf("calls to ap-south-1 = %d; want 2 (tried in order, down)", n)
	}

	res, err := cl.ReadSecrets(fctx, []string{"db", arn})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || aws.ToString(r.Value.SecretString) != "pw" || source.ServedBy(r.Value).Region != "us-west-2" {
			t.Errorf("batch slot %d = %v; want pw served by us-west-2", i, r)
		}
	}

	// Every region down: the primary's error, naming each replica's.
	all := source.WithFailover(ctx, source.Failover{Regions: []string{"ap-south-1", "zz-fake-1"}})
	_, err = cl.ReadSecret(all, "db", "", "")
	if !errors.Is(err, source.ErrUnavailable) || !strings.Contains(err.Error(), "failover: ap-south-1:") ||
		!strings.Contains(err.Error(), "zz-fake-1") {
		t.Errorf("read with every region down = %v; want the primary's error naming ap-south-1 and the refused zz-fake-1", err)
	}
}

// Not-found and access-denied in the primary never fail over.
func TestNoFailoverOnNotFoundAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	replicated(t, srv)
	counter := &regionCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	cl := source.New(cfg)
	fctx := source.WithFailover(ctx, source.Failover{Regions: []string{"us-west-2"}})
	if _, err := cl.ReadSecret(fctx, "nope", "", ""); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("read of a missing secret = %v; want not found", err)
	}
	res, err := cl.ReadSecrets(fctx, []string{"nope"})
	if err != nil || !errors.Is(res[0].Err, source.ErrNotFound) {
		t.Fatalf("batch read of a missing secret = %v, %v; want not found", res, err)
	}
	if n := counter.calls("us-west-2", ""); n != 0 {
		t.Errorf("calls to the replica region = %d; want 0", n)
	}
	s, err := cl.ReadSecret(fctx, "db", "", "")
	if err != nil || source.ServedBy(s).Region != "us-east-1" || source.ServedBy(s).Failover() {
		t.Errorf("read with the primary up = %v, %+v; want served by us-east-1, no failover", err, source.ServedBy(s))
	}
}
