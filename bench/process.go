package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// fnProc is a running test function (fninproc or fnsidecar).
type fnProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	Ready time.Duration // from start to its "ready" line
}

// startFn starts bin with env and args and waits until it prints "ready".
func startFn(bin string, env []string, args ...string) (*fnProc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	ready := time.Since(t0)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err != nil || !strings.HasPrefix(line, "ready") {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("bench: %s did not become ready: %v %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	return &fnProc{cmd: cmd, stdin: stdin, Ready: ready}, nil
}

// PID returns the process id.
func (p *fnProc) PID() int { return p.cmd.Process.Pid }

// Stop closes stdin and waits for the process to exit.
func (p *fnProc) Stop() error {
	_ = p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		return errors.New("bench: test function did not exit")
	}
}
