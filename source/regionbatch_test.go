package source_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func TestRouteGetParametersAcrossRegions(t *testing.T) {
	east, west, cl := twoRegions(t)
	names := []string{
		"/app/x",            // 0: east
		westParam,           // 1: west
		"/app/missing",      // 2: east, invalid
		westParam + "-gone", // 3: west, invalid
		eastParam,           // 4: east
		"/app/same",         // 5: east
		strings.Replace(westParam, "/app/x", "/app/same", 1), // 6: west, same name as 5
	}
	out, err := cl.Parameters.GetParameters(context.Background(), &ssm.GetParametersInput{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	if n, m := east.Calls("GetParameters"), west.Calls("GetParameters"); n != 1 || m != 1 {
		t.Fatalf("GetParameters calls east, west = %d, %d; want 1, 1", n, m)
	}
	var got []string
	for _, p := range out.Parameters {
		got = append(got, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
	}
	// Results of eu-west-1 whose name the home region also asked for or
	// answered with are renamed to their ARN, so a layer above that matches
	// by name finds the home region's.
	want := []string{
		"/app/x=/app/x@us-east-1",
		westParam + "=/app/x@eu-west-1",
		"/app/x=/app/x@us-east-1",
		"/app/same=/app/same@us-east-1",
		names[6] + "=/app/same@eu-west-1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Parameters =\n%q\nwant\n%q", got, want)
	}
	if want := []string{"/app/missing", westParam + "-gone"}; !slices.Equal(out.InvalidParameters, want) {
		t.Errorf("InvalidParameters = %q; want %q", out.InvalidParameters, want)
	}
}
func TestRouteBatchSecretsAcrossRegions(t *testing.T) {
	east, west, cl := twoRegions(t)
	ids := []string{westSecret, "db", "nope", strings.Replace(westSecret, "db-AbCdEf", "gone", 1)}
	out, err := cl.SecretBatch.BatchGetSecretValue(context.Background(), &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids})
	if err != nil {
		t.Fatal(err)
	}
	if n, m := east.Calls("BatchGetSecretValue"), west.Calls("BatchGetSecretValue"); n != 1 || m != 1 {
		t.Fatalf("BatchGetSecretValue calls east, west = %d, %d; want 1, 1", n, m)
	}
	var got []string
	for _, v := range out.SecretValues {
		got = append(got, aws.ToString(v.Name)+"="+aws.ToString(v.SecretString))
	}
	// West's db is renamed to its ARN: "db" is asked for in the home region.
	if want := []string{westSecret + "=db@eu-west-1", "db=db@us-east-1"}; !slices.Equal(got, want) {
		t.Errorf("SecretValues = %q; want %q", got, want)
	}
	var failed []string
	for _, e := range out.Errors {
		failed = append(failed, aws.ToString(e.SecretId))
	}
	if want := ids[2:]; !slices.Equal(failed, want) {
		t.Errorf("Errors for %q; want %q", failed, want)
	}
}

// A batch of one region is passed through as it is.
func TestRouteBatchOneRegion(t *testing.T) {
	east, west, cl := twoRegions(t)
	out, err := cl.Parameters.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{westParam, westParam + ":1"}})
	if err != nil || len(out.Parameters) != 2 {
		t.Fatalf("GetParameters = %v, %v; want 2 parameters", out, err)
	}
	if east.Calls("") != 0 || west.Calls("GetParameters") != 1 {
		t.Fatalf("calls east, west = %d, %d; want 0, 1", east.Calls(""), west.Calls("GetParameters"))
	}
}

// One region failing fails the whole split batch with that region's error.
func TestRouteBatchOneRegionFails(t *testing.T) {
	east, west, cl := twoRegions(t)
	west.Inject(sourcetest.Fault{Op: "GetParameters", Code: "AccessDeniedException"})
	_, err := cl.Parameters.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/app/x", westParam}})
	if err := source.Classify("GetParameters", "", err); !errors.Is(err, source.ErrAccessDenied) {
		t.Fatalf("GetParameters = %v; want eu-west-1's AccessDeniedException", err)
	}
	if east.Calls("GetParameters") > 1 || west.Calls("GetParameters") != 1 {
		t.Errorf("calls east, west = %d, %d; want at most 1, 1", east.Calls("GetParameters"), west.Calls("GetParameters"))
	}
}

// panicky is an HTTP client that panics on requests signed for one region.
type panicky struct {
	next   aws.HTTPClient
	region string
}

func (p panicky) Do(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.Header.Get("Authorization"), "/"+p.region+"/") {
		panic("panicky: " + p.region)
	}
	return p.next.Do(r)
}

// A panic in one region's call of a split batch reaches the caller's
// goroutine (where the cache recovers it), not a goroutine of its own.
func TestRouteBatchPanicReachesCaller(t *testing.T) {
	east := sourcetest.NewServer()
	defer east.Close()
	cfg := east.Config()
	cfg.HTTPClient = panicky{next: cfg.HTTPClient, region: "eu-west-1"}
	cl := source.New(cfg)
	defer func() {
		if v := recover(); v != "panicky: eu-west-1" {
			t.Errorf("recover() = %v; want the call's panic", v)
		}
	}()
	_, _ = cl.Parameters.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/app/x", westParam}})
	t.Error("GetParameters returned; want its panic")
}
