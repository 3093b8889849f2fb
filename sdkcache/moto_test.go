package sdkcache_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/sdkcache"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// counter counts the requests that reach the network, by X-Amz-Target.
type counter struct {
	next aws.HTTPClient
	mu   sync.Mutex // protects n
	n    map[string]int
}

func (c *counter) Do(r *http.Request) (*http.Response, error) {
	t := r.Header.Get("X-Amz-Target")
	c.mu.Lock()
	c.n[t[strings.LastIndexByte(t, '.')+1:]]++
	c.mu.Unlock()
	return c.next.Do(r)
}

func (c *counter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// TestAgainstMoto is the done-when against an independent
// emulator: with the middleware installed, 1,000 client.GetParameter calls
// of one name make 1 upstream call, and a PutParameter through the same
// client makes the next read return the new value. Secrets likewise.
func TestAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	cfg := srv.Config()
	n := &counter{next: awshttp.NewBuildableClient(), n: map[string]int{}}
	cfg.HTTPClient = n
	values, err := sdkcache.Install(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer values.Close()
	client := ssm.NewFromConfig(cfg)

	put := func(v string, overwrite bool) {
		t.Helper()
		if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db"), Value: aws.String(v),
			Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(overwrite)}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db"), WithDecryption: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Parameter.Value)
	}
	put("v1", false)
	for i := range 1000 {
		if v := read(); v != "v1" {
			t.Fatalf("read %d = %q; want v1", i, v)
		}
	}
	if got := n.get("GetParameter"); got != 1 {
		t.Errorf("upstream GetParameter calls for 1,000 reads = %d; want 1", got)
	}
	put("v2", true)
	if v := read(); v != "v2" {
		t.Errorf("read after PutParameter = %q; want v2", v)
	}
	if got := n.get("GetParameter"); got != 2 {
		t.Errorf("upstream GetParameter calls = %d; want 2", got)
	}

	sm := secretsmanager.NewFromConfig(cfg)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/s"), SecretString: aws.String("s1")}); err != nil {
		t.Fatal(err)
	}
	secret := func() string {
		t.Helper()
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.SecretString)
	}
	for range 100 {
		if v := secret(); v != "s1" {
			t.Fatalf("secret = %q; want s1", v)
		}
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/s"), SecretString: aws.String("s2")}); err != nil {
		t.Fatal(err)
	}
	if v := secret(); v != "s2" {
		t.Errorf("secret after PutSecretValue = %q; want s2", v)
	}
	if got := n.get("GetSecretValue"); got != 2 {
		t.Errorf("upstream GetSecretValue calls = %d; want 2", got)
	}
	_, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/missing")})
	if code(err) != "ParameterNotFound" {
		t.Errorf("GetParameter(/app/missing) = %v; want ParameterNotFound", err)
	}

	// The batch and path reads answer what moto answers without the cache.
	direct := srv.SSM()
	for _, n := range []string{"/app/x/1", "/app/x/2", "/app/x/3/deep"} {
		if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(n), Value: aws.String("v" + n), Type: ssmtypes.ParameterTypeString}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(ps []ssmtypes.Parameter) []string {
		var out []string
		for _, p := range ps {
			out = append(out, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
		}
		slices.Sort(out)
		return out
	}
	in := &ssm.GetParametersInput{Names: []string{"/app/x/1", "/app/none", "/app/x/2"}}
	want, err := direct.GetParameters(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := client.GetParameters(ctx, in)
		if err != nil || !slices.Equal(names(got.Parameters), names(want.Parameters)) || !slices.Equal(got.InvalidParameters, want.InvalidParameters) {
			t.Errorf("GetParameters = %v %v, %v; want %v %v", names(got.Parameters), got.InvalidParameters, err, names(want.Parameters), want.InvalidParameters)
		}
	}
	for _, rec := range []bool{false, true} {
		pin := &ssm.GetParametersByPathInput{Path: aws.String("/app/x"), Recursive: aws.Bool(rec)}
		var wantAll, gotAll []ssmtypes.Parameter
		for p := ssm.NewGetParametersByPathPaginator(direct, pin); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantAll = append(wantAll, page.Parameters...)
		}
		for p := ssm.NewGetParametersByPathPaginator(client, pin); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gotAll = append(gotAll, page.Parameters...)
		}
		if !slices.Equal(names(gotAll), names(wantAll)) {
			t.Errorf("GetParametersByPath(recursive %v) = %v; want %v", rec, names(gotAll), names(wantAll))
		}
	}
	bin := &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/s", "app/none"}}
	wantB, err := secretsmanager.NewFromConfig(srv.Config()).BatchGetSecretValue(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	gotB, err := sm.BatchGetSecretValue(ctx, bin)
	if err != nil {
		t.Fatalf("BatchGetSecretValue: %v", err)
	}
	if len(gotB.SecretValues) != len(wantB.SecretValues) || len(gotB.Errors) != len(wantB.Errors) ||
		aws.ToString(gotB.SecretValues[0].SecretString) != aws.ToString(wantB.SecretValues[0].SecretString) {
		t.Errorf("BatchGetSecretValue = %d values and %d errors; want %d and %d, with moto's value",
			len(gotB.SecretValues), len(gotB.Errors), len(wantB.SecretValues), len(wantB.Errors))
	}
}
