package source_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// ReadParameters of names in two regions: one GetParameters call per
// region, each name's result in its own slot, the same name in two regions
// kept apart.
func TestRouteGetParametersAcrossRegions(t *testing.T) {
	east, west, cl := twoRegions(t)
	names := []string{
		"/app/x",            // 0: east
		westParam,           // 1: west
		"/app/missing",      // 2: east, invalid
		westParam + "-gone", // 3: west, invalid
		eastParam,           // 4: east
		"/app/same",         // 5: east
		strings.Replace(westParam, "/app/x", "/app/same", 1),    // 6: west, same name as 5
		"arn:aws:ssm:zz-fake-0:" + westAccount + ":parameter/x", // 7: refused locally
	}
	res, err := cl.ReadParameters(context.Background(), names, false)
	if err != nil {
		t.Fatal(err)
	}
	if n, m := east.Calls("GetParameters"), west.Calls("GetParameters"); n != 1 || m != 1 {
		t.Fatalf("GetParameters calls east, west = %d, %d; want 1, 1", n, m)
	}
	want := []string{"/app/x@us-east-1", "/app/x@eu-west-1", "not found", "not found", "/app/x@us-east-1",
		"/app/same@us-east-1", "/app/same@eu-west-1", "UnknownRegion"}
	for i, r := range res {
		got := ""
		switch {
		case r.Err != nil && errors.Is(r.Err, source.ErrNotFound):
			got = "not found"
		case r.Err != nil && errors.Is(r.Err, source.ErrUnknownRegion):
			got = "UnknownRegion"
		case r.Err != nil:
			got = r.Err.Error()
		default:
			got = aws.ToString(r.Value.Value)
		}
		if got != want[i] {
			t.Errorf("slot %d (%s) = %q; want %q", i, names[i], got, want[i])
		}
	}
}

func TestRouteBatchSecretsAcrossRegions(t *testing.T) {
	east, west, cl := twoRegions(t)
	ids := []string{westSecret, "db", "nope", strings.Replace(westSecret, "db-AbCdEf", "gone", 1)}
	res, err := cl.ReadSecrets(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if n, m := east.Calls("BatchGetSecretValue"), west.Calls("BatchGetSecretValue"); n != 1 || m != 1 {
		t.Fatalf("BatchGetSecretValue calls east, west = %d, %d; want 1, 1", n, m)
	}
	for i, want := range []string{"db@eu-west-1", "db@us-east-1"} {
		if res[i].Err != nil || aws.ToString(res[i].Value.SecretString) != want {
			t.Errorf("slot %d (%s) = %v; want %s", i, ids[i], res[i], want)
		}
		if got := source.ServedBy(res[i].Value).Region; got != []string{"eu-west-1", "us-east-1"}[i] {
			t.Errorf("slot %d served by %q", i, got)
		}
	}
	for _, i := range []int{2, 3} {
		if !errors.Is(res[i].Err, source.ErrNotFound) {
			t.Errorf("slot %d (%s) = %v; want not found", i, ids[i], res[i])
		}
	}
}

// A batch of one region is passed through as it is.
func TestRouteBatchOneRegion(t *testing.T) {
	east, west, cl := twoRegions(t)
	res, err := cl.ReadParameters(context.Background(), []string{westParam, westParam + ":1"}, false)
	if err != nil || res[0].Value == nil || res[1].Value == nil {
		t.Fatalf("ReadParameters = %v, %v; want 2 parameters", res, err)
	}
	if east.Calls("") != 0 || west.Calls("GetParameters") != 1 {
		t.Fatalf("calls east, west = %d, %d; want 0, 1", east.Calls(""), west.Calls("GetParameters"))
	}
}

// One region failing fails that region's slots; every region failing
// fails the call.
func TestRouteBatchOneRegionFails(t *testing.T) {
	east, west, cl := twoRegions(t)
	west.Inject(sourcetest.Fault{Op: "GetParameters", Code: "AccessDeniedException"})
	res, err := cl.ReadParameters(context.Background(), []string{"/app/x", westParam}, false)
	if err != nil || res[0].Err != nil || !errors.Is(res[1].Err, source.ErrAccessDenied) {
		t.Fatalf("ReadParameters = %v, %v; want /app/x's value and eu-west-1's AccessDeniedException in slot 1", res, err)
	}
	if east.Calls("GetParameters") != 1 || west.Calls("GetParameters") != 1 {
		t.Errorf("calls east, west = %d, %d; want 1, 1", east.Calls("GetParameters"), west.Calls("GetParameters"))
	}
	east.Inject(sourcetest.Fault{Op: "GetParameters", Code: "AccessDeniedException"})
	_, err = cl.ReadParameters(context.Background(), []string{"/app/x", westParam}, false)
	if !errors.Is(err, source.ErrAccessDenied) {
		t.Fatalf("ReadParameters with both regions failing = %v; want the call's AccessDeniedException", err)
	}
}

// A field of the Clients of New reaches one region per call.
func TestRouteFieldOneRegion(t *testing.T) {
	east, west, cl := twoRegions(t)
	_, err := cl.Parameters.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/app/x", westParam}})
	var se *source.Error
	if !errors.Is(err, source.ErrSeveralRegions) || !errors.As(err, &se) || !se.Local ||
		!strings.Contains(err.Error(), "refused locally") || strings.Contains(err.Error(), "rejected by the service") {
		t.Fatalf("GetParameters across regions = %v; want a local SeveralRegions error saying so", err)
	}
	if east.Calls("")+west.Calls("") != 0 {
		t.Errorf("calls = %d; want 0", east.Calls("")+west.Calls(""))
	}
	out, err := cl.SecretBatch.BatchGetSecretValue(context.Background(), &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{westSecret}})
	if err != nil || len(out.SecretValues) != 1 || west.Calls("BatchGetSecretValue") != 1 {
		t.Fatalf("BatchGetSecretValue of one other region = %v, %v; want its value from eu-west-1", out, err)
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
	_, _ = cl.ReadParameters(context.Background(), []string{"/app/x", westParam}, false)
	t.Error("ReadParameters returned; want its panic")
}
