package sourcetest_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// wait lets fake time pass inside a synctest bubble.
func wait(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

// TestInMemoryServes runs the real SDK clients of an in-memory server
// through the handler inside a bubble: answers, typed errors and counters
// are those of the network server.
func TestInMemoryServes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sourcetest.NewInMemory()
		defer s.Close()
		seedParams(t, s)
		if _, err := s.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("pw")}); err != nil {
			t.Fatal(err)
		}
		if s.URL != "" {
			t.Errorf("URL = %q; want empty for an in-memory server", s.URL)
		}
		ctx := context.Background()
		out, err := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/str")})
		if err != nil || aws.ToString(out.Parameter.Value) != "two" || out.Parameter.Version != 2 {
			t.Fatalf("GetParameter(/app/str) = %v, %v; want two at version 2", out, err)
		}
		sec, err := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
		if err != nil || aws.ToString(sec.SecretString) != "pw" {
			t.Fatalf("GetSecretValue(db) = %v; want pw", err)
		}
		_, err = s.InMemoryClients().Parameter.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
		if code(err) != "ParameterNotFound" || status(err) != 400 {
			t.Errorf("GetParameter(/missing) = %v (code %q, status %d); want ParameterNotFound, 400", err, code(err), status(err))
		}
		if n := s.CallsFor("GetParameter", "/app/str"); n != 1 {
			t.Errorf(`CallsFor("GetParameter", "/app/str") = %d; want 1`, n)
		}
		if n := s.Calls(""); n != 3 {
			t.Errorf("Calls() = %d; want 3", n)
		}
	})
}

// TestInMemoryFaults checks each fault through the in-memory transport,
// with delays on the bubble's fake clock.
func TestInMemoryFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sourcetest.NewInMemory(sourcetest.WithLatency(20*time.Millisecond, 20*time.Millisecond))
		defer s.Close()
		seedParams(t, s)
		c := s.SSM()
		bg := context.Background()

		start := time.Now()
		s.Inject(sourcetest.Fault{Op: "GetParameter", Latency: time.Minute, Times: 1})
		if err := getParam(bg, c, "/app/str"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != time.Minute+20*time.Millisecond {
			t.Errorf("a call with 1 min injected latency took %v of fake time; want exactly 1m0.02s", d)
		}

		s.Inject(sourcetest.Fault{Op: "GetParameter", Hang: true, Times: 1})
		start = time.Now()
		ctx, cancel := context.WithTimeout(bg, 3*time.Second)
		err := getParam(ctx, c, "/app/str")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 3*time.Second {
			t.Errorf("hanging call = %v after %v; want context.DeadlineExceeded after 3s", err, time.Since(start))
		}
		if !errors.Is(source.Classify("GetParameter", "/app/str", err), source.ErrUnavailable) {
			t.Errorf("Classify(hang past deadline) is not ErrUnavailable: %v", err)
		}

		s.Inject(sourcetest.Fault{Op: "GetParameter", Reset: true, Times: 1})
		err = getParam(bg, c, "/app/str")
		if !errors.Is(err, syscall.ECONNRESET) || code(err) != "" || status(err) != 0 {
			t.Errorf("reset call = %v; want a transport error wrapping ECONNRESET", err)
		}
		if !errors.Is(source.Classify("GetParameter", "/app/str", err), source.ErrUnavailable) {
			t.Errorf("Classify(reset) is not ErrUnavailable: %v", err)
		}

		s.Inject(sourcetest.Fault{Op: "GetParameter", Code: "ThrottlingException", Times: 1})
		err = getParam(bg, c, "/app/str")
		if code(err) != "ThrottlingException" || status(err) != 400 {
			t.Errorf("throttled call = %v; want ThrottlingException, 400", err)
		}

		before := s.Calls("GetParameter")
		s.SetDown(true)
		err = getParam(bg, c, "/app/str")
		if !errors.Is(err, syscall.ECONNREFUSED) || code(err) != "" {
			t.Errorf("call while down = %v; want a transport error wrapping ECONNREFUSED", err)
		}
		s.SetDown(false)
		if err := getParam(bg, c, "/app/str"); err != nil {
			t.Errorf("after SetDown(false): %v", err)
		}
		if n := s.Calls("GetParameter") - before; n != 1 {
			t.Errorf("calls counted around SetDown = %d; want 1 (the refused call is not counted)", n)
		}
	})
}

// TestInMemoryCloseEndsHangingCalls checks that Close ends hanging and
// delayed in-memory calls, waits for them, and refuses later calls; the
// bubble fails the test if a goroutine is left.
func TestInMemoryCloseEndsHangingCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sourcetest.NewInMemory()
		seedParams(t, s)
		c := s.SSM()
		s.Inject(sourcetest.Fault{Name: "/app/str", Hang: true})
		s.Inject(sourcetest.Fault{Name: "top", Latency: time.Hour})
		errs := make(chan error, 2)
		go func() { errs <- getParam(context.Background(), c, "/app/str") }()
		go func() { errs <- getParam(context.Background(), c, "top") }()
		synctest.Wait()
		start := time.Now()
		s.Close()
		for range 2 {
			if err := <-errs; err == nil || code(err) != "" {
				t.Errorf("call ended by Close = %v; want a transport error", err)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Close took %v of fake time; want 0", d)
		}
		if err := getParam(context.Background(), c, "top"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("call after Close = %v; want ECONNREFUSED", err)
		}
		s.Close() // twice is fine
		wait(time.Second)
	})
}

// TestInMemoryConfigOfStartedServer checks that a server on a port also
// answers through InMemoryConfig, sharing state and counters.
func TestInMemoryConfigOfStartedServer(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	ctx := t.Context()
	mem := ssm.NewFromConfig(s.InMemoryConfig())
	if err := getParam(ctx, mem, "/app/str"); err != nil {
		t.Fatal(err)
	}
	if err := getParam(ctx, s.SSM(), "/app/str"); err != nil {
		t.Fatal(err)
	}
	if n := s.CallsFor("GetParameter", "/app/str"); n != 2 {
		t.Errorf("CallsFor = %d; want 2 (one in memory, one over loopback)", n)
	}
	if aws.ToString(s.Config().BaseEndpoint) != s.URL {
		t.Errorf("Config().BaseEndpoint = %q; want URL %q", aws.ToString(s.Config().BaseEndpoint), s.URL)
	}
}

func TestInMemoryStartPanics(t *testing.T) {
	s := sourcetest.NewInMemory()
	defer s.Close()
	defer func() {
		if recover() == nil {
			t.Error("Start on an in-memory server did not panic")
		}
	}()
	s.Start()
}
