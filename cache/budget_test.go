package cache

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/parsec-go/parsec/source"
)

// missingFake answers ParameterNotFound, in the SDK's full error chain, for
// every name under /missing/.
func missingFake() *fakeUpstream {
	f := newFake()
	f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		if strings.HasPrefix(aws.ToString(in.Name), "/missing/") {
			return nil, &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameter",
				Err: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400}}, Err: &ssmtypes.ParameterNotFound{Message: aws.String("Parameter " + aws.ToString(in.Name) + " not found")}}}
		}
		return echoParameter(in), nil
	}
	return f
}

// Remembered failures have their own budget: a flood of distinct missing
// names never pushes a value out (issue 11, item 2).
func TestMissingNamesNeverEvictValues(t *testing.T) {
	f := missingFake()
	// The not-found rate is off: this test floods the failure budget on
	// purpose (TestNotFoundRate tests the rate).
	c := mustNew(t, f.clients(), WithMaxEntries(100), WithRefreshAhead(0), WithNotFoundRate(0, 0))
	ctx := context.Background()
	for i := range 50 {
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/v/" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 500 {
		_, err := c.Parameter(ctx, ParameterRequest{Name: "/missing/" + strconv.Itoa(i)})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Parameter(/missing/%d) = %v; want ErrNotFound", i, err)
		}
	}
	before := f.total.Load()
	for i := range 50 {
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/v/" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.total.Load() - before; got != 0 {
		t.Errorf("re-reading 50 cached values made %d upstream calls; want 0", got)
	}
	st := c.Stats()
	if max := 50 + failureBudget(100); st.Entries > max {
		t.Errorf("Stats().Entries = %d; want at most %d (50 values + the failure budget)", st.Entries, max)
	}
	t.Logf("limit 100, 50 values, 500 missing names: %d upstream calls re-reading the values; %+v", f.total.Load()-before, st)
}

// A remembered not-found keeps a compact error, which still matches its
// kind and the SDK's typed error, and still names the parameter.
func TestRememberedNotFoundIsCompact(t *testing.T) {
	f := missingFake()
	c := mustNew(t, f.clients())
	ctx := context.Background()
	req := ParameterRequest{Name: "/missing/x"}
	if _, err := c.Parameter(ctx, req); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	_, err := c.Parameter(ctx, req) // answered from memory
	var pnf *ssmtypes.ParameterNotFound
	var op *smithy.OperationError
	var se *source.Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &pnf) || !errors.As(err, &op) || f.callsFor("/missing/x") != 1 {
		t.Fatalf("remembered error = %v; want ErrNotFound, *types.ParameterNotFound, *smithy.OperationError, 1 upstream call", err)
	}
	if !errors.As(err, &se) || se.Err == nil || !errors.As(se.Err, &op) {
		t.Fatalf("remembered error = %v; want a source.Error", err)
	}
	if _, full := op.Err.(*smithyhttp.ResponseError); !full || op.Err.(*smithyhttp.ResponseError).Response.Header != nil {
		t.Errorf("remembered error keeps the response's headers: %+v", op.Err)
	}
	// The compact error, then when it was learnt and for how long it is
	// remembered (Stringer time in the test's local zone).
	want := `GetParameter "/missing/x": not found: ParameterNotFound: Parameter /missing/x not found (remembered for 5s, since `
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), ")") || len(err.Error()) != len(want)+len("15:04:05)") {
		t.Errorf("remembered error = %q; want %q, a time and \")\"", err, want)
	}
}

// A million distinct missing names keep the heap bounded: they compete
// for the failure budget only (issue 11, item 2).
func TestMillionMissingNamesKeepHeapBounded(t *testing.T) {
	n := 1_000_000
	if raceEnabled || testing.Short() {
		n = 20_000
	}
	f := missingFake()
	f.calls = nil                                                                                   // the fake's per-name counter would itself grow without bound
	c := mustNew(t, f.clients(), WithLogger(slog.New(slog.DiscardHandler)), WithNotFoundRate(0, 0)) // the flood is the point
	ctx := context.Background()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// Fill the failure budget first, so the baseline holds a full one.
	for i := range 2 * failureBudget(DefaultMaxEntries) {
		_, _ = c.Parameter(ctx, ParameterRequest{Name: "/missing/warm/" + strconv.Itoa(i)})
	}
	base := heap()
	for i := range n {
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/missing/" + strconv.Itoa(i)}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Parameter(/missing/%d) = %v", i, err)
		}
	}
	after := heap()
	grew := int64(after) - int64(base)
	st := c.Stats()
	t.Logf("%d missing names: heap %d KiB before, %d KiB after (%+d KiB); entries %d, budget %d",
		n, base>>10, after>>10, grew>>10, st.Entries, failureBudget(DefaultMaxEntries))
	if grew > 8<<20 {
		t.Errorf("heap grew by %d KiB over %d missing names; want under 8 MiB", grew>>10, n)
	}
	if st.Entries > failureBudget(DefaultMaxEntries) {
		t.Errorf("Stats().Entries = %d; want at most the failure budget %d", st.Entries, failureBudget(DefaultMaxEntries))
	}
}
