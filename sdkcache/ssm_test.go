package sdkcache_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/sdkcache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestGetParameterHits is the first done-when against the fake:
// 1,000 GetParameter calls of one name through a client built from the
// installed config make one upstream call, and each answer is what the
// SDK alone returns.
func TestGetParameterHits(t *testing.T) {
	srv, cfg, c := setup(t)
	seed(t, srv, "/app/db", "db.internal:5432")
	client := ssm.NewFromConfig(cfg)
	direct, err := srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db")})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCounters()
	for i := range 1000 {
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db")})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if !reflect.DeepEqual(out.Parameter, direct.Parameter) {
			t.Fatalf("call %d: GetParameter = %+v; want %+v", i, out.Parameter, direct.Parameter)
		}
		*out.Parameter.Value = "changed by the caller" // each answer is the caller's own
	}
	if n := srv.Calls("GetParameter"); n != 1 {
		t.Errorf("upstream GetParameter calls = %d; want 1", n)
	}
	if st := c.Stats(); st.Hits < 999 {
		t.Errorf("cache hits = %d; want at least 999", st.Hits)
	}
}

func TestGetParameterConcurrentMisses(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/cold", "v")
	client := ssm.NewFromConfig(cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			for range 20 {
				out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/cold")})
				if err == nil && aws.ToString(out.Parameter.Value) != "v" {
					err = fmt.Errorf("value %q", aws.ToString(out.Parameter.Value))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.Calls("GetParameter"); n != 1 {
		t.Errorf("upstream GetParameter calls = %d; want 1", n)
	}
}

// TestErrorsAreTheSDKs: the errors a caller already branches on, in the
// SDK's wrapping and with its message, from the first (upstream) and the
// second (remembered) read alike.
func TestErrorsAreTheSDKs(t *testing.T) {
	srv, cfg, _ := setup(t)
	client := ssm.NewFromConfig(cfg)
	_, want := srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
	for i := range 2 {
		_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
		var pnf *ssmtypes.ParameterNotFound
		var oe *smithy.OperationError
		if !errors.As(err, &pnf) || !errors.As(err, &oe) || oe.ServiceID != "SSM" || oe.OperationName != "GetParameter" {
			t.Fatalf("read %d: GetParameter(/missing) = %v (%T); want *types.ParameterNotFound in an SSM GetParameter *smithy.OperationError", i, err, err)
		}
		if _, ok := oe.Err.(*smithy.OperationError); ok {
			t.Errorf("read %d: OperationError inside OperationError: %v", i, err)
		}
		if !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("read %d: errors.Is(err, cache.ErrNotFound) = false for %v", i, err)
		}
		// The same text as the SDK's, but for the request id.
		strip := func(s string) string {
			return s[:strings.Index(s, "RequestID:")] + s[strings.Index(s, ", ParameterNotFound"):]
		}
		if got, w := strip(err.Error()), strip(want.Error()); got != w {
			t.Errorf("read %d: message %q; want %q", i, got, w)
		}
	}
	if n := srv.CallsFor("GetParameter", "/missing"); n != 2 { // one direct, one through the cache
		t.Errorf("upstream calls = %d; want 2 (the not-found is remembered)", n)
	}
}

func TestGetParameters(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/a", "1")
	seed(t, srv, "/app/b", "2")
	client := ssm.NewFromConfig(cfg)
	for i := range 2 {
		out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/a", "/app/missing", "/app/b", "/app/a"}})
		if err != nil {
			t.Fatalf("GetParameters: %v", err)
		}
		var names []string
		for _, p := range out.Parameters {
			names = append(names, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
		}
		if !slices.Equal(names, []string{"/app/a=1", "/app/b=2"}) || !slices.Equal(out.InvalidParameters, []string{"/app/missing"}) {
			t.Errorf("call %d: GetParameters = %v, invalid %v; want [/app/a=1 /app/b=2], [/app/missing]", i, names, out.InvalidParameters)
		}
	}
	if n := srv.Calls("GetParameters"); n != 1 {
		t.Errorf("upstream GetParameters calls = %d; want 1", n)
	}
	// The batch filled the keys single reads use.
	if _, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/b")}); err != nil || srv.Calls("GetParameter") != 0 {
		t.Errorf("GetParameter(/app/b) after the batch: %v, %d upstream calls; want a hit", err, srv.Calls("GetParameter"))
	}
}

func TestGetParametersByPath(t *testing.T) {
	srv, cfg, _ := setup(t)
	var want []string
	for i := range 25 {
		n := fmt.Sprintf("/app/p%02d", i)
		seed(t, srv, n, "v"+n)
		want = append(want, n)
	}
	seed(t, srv, "/other/x", "x")
	client := ssm.NewFromConfig(cfg)
	list := func(size int32) []string {
		t.Helper()
		in := &ssm.GetParametersByPathInput{Path: aws.String("/app"), Recursive: aws.Bool(true)}
		if size > 0 {
			in.MaxResults = aws.Int32(size)
		}
		var got []string
		pages := ssm.NewGetParametersByPathPaginator(client, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				t.Fatalf("NextPage: %v", err)
			}
			if len(page.Parameters) > max(int(size), 10) {
				t.Fatalf("page of %d; want at most %d", len(page.Parameters), max(size, 10))
			}
			for _, p := range page.Parameters {
				got = append(got, aws.ToString(p.Name))
			}
		}
		return got
	}
	for _, size := range []int32{0, 10, 7, 1} {
		if got := list(size); !slices.Equal(got, want) {
			t.Errorf("listing with MaxResults %d = %v; want %v", size, got, want)
		}
	}
	if n := srv.Calls("GetParametersByPath"); n != 3 { // the cache's one listing, in pages of 10
		t.Errorf("upstream GetParametersByPath calls = %d; want 3", n)
	}
	if _, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p07")}); err != nil || srv.Calls("GetParameter") != 0 {
		t.Errorf("GetParameter(/app/p07) after the listing: %v, %d upstream calls; want a hit", err, srv.Calls("GetParameter"))
	}
}

func TestTransientErrorIsTheSDKs(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/t", "v")
	srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: "/app/t", Code: "ThrottlingException", Times: 1})
	client := ssm.NewFromConfig(cfg)
	_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/t")})
	var oe *smithy.OperationError
	if code(err) != "ThrottlingException" || !errors.As(err, &oe) || !errors.Is(err, cache.ErrThrottled) {
		t.Fatalf("throttled GetParameter = %v; want ThrottlingException in an OperationError, matching cache.ErrThrottled", err)
	}
	if out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/t")}); err != nil || aws.ToString(out.Parameter.Value) != "v" {
		t.Errorf("GetParameter after one throttle = %v; want the value", err)
	}
}

func TestInstallRejectsBadOptions(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	cfg := srv.Config()
	if _, err := sdkcache.Install(&cfg, cache.WithTTL(-1)); err == nil {
		t.Fatal("Install(WithTTL(-1)) = nil error")
	}
	if len(cfg.APIOptions) != 0 {
		t.Errorf("a failed Install changed the config: %d API options", len(cfg.APIOptions))
	}
}
