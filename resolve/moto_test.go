package resolve

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// regionCounter counts the requests it sends by the region of their SigV4
// scope and their X-Amz-Target.
type regionCounter struct {
	next aws.HTTPClient
	mu   sync.Mutex        // protects n
	n    map[[2]string]int // {region, target}
}

func (c *regionCounter) Do(r *http.Request) (*http.Response, error) {
	region := ""
	if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	c.mu.Lock()
	c.n[[2]string{region, strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")}]++
	c.mu.Unlock()
	return c.next.Do(r)
}

func (c *regionCounter) snapshot() map[[2]string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[[2]string]int{}
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// TestMoto resolves references of two regions against moto_server, an
// independent emulator: parameters of the home region and secrets of both
// (moto's GetParameters does not resolve parameter ARNs, so parameters of
// another region are covered against sourcetest), with one GetParameters
// and one BatchGetSecretValue per region; then a live value follows a
// change made with the SDK, and OnChange fires once.
func TestMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	arns := map[string]string{}
	for _, region := range []string{east, west} {
		cfg := srv.Config()
		cfg.Region = region
		sm := secretsmanager.NewFromConfig(cfg)
		for i := range 2 {
			name := fmt.Sprintf("svc%d", i)
			out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name),
				SecretString: aws.String(`{"token":"` + name + "@" + region + `"}`)})
			if err != nil {
				t.Fatal(err)
			}
			arns[region+name] = aws.ToString(out.ARN)
		}
	}
	cl := srv.SSM()
	for i := range 4 {
		name := fmt.Sprintf("/app/p%d", i)
		if _, err := cl.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v" + name),
			Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
	}

	counter := &regionCounter{next: awshttp.NewBuildableClient(), n: map[[2]string]int{}}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	c, err := cache.New(source.New(cfg), cache.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	environ := []string{
		"P0=ssm:/app/p0", "P1={{resolve:ssm:/app/p1}}", "P2={{resolve:ssm-secure:/app/p2}}", "P3=ssm:/app/p3:1",
		"E0=secretsmanager:svc0#token", "E1={{resolve:secretsmanager:svc1:SecretString:token}}",
		"W0=" + arns[west+"svc0"] + ":token::", "W1=secretsmanager:" + arns[west+"svc1"] + "#token",
	}
	got, err := Env(ctx, c, environ, WithARNs())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"P0": "v/app/p0", "P1": "v/app/p1", "P2": "v/app/p2", "P3": "v/app/p3",
		"E0": "svc0@us-east-1", "E1": "svc1@us-east-1", "W0": "svc0@us-west-2", "W1": "svc1@us-west-2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Env()[%s] = %q; want %q", k, got[k], v)
		}
	}
	wantCalls := map[[2]string]int{{east, "GetParameters"}: 1, {east, "secretsmanager.BatchGetSecretValue"}: 1,
		{west, "secretsmanager.BatchGetSecretValue"}: 1}
	if calls := counter.snapshot(); fmt.Sprint(calls) != fmt.Sprint(wantCalls) {
		t.Errorf("upstream calls = %v; want %v", calls, wantCalls)
	}

	l, err := Watch[string](ctx, c, "ssm:/app/p0")
	if err != nil {
		t.Fatal(err)
	}
	var fired atomic.Int32
	changed := make(chan [2]string, 4)
	if _, err := l.OnChange(func(old, new string) { fired.Add(1); changed <- [2]string{old, new} }); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p0"), Value: aws.String("changed"),
		Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	c.InvalidateParameter(cache.ParameterRequest{Name: "/app/p0"}) // as a change event would
	// Three readers: one load, one change.
	for range 3 {
		if _, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/p0", WithDecryption: true}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case ch := <-changed:
		if ch != [2]string{"v/app/p0", "changed"} {
			t.Errorf("OnChange(%q, %q); want (v/app/p0, changed)", ch[0], ch[1])
		}
	case <-ctx.Done():
		t.Fatal("OnChange did not fire")
	}
	if got := l.Get(); got != "changed" {
		t.Errorf("Get() = %q; want changed", got)
	}
	l.Close() // waits for Live's goroutine: no call can come after it
	if n := fired.Load(); n != 1 {
		t.Errorf("OnChange fired %d times; want 1", n)
	}
}
