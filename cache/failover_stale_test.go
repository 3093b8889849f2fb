package cache_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

var scopeRegionRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/`)

// byScope sends each request to the in-memory fake of the region in its
// SigV4 credential scope.
type byScope map[string]*sourcetest.Server

func (b byScope) Do(r *http.Request) (*http.Response, error) {
	region := ""
	if m := scopeRegionRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	s, ok := b[region]
	if !ok {
		return nil, errors.New("no fake for region " + region)
	}
	return s.InMemoryConfig().HTTPClient.Do(r)
}

// The cache decides whether to fail over: a secret with a stale value it
// may serve is answered with that value when its region is down, and no
// replica is asked; one without is read from the replica.
func TestFailoverOnlyWithoutStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		east := sourcetest.NewInMemory()
		defer east.Close()
		west := sourcetest.NewInMemory(sourcetest.WithRegion("us-west-2"))
		defer west.Close()
		for _, s := range []*sourcetest.Server{east, west} {
			for _, name := range []string{"a", "b"} {
				if _, err := s.CreateSecret(sourcetest.Secret{Name: name}, sourcetest.SecretVersion{String: aws.String(name + "@" + s.Config().Region)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		cfg := east.InMemoryConfig()
		cfg.HTTPClient = byScope{"us-east-1": east, "us-west-2": west}
		c, err := cache.New(source.New(cfg), cache.WithFailoverRegions("us-west-2"),
			cache.WithTTL(time.Minute), cache.WithMaxStale(time.Hour), cache.WithRefreshAhead(0), cache.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := context.Background()
		if s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "a"}); err != nil || s.Region != "us-east-1" {
			t.Fatalf("first read = %q, %v", s.Region, err)
		}
		tm := time.NewTimer(2 * time.Minute) // past the TTL, within WithMaxStale
		<-tm.C
		east.SetDown(true)
		s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "a"})
		if err != nil || s.Value() != "a@us-east-1" || west.Calls("") != 0 {
			t.Fatalf("read of a stale secret with its region down = %q, %v, %d replica calls; want the stale value, none", s.Value(), err, west.Calls(""))
		}
		s, err = c.Secret(ctx, cache.SecretRequest{SecretID: "b"})
		if err != nil || s.Value() != "b@us-west-2" || s.Region != "us-west-2" || west.Calls("GetSecretValue") != 1 {
			t.Fatalf("read of a secret with nothing stale = %q (%q), %v; want the replica's", s.Value(), s.Region, err)
		}
		if st := c.Stats(); st.Failovers != 1 || st.StaleServes != 1 {
			t.Errorf("stats: %d failovers, %d stale serves; want 1, 1", st.Failovers, st.StaleServes)
		}
	})
}
