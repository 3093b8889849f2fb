package cache_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// regionCounter is an HTTP client that counts requests by the region of
// their SigV4 credential scope.
type regionCounter struct {
	next aws.HTTPClient
	mu   sync.Mutex     // protects n
	n    map[string]int // by region
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/`)

func (c *regionCounter) Do(r *http.Request) (*http.Response, error) {
	region := ""
	if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[region]++
	c.mu.Unlock()
	return c.next.Do(r)
}

func (c *regionCounter) calls(region string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[region]
}

// The done-when: a read of a secret ARN in a second region returns
// that region's value with one upstream call to that region and none to the
// first, against moto (one endpoint; a backend per region of the credential
// scope).
func TestSecretOfAnotherRegionAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	arns := map[string]string{}
	for _, region := range []string{"us-east-1", "eu-central-1"} {
		cfg := srv.Config()
		cfg.Region = region
		out, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String("db"), SecretString: aws.String("pw@" + region)})
		if err != nil {
			t.Fatal(err)
		}
		arns[region] = aws.ToString(out.ARN)
	}
	counter := &regionCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config() // us-east-1
	cfg.HTTPClient = counter
	c, err := cache.New(source.New(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for range 2 { // the second read is a hit
		s, err := c.Secret(ctx, cache.SecretRequest{SecretID: arns["eu-central-1"]})
		if err != nil || aws.ToString(s.Output().SecretString) != "pw@eu-central-1" {
			t.Fatalf("Secret(%q) = %v; want pw@eu-central-1", arns["eu-central-1"], err)
		}
	}
	if n, m := counter.calls("eu-central-1"), counter.calls("us-east-1"); n != 1 || m != 0 {
		t.Fatalf("upstream calls eu-central-1, us-east-1 = %d, %d; want 1, 0", n, m)
	}
	// The same name in the home region is another secret and another entry.
	s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db"})
	if err != nil || aws.ToString(s.Output().SecretString) != "pw@us-east-1" {
		t.Fatalf("Secret(db) = %v; want pw@us-east-1", err)
	}
	if n := counter.calls("us-east-1"); n != 1 {
		t.Fatalf("upstream calls us-east-1 = %d; want 1", n)
	}
}

// resolver sends each region to the fake of that region.
type ssmResolver map[string]*sourcetest.Server
type smResolver map[string]*sourcetest.Server

func (r ssmResolver) ResolveEndpoint(_ context.Context, p ssm.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return endpointOf(r, aws.ToString(p.Region))
}

func (r smResolver) ResolveEndpoint(_ context.Context, p secretsmanager.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return endpointOf(r, aws.ToString(p.Region))
}

func endpointOf(servers map[string]*sourcetest.Server, region string) (smithyendpoints.Endpoint, error) {
	s, ok := servers[region]
	if !ok {
		return smithyendpoints.Endpoint{}, errors.New("no endpoint for region " + region)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// Two fakes in two regions behind one cache, routed by an endpoint
// resolver keyed by region: single reads, batch reads and Prefetch.
func TestTwoRegionsBehindOneCache(t *testing.T) {
	ctx := context.Background()
	east := sourcetest.NewServer()
	defer east.Close()
	west := sourcetest.NewServer(sourcetest.WithRegion("ap-south-1"), sourcetest.WithAccount("222222222222"))
	defer west.Close()
	const westSecret = "arn:aws:secretsmanager:ap-south-1:222222222222:secret:db-AbCdEf"
	for _, s := range []struct {
		srv       *sourcetest.Server
		region    string
		secretARN string
	}{{east, "us-east-1", ""}, {west, "ap-south-1", westSecret}} {
		for _, name := range []string{"/app/a", "/app/b"} {
			if _, err := s.srv.PutParameter(sourcetest.Parameter{Name: name, Value: name + "@" + s.region}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.srv.CreateSecret(sourcetest.Secret{Name: "db", ARN: s.secretARN},
			sourcetest.SecretVersion{String: aws.String("db@" + s.region)}); err != nil {
			t.Fatal(err)
		}
	}
	servers := map[string]*sourcetest.Server{"us-east-1": east, "ap-south-1": west}
	src := source.New(east.Config(),
		source.WithSSMOptions(func(o *ssm.Options) { o.EndpointResolverV2 = ssmResolver(servers) }),
		source.WithSecretsManagerOptions(func(o *secretsmanager.Options) { o.EndpointResolverV2 = smResolver(servers) }))
	c, err := cache.New(src)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	westA := "arn:aws:ssm:ap-south-1:222222222222:parameter/app/a"
	westB := "arn:aws:ssm:ap-south-1:222222222222:parameter/app/b"
	eastA := "arn:aws:ssm:us-east-1:123456789012:parameter/app/a"

	// Prefetch: one GetParameters and one BatchGetSecretValue per region.
	err = c.Prefetch(ctx, cache.Prefetch{Required: true,
		Parameters: []cache.ParameterRequest{{Name: "/app/a"}, {Name: westA}, {Name: "/app/b"}, {Name: westB}},
		Secrets:    []cache.SecretRequest{{SecretID: westSecret}, {SecretID: "db"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*sourcetest.Server{east, west} {
		if n, m := s.Calls("GetParameters"), s.Calls("BatchGetSecretValue"); n != 1 || m != 1 {
			t.Errorf("%s: GetParameters, BatchGetSecretValue calls = %d, %d; want 1, 1", s.URL, n, m)
		}
	}
	east.ResetCounters()
	west.ResetCounters()

	// Every prefetched read is a hit with its own region's value.
	params := map[string]string{"/app/a": "/app/a@us-east-1", westA: "/app/a@ap-south-1", "/app/b": "/app/b@us-east-1", westB: "/app/b@ap-south-1"}
	for name, want := range params {
		p, err := c.Parameter(ctx, cache.ParameterRequest{Name: name})
		if got := aws.ToString(p.Output().Parameter.Value); err != nil || got != want {
			t.Errorf("Parameter(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	secrets := map[string]string{"db": "db@us-east-1", westSecret: "db@ap-south-1"}
	for id, want := range secrets {
		s, err := c.Secret(ctx, cache.SecretRequest{SecretID: id})
		if got := aws.ToString(s.Output().SecretString); err != nil || got != want {
			t.Errorf("Secret(%q) = %q, %v; want %q", id, got, err, want)
		}
	}
	if n := east.Calls("") + west.Calls(""); n != 0 {
		t.Errorf("upstream calls after Prefetch = %d; want 0 (hits)", n)
	}

	// A name and an ARN of the same parameter are separate entries.
	p, err := c.Parameter(ctx, cache.ParameterRequest{Name: eastA})
	if got := aws.ToString(p.Output().Parameter.Value); err != nil || got != "/app/a@us-east-1" {
		t.Fatalf("Parameter(%q) = %q, %v; want /app/a@us-east-1", eastA, got, err)
	}
	if n := east.CallsFor("GetParameter", eastA); n != 1 {
		t.Errorf("GetParameter calls for %q = %d; want 1 (its own entry)", eastA, n)
	}

	// Batch reads in request order, across regions.
	got, err := c.Parameters(ctx, []cache.ParameterRequest{{Name: westB}, {Name: "/app/a"}, {Name: westA, Version: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"/app/b@ap-south-1", "/app/a@us-east-1", "/app/a@ap-south-1"} {
		if v := aws.ToString(got[i].Output().Parameter.Value); v != want {
			t.Errorf("Parameters[%d] = %q; want %q", i, v, want)
		}
	}

	// A malformed ARN is refused with no upstream call.
	east.ResetCounters()
	west.ResetCounters()
	_, err = c.Parameter(ctx, cache.ParameterRequest{Name: "arn:aws:ssm:ap-south-1:222222222222:param/x"})
	if !errors.Is(err, source.ErrMalformedARN) || !errors.Is(err, cache.ErrInvalid) || east.Calls("")+west.Calls("") != 0 {
		t.Errorf("Parameter(malformed ARN) = %v (%d calls); want ErrMalformedARN, ErrInvalid, no call", err, east.Calls("")+west.Calls(""))
	}
}
