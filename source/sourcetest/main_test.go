package sourcetest_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// newServer starts a fake closed at the end of the test.
func newServer(t *testing.T, opts ...sourcetest.Option) *sourcetest.Server {
	t.Helper()
	s := sourcetest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// code returns the AWS error code of err, or "" if err is no API error.
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// status returns the HTTP status of an error response, or 0.
func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func ptr[T any](v T) *T { return &v }

func val(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// waitFor spins until cond holds or a 10 s deadline passes; the tests use
// it to wait for the server to have received a call, without sleeping.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// leaked returns the stacks of goroutines still running code of the server
// (handlers, connections, the listener) or of the clients' connections.
func leaked() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sourcetest.(*Server)") ||
			strings.Contains(g, "net/http.(*conn).serve") ||
			strings.Contains(g, "net/http.(*Server).Serve") ||
			strings.Contains(g, "net/http.(*persistConn)") {
			out = append(out, g)
		}
	}
	return out
}

// checkNoLeaks fails the test if server or client connection goroutines
// remain once they have had up to 10 s to end (the role goleak.VerifyNone
// plays; go.uber.org/goleak is not in go.mod).
func checkNoLeaks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := leaked()
		if len(g) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines leaked:\n%s", len(g), strings.Join(g, "\n\n"))
		}
		runtime.Gosched()
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
