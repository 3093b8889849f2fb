package source_test

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
)

// regionCounter is an HTTP client that counts the requests it sends by the
// region of their SigV4 credential scope and their X-Amz-Target.
type regionCounter struct {
	next aws.HTTPClient
	mu   sync.Mutex        // protects n
	n    map[[2]string]int // {region, target}
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/`)

func (c *regionCounter) Do(r *http.Request) (*http.Response, error) {
	region := ""
	if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	c.mu.Lock()
	if c.n == nil {
		c.n = map[[2]string]int{}
	}
	c.n[[2]string{region, r.Header.Get("X-Amz-Target")}]++
	c.mu.Unlock()
	return c.next.Do(r)
}

// calls returns how many requests went to region; with target, only those
// of that X-Amz-Target.
func (c *regionCounter) calls(region, target string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.n {
		if k[0] == region && (target == "" || k[1] == target) {
			n += v
		}
	}
	return n
}

// TestRouteAgainstMoto reads parameters and secrets of two regions through
// clients of one, against moto, which keeps a backend per region of the
// credential scope: every region goes to the one local endpoint, signed for
// its own region.
func TestRouteAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	const east, west = "us-east-1", "us-west-2"
	secretARN := map[string]string{}
	for _, region := range []string{east, west} {
		cfg := srv.Config()
		cfg.Region = region
		if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/x"),
			Value: aws.String("x@" + region), Type: ssmtypes.ParameterTypeString}); err != nil {
			t.Fatal(err)
		}
		out, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"),
			SecretString: aws.String("db@" + region)})
		if err != nil {
			t.Fatal(err)
		}
		secretARN[region] = aws.ToString(out.ARN)
	}
	westParam := "arn:aws:ssm:us-west-2:123456789012:parameter/app/x"

	counter := &regionCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	cl := source.New(cfg)

	p, err := cl.ReadParameter(ctx, westParam, false)
	if err != nil || aws.ToString(p.Value) != "x@us-west-2" {
		t.Fatalf("GetParameter(%q) = %v, %v; want x@us-west-2", westParam, p, err)
	}
	s, err := cl.ReadSecret(ctx, secretARN[west], "", "")
	if err != nil || aws.ToString(s.SecretString) != "db@us-west-2" {
		t.Fatalf("GetSecretValue(%q) = %v, %v; want db@us-west-2", secretARN[west], s, err)
	}
	if n, m := counter.calls(west, ""), counter.calls(east, ""); n != 2 || m != 0 {
		t.Fatalf("calls to %s, %s = %d, %d; want 2, 0", west, east, n, m)
	}

	ps, err := cl.ReadParameters(ctx, []string{westParam, "/app/x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	// moto's GetParameters does not resolve ARNs (it looks names up by the
	// text before the first colon), so us-west-2's answer lists the ARN as
	// invalid; what this shows is that it went there, in its own call. The
	// values of a split GetParameters are checked against sourcetest.
	if !errors.Is(ps[0].Err, source.ErrNotFound) || ps[1].Err != nil || aws.ToString(ps[1].Value.Value) != "x@us-east-1" {
		t.Errorf("ReadParameters = %v; want [not found (moto), x@us-east-1]", ps)
	}
	bs, err := cl.ReadSecrets(ctx, []string{"db", secretARN[west]})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range bs {
		if v.Err != nil {
			t.Fatal(v.Err)
		}
		got = append(got, aws.ToString(v.Value.SecretString))
	}
	if want := []string{"db@us-east-1", "db@us-west-2"}; !slices.Equal(got, want) {
		t.Errorf("ReadSecrets values = %q; want %q", got, want)
	}
	for _, target := range []string{"AmazonSSM.GetParameters", "secretsmanager.BatchGetSecretValue"} {
		if n, m := counter.calls(west, target), counter.calls(east, target); n != 1 || m != 1 {
			t.Errorf("%s calls to %s, %s = %d, %d; want 1, 1", target, west, east, n, m)
		}
	}
}
