package cache

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/internal/logbuf"
)

// Every sentinel a caller can branch on prints differently (source's
// "invalid request" used to print as cache's).
func TestSentinelsPrintDifferently(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range []error{ErrNotFound, ErrAccessDenied, ErrThrottled, ErrInvalid, ErrUnavailable, ErrConfig,
		ErrClosed, ErrInvalidRequest, ErrPanic, ErrNoSource, ErrDecode} {
		if seen[e.Error()] {
			t.Errorf("two sentinels print %q", e)
		}
		seen[e.Error()] = true
	}
}

// A caller whose context ends while it waits learns what it waited for
// and how long, and errors.Is still sees the context's error.
func TestContextErrorSaysWhatItWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		c := mustNew(t, f.clients())
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err := c.Parameter(ctx, ParameterRequest{Name: "/app/db-host"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Parameter = %v; want context.DeadlineExceeded", err)
		}
		for _, s := range []string{`GetParameter "/app/db-host"`, "3s", "deadline exceeded"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not say %q", err, s)
			}
		}
		c.Close()
	})
}

// A prefetch that is not required logs each failure at WARN, by name
// (issue 12, item 7).
func TestPrefetchLogsEachFailureByName(t *testing.T) {
	var logs logbuf.Buffer
	c := mustNew(t, missingFake().clients(), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	err := c.Prefetch(context.Background(), Prefetch{Secrets: []SecretRequest{{SecretID: "s"}},
		Parameters: []ParameterRequest{{Name: "/missing/db-hots"}, {Name: "/app/ok"}}})
	if err != nil {
		t.Fatalf("Prefetch = %v; want nil (not required)", err)
	}
	out := logs.String()
	if !strings.Contains(out, `level=WARN msg="prefetch failed; loads on first read" name=/missing/db-hots`) || strings.Contains(out, "name=/app/ok") {
		t.Errorf("log %q; want one WARN naming /missing/db-hots and none for /app/ok", out)
	}
}
