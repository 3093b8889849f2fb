package resolve

import (
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

const (
	east    = "us-east-1"
	west    = "us-west-2"
	account = "123456789012"
)

// regionRouter sends each request to the server of the region its SigV4
// credential scope names, as AWS's regional endpoints would.
type regionRouter map[string]aws.HTTPClient

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/`)

func (r regionRouter) Do(req *http.Request) (*http.Response, error) {
	region := ""
	if m := scopeRE.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	c, ok := r[region]
	if !ok {
		c = r[east]
	}
	return c.Do(req)
}

// regions is a fake of two regions, in memory.
type regions struct {
	east, west *sourcetest.Server
	clients    source.Clients // home region us-east-1, routing by ARN
}

func newRegions(t testing.TB) *regions {
	t.Helper()
	r := &regions{east: sourcetest.NewInMemory(), west: sourcetest.NewInMemory(sourcetest.WithRegion(west))}
	t.Cleanup(r.east.Close)
	t.Cleanup(r.west.Close)
	cfg := r.east.InMemoryConfig()
	cfg.HTTPClient = regionRouter{east: r.east.InMemoryConfig().HTTPClient, west: r.west.InMemoryConfig().HTTPClient}
	r.clients = source.New(cfg)
	return r
}

// calls is the number of calls both regions answered.
func (r *regions) calls() int { return r.east.Calls("") + r.west.Calls("") }

func (r *regions) cache(t testing.TB, opts ...cache.Option) *cache.Cache {
	t.Helper()
	c, err := cache.New(r.clients, append([]cache.Option{cache.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func put(t testing.TB, s *sourcetest.Server, name, value string) {
	t.Helper()
	if _, err := s.PutParameter(sourcetest.Parameter{Name: name, Value: value, Type: "SecureString"}); err != nil {
		t.Fatal(err)
	}
}

func putType(t testing.TB, s *sourcetest.Server, name, value, typ string) {
	t.Helper()
	if _, err := s.PutParameter(sourcetest.Parameter{Name: name, Value: value, Type: typ}); err != nil {
		t.Fatal(err)
	}
}

// secret creates a secret and returns its ARN.
func secret(t testing.TB, s *sourcetest.Server, region, name, value string) string {
	t.Helper()
	arn := "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + name + "-AbCdEf"
	if _, err := s.CreateSecret(sourcetest.Secret{Name: name, ARN: arn}, sourcetest.SecretVersion{String: &value}); err != nil {
		t.Fatal(err)
	}
	return arn
}

var getenv = os.Getenv
