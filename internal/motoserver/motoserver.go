package motoserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
)

// Server is a running moto_server.
type Server struct {
	URL string // http://127.0.0.1:PORT
	cmd *exec.Cmd
}

var (
	mu       sync.Mutex
	current  *Server
	startErr error
)

var runningRE = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

// Start launches moto_server on a free loopback port and waits until it
// answers. The caller must call Stop.
func Start() (*Server, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found on PATH; install it with pip install 'moto[server]' (on Debian: apt-get install python3-venv && python3 -m venv ~/.venvs/moto && ~/.venvs/moto/bin/pip install 'moto[server]', then put ~/.venvs/moto/bin on PATH): %w", err)
	}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", "0")
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		found := false
		for sc.Scan() {
			if m := runningRE.FindStringSubmatch(sc.Text()); m != nil && !found {
				found = true
				urlc <- m[1]
			}
		}
		if !found {
			close(urlc)
		}
	}()
	s := &Server{cmd: cmd}
	select {
	case u, ok := <-urlc:
		if !ok {
			_ = cmd.Wait()
			return nil, errors.New("moto_server exited before printing its address")
		}
		s.URL = u
	case <-time.After(30 * time.Second):
		s.Stop()
		return nil, errors.New("moto_server did not print its address within 30s")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := s.Reset(); err == nil {
			return s, nil
		} else if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("moto_server at %s not ready: %w", s.URL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Reset empties every backend of the server.
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Stop ends the server process.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// Config returns an aws.Config for the server: region us-east-1, static
// test credentials, endpoint set to the server, at most 2 attempts per call.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 2,
	}
}

// SSM returns a real SDK client pointed at the server.
func (s *Server) SSM() *ssm.Client { return ssm.NewFromConfig(s.Config()) }

// SecretsManager returns a real SDK client pointed at the server.
func (s *Server) SecretsManager() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.Config())
}

// Clients returns source.Clients built from Config.
func (s *Server) Clients() source.Clients { return source.New(s.Config()) }

// Main runs the tests of a package that uses moto_server and stops the
// server, if one was started, when they end. Call it from TestMain:
//
//	func TestMain(m *testing.M) { motoserver.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if current != nil {
		current.Stop()
	}
	mu.Unlock()
	os.Exit(code)
}

// Require returns the test binary's moto_server, started on first use and
// reset to an empty state. Without moto_server the test is skipped, or
// failed when CI=true.
func Require(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if current == nil && startErr == nil {
		current, startErr = Start()
	}
	if startErr != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("moto_server is required under CI=true: %v", startErr)
		}
		t.Skipf("skipping integration test: %v", startErr)
	}
	if err := current.Reset(); err != nil {
		t.Fatalf("reset moto_server: %v", err)
	}
	return current
}

// WithTimeout returns a context for one integration call.
func WithTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
