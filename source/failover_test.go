package source_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// byScope sends each request to the in-memory server of the region in its
// SigV4 credential scope.
type byScope map[string]*sourcetest.Server

func (b byScope) Do(r *http.Request) (*http.Response, error) {
	region := ""
	if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	s, ok := b[region]
	if !ok {
		return nil, errors.New("no server for region " + region)
	}
	return s.InMemoryConfig().HTTPClient.Do(r)
}

// A primary that hangs is cut off after the Failover's Timeout and the
// replica answers, within the caller's deadline (on synctest's clock); one
// that throttles fails over at once; without time left, no replica is
// tried.
func TestFailoverTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		east := sourcetest.NewInMemory()
		defer east.Close()
		west := sourcetest.NewInMemory(sourcetest.WithRegion("us-west-2"))
		defer west.Close()
		if _, err := west.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("replica")}); err != nil {
			t.Fatal(err)
		}
		cfg := east.InMemoryConfig()
		cfg.HTTPClient = byScope{"us-east-1": east, "us-west-2": west}
		cl := source.New(cfg)
		remove := east.Inject(sourcetest.Fault{Op: "GetSecretValue", Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		fctx := source.WithFailover(ctx, source.Failover{Regions: []string{"us-west-2"}, Timeout: 2 * time.Second})
		start := time.Now()
		s, err := cl.ReadSecret(fctx, "db", "", "")
		if err != nil || aws.ToString(s.SecretString) != "replica" {
			t.Fatalf("ReadSecret with a hanging primary = %v, %v; want the replica's", s, err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("answered after %v; want 2s, the primary's timeout (synctest clock)", d)
		}
		if sv := source.ServedBy(s); sv.Region != "us-west-2" || sv.Primary != "us-east-1" || !errors.Is(sv.Cause, source.ErrUnavailable) {
			t.Errorf("ServedBy = %+v; want us-west-2 after us-east-1 timed out", sv)
		}
		remove()

		remove = east.Inject(sourcetest.Fault{Op: "GetSecretValue", Code: "ThrottlingException"})
		if s, err := cl.ReadSecret(fctx, "db", "", ""); err != nil || source.ServedBy(s).Region != "us-west-2" {
			t.Errorf("ReadSecret with a throttled primary = %v, %v; want the replica's", s, err)
		}
		remove()

		// The caller's deadline ends during the primary's call: no replica.
		before := west.Calls("")
		short, cancel2 := context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
		east.Inject(sourcetest.Fault{Op: "GetSecretValue", Hang: true})
		_, err = cl.ReadSecret(source.WithFailover(short, source.Failover{Regions: []string{"us-west-2"}, Timeout: 2 * time.Second}), "db", "", "")
		if err == nil || west.Calls("") != before {
			t.Errorf("ReadSecret past the caller's deadline = %v, %d replica calls; want an error, none", err, west.Calls("")-before)
		}
	})
}
