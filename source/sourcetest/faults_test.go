package sourcetest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func getParam(ctx context.Context, c *ssm.Client, name string) error {
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: &name})
	return err
}

func TestFaultErrors(t *testing.T) {
	tests := []struct {
		f      sourcetest.Fault
		code   string
		status int
		kind   error
	}{
		{sourcetest.Fault{Code: "ThrottlingException"}, "ThrottlingException", 400, source.ErrThrottled},
		{sourcetest.Fault{Code: "InternalServerError"}, "InternalServerError", 500, source.ErrUnavailable},
		{sourcetest.Fault{Code: "ServiceUnavailable"}, "ServiceUnavailable", 503, source.ErrUnavailable},
		{sourcetest.Fault{Code: "AccessDeniedException"}, "AccessDeniedException", 400, source.ErrAccessDenied},
		{sourcetest.Fault{Code: "TooManyRequestsException"}, "TooManyRequestsException", 429, source.ErrThrottled},
		{sourcetest.Fault{Code: "ThrottlingException", Status: 429}, "ThrottlingException", 429, source.ErrThrottled},
		{sourcetest.Fault{Status: 502}, "InternalServerError", 502, source.ErrUnavailable},
		{sourcetest.Fault{Op: "GetParameter", Name: "/app/str", Code: "ParameterNotFound"}, "ParameterNotFound", 400, source.ErrNotFound},
	}
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			remove := s.Inject(tt.f)
			defer remove()
			err := getParam(t.Context(), c, "/app/str")
			if code(err) != tt.code || status(err) != tt.status {
				t.Errorf("GetParameter with %+v = %v (HTTP %d); want %s (HTTP %d)", tt.f, err, status(err), tt.code, tt.status)
			}
			if err := source.Classify("GetParameter", "/app/str", err); !errors.Is(err, tt.kind) {
				t.Errorf("Classify = %v; want %v", err, tt.kind)
			}
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorMessage() == "" {
				t.Errorf("empty message")
			}
		})
	}
	if err := getParam(t.Context(), c, "/app/str"); err != nil {
		t.Errorf("after remove: %v", err)
	}
}

func TestFaultMatchingAndTimes(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	seedSecrets(t, s)
	c, sm := s.SSM(), s.SecretsManager()
	s.Inject(sourcetest.Fault{Op: "GetParameter", Name: "/app/list", Code: "InternalServerError", Times: 2})
	s.Inject(sourcetest.Fault{Op: "GetSecretValue", Code: "AccessDeniedException", Message: "nope"})
	for i, tt := range []struct {
		name string
		code string
	}{
		{"/app/str", ""}, {"/app/list:1", "InternalServerError"}, {"/app/str", ""}, {"/app/list", "InternalServerError"}, {"/app/list", ""},
	} {
		if err := getParam(t.Context(), c, tt.name); code(err) != tt.code {
			t.Errorf("call %d GetParameter(%s) = %v; want %q", i, tt.name, err, tt.code)
		}
	}
	_, err := sm.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("str")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || ae.ErrorMessage() != "nope" {
		t.Errorf("GetSecretValue = %v; want AccessDeniedException: nope", err)
	}
	// GetParameters matches when any of its names does.
	remove := s.Inject(sourcetest.Fault{Name: "/app/sec", Code: "ThrottlingException"})
	_, err = c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: []string{"/app/str", "/app/sec"}})
	if code(err) != "ThrottlingException" {
		t.Errorf("GetParameters with a faulty name = %v; want ThrottlingException", err)
	}
	remove()
	remove() // twice is fine
	if _, err := c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: []string{"/app/str", "/app/sec"}}); err != nil {
		t.Errorf("after remove: %v", err)
	}
}

func TestCounters(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	s.Inject(sourcetest.Fault{Code: "InternalServerError", Times: 1})
	_ = getParam(t.Context(), c, "/app/str:1")
	_ = getParam(t.Context(), c, "/app/str")
	_ = getParam(t.Context(), c, "/nope")
	_, _ = c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: []string{"/app/str", "/app/list"}})
	for _, tt := range []struct {
		op, name string
		calls    int
	}{
		{"GetParameter", "", 3}, {"GetParameter", "/app/str", 2}, {"GetParameter", "/nope", 1},
		{"GetParameters", "", 1}, {"GetParameters", "/app/list", 1}, {"", "", 4},
	} {
		got := s.Calls(tt.op)
		if tt.name != "" {
			got = s.CallsFor(tt.op, tt.name)
		}
		if got != tt.calls {
			t.Errorf("Calls(%q, %q) = %d; want %d", tt.op, tt.name, got, tt.calls)
		}
	}
	s.ResetCounters()
	if n := s.Calls(""); n != 0 {
		t.Errorf("Calls after ResetCounters = %d", n)
	}
}

func TestFaultLatency(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	remove := s.Inject(sourcetest.Fault{Op: "GetParameter", Latency: 30 * time.Millisecond, Jitter: 5 * time.Millisecond})
	start := time.Now()
	if err := getParam(t.Context(), c, "/app/str"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("call with 30ms latency took %v", d)
	}
	remove()
	// A long delay honours the caller's context.
	s.Inject(sourcetest.Fault{Latency: time.Hour})
	err := getParam(ctxTimeout(t, 50*time.Millisecond), c, "/app/str")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetParameter with 1h latency and 50ms deadline = %v; want context.DeadlineExceeded", err)
	}
}

func TestWithLatency(t *testing.T) {
	s := newServer(t, sourcetest.WithLatency(20*time.Millisecond, 25*time.Millisecond))
	seedParams(t, s)
	start := time.Now()
	if err := getParam(t.Context(), s.SSM(), "/app/str"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("call took %v; want ≥ 20ms", d)
	}
}

func TestFaultReset(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	if err := getParam(t.Context(), c, "/app/str"); err != nil { // a kept-alive connection
		t.Fatal(err)
	}
	s.Inject(sourcetest.Fault{Reset: true, Times: 1})
	err := getParam(t.Context(), c, "/app/str")
	if err == nil || code(err) != "" || status(err) != 0 {
		t.Fatalf("GetParameter with Reset = %v; want a transport error", err)
	}
	if !errors.Is(source.Classify("GetParameter", "/app/str", err), source.ErrUnavailable) {
		t.Errorf("Classify(reset) is not ErrUnavailable: %v", err)
	}
	if err := getParam(t.Context(), c, "/app/str"); err != nil {
		t.Errorf("after the reset: %v", err)
	}
	if n := s.Calls("GetParameter"); n != 3 {
		t.Errorf("Calls = %d; want 3 (no retry of the reset call)", n)
	}
}

func TestFaultHang(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	s.Inject(sourcetest.Fault{Op: "GetParameter", Hang: true, Times: 1})
	start := time.Now()
	err := getParam(ctxTimeout(t, 100*time.Millisecond), c, "/app/str")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("hanging GetParameter = %v after %v; want context.DeadlineExceeded after 100ms", err, time.Since(start))
	}
	if err := getParam(t.Context(), c, "/app/str"); err != nil {
		t.Errorf("after Times 1: %v", err)
	}
}

func TestCloseEndsHangingCalls(t *testing.T) {
	s := sourcetest.NewServer()
	seedParams(t, s)
	c := s.SSM()
	s.Inject(sourcetest.Fault{Hang: true})
	s.Inject(sourcetest.Fault{Latency: time.Hour})
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = getParam(context.Background(), c, "/app/str") })
	}
	waitFor(t, "3 calls", func() bool { return s.Calls("GetParameter") == 3 })
	s.Close()
	wg.Wait()
	for i, err := range errs {
		if err == nil || code(err) != "" {
			t.Errorf("call %d after Close = %v; want a transport error", i, err)
		}
	}
	s.Close() // twice is fine
	checkNoLeaks(t)
}

func TestSetDown(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	if err := getParam(t.Context(), c, "/app/str"); err != nil {
		t.Fatal(err)
	}
	s.SetDown(true)
	for i := range 3 {
		err := getParam(t.Context(), c, "/app/str")
		if err == nil || code(err) != "" {
			t.Errorf("call %d while down = %v; want a transport error", i, err)
		}
	}
	s.SetDown(false)
	if err := getParam(t.Context(), c, "/app/str"); err != nil {
		t.Errorf("after SetDown(false): %v", err)
	}
	if n := s.Calls("GetParameter"); n != 2 {
		t.Errorf("Calls = %d; want 2 (calls while down are not counted)", n)
	}
}

func TestNoLeaksAfterClose(t *testing.T) {
	s := sourcetest.NewUnstartedServer(sourcetest.WithRegion("eu-west-1"), sourcetest.WithAccount("111122223333"))
	seedParams(t, s)
	s.Start()
	cl := s.Clients()
	out, err := cl.Parameter.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/app/str")})
	if err != nil || *out.Parameter.ARN != "arn:aws:ssm:eu-west-1:111122223333:parameter/app/str" {
		t.Fatalf("GetParameter = %v, %v", out, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { _ = getParam(t.Context(), s.SSM(), "/app/list") })
	}
	wg.Wait()
	s.Close()
	checkNoLeaks(t)
	// An unstarted server closes too.
	sourcetest.NewUnstartedServer().Close()
	checkNoLeaks(t)
}

func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	c := s.SSM()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				_, _ = s.PutParameter(sourcetest.Parameter{Name: "/c/p", Value: "v"})
				_ = getParam(t.Context(), c, "/c/p")
				if j%5 == 0 {
					remove := s.Inject(sourcetest.Fault{Code: "ThrottlingException", Times: 1})
					_ = s.Calls("GetParameter")
					remove()
				}
				_ = i
			}
		})
	}
	wg.Wait()
	out, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/c/p")})
	if err != nil || out.Parameter.Version != 160 {
		t.Errorf("after 160 puts: %v, %v; want version 160", out, err)
	}
}
