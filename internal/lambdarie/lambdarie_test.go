package lambdarie

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireIsolation skips (fails under CI=true) when the namespaces cannot
// be made here, saying why.
func requireIsolation(t *testing.T) {
	t.Helper()
	if err := Check(); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("required under CI=true: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// TestSandboxSeesOnlyItsExtensions: inside the sandbox /opt/extensions
// holds exactly what the caller put in its directory, the rest of /opt is
// still there, and nothing changed outside.
func TestSandboxSeesOnlyItsExtensions(t *testing.T) {
	requireIsolation(t)
	realExt, realExtErr := os.ReadDir(ExtensionsDir)
	s, err := NewSandbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Extensions(), "mine"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := s.Command("ls", "-A", ExtensionsDir).CombinedOutput()
	if err != nil {
		t.Fatalf("ls %s in the sandbox: %v: %s", ExtensionsDir, err, out)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{"mine"}) {
		t.Errorf("%s in the sandbox = %q; want only [mine]", ExtensionsDir, got)
	}

	// Every other entry of the real /opt is visible in the sandbox.
	entries, err := os.ReadDir("/opt")
	if err != nil {
		t.Fatal(err)
	}
	out, err = s.Command("ls", "-A", "/opt").CombinedOutput()
	if err != nil {
		t.Fatalf("ls /opt in the sandbox: %v: %s", err, out)
	}
	inside := strings.Fields(string(out))
	for _, e := range entries {
		if !slices.Contains(inside, e.Name()) {
			t.Errorf("/opt/%s is missing in the sandbox (it has %q)", e.Name(), inside)
		}
	}

	// Outside, /opt/extensions is as it was.
	after, afterErr := os.ReadDir(ExtensionsDir)
	if (realExtErr == nil) != (afterErr == nil) || len(realExt) != len(after) {
		t.Errorf("%s changed outside the sandbox: before %v (%v), after %v (%v)", ExtensionsDir, realExt, realExtErr, after, afterErr)
	}
}

// TestSandboxKillLeavesNothing: killing the sandbox's first process kills
// what it started (a PID namespace dies with its PID 1).
func TestSandboxKillLeavesNothing(t *testing.T) {
	requireIsolation(t)
	s, err := NewSandbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := s.Command("sh", "-c", "sleep 600 & echo started; wait")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "started\n" {
		t.Fatalf("read %q, %v; want started", line, err)
	}
	child := childOf(t, cmd.Process.Pid)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The kernel kills the namespace's other processes as its init exits;
	// the orphaned sleep is reaped by our init. Poll until it is gone.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := syscall.Kill(child, 0); err == syscall.ESRCH {
			return
		}
		state := status(child, "State")
		if state == "" || strings.HasPrefix(state, "Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d (sleep) still alive (%s) after its namespace's PID 1 was killed", child, state)
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-t.Context().Done():
		}
	}
}

// childOf returns a child process of pid (from /proc).
func childOf(t *testing.T, pid int) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		n, _ := strconv.Atoi(filepath.Base(d))
		if status(n, "PPid") == strconv.Itoa(pid) {
			return n
		}
	}
	t.Fatalf("no child of %d", pid)
	return 0
}

// status returns one field of /proc/PID/status, "" if the process is gone.
func status(pid int, field string) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return ""
	}
	for l := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(l, ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestFindBuildsThePinnedVersion: with no aws-lambda-rie on PATH or in
// GOPATH/bin, Find builds the pinned version into the cache directory, and
// a second call finds it there.
func TestFindBuildsThePinnedVersion(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go on PATH: %v", err)
	}
	env := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	modCache, buildCache := env("GOMODCACHE"), env("GOCACHE")
	t.Setenv("PATH", filepath.Dir(goBin))
	t.Setenv("GOPATH", t.TempDir())
	t.Setenv("GOMODCACHE", modCache) // the shared module and build caches: no download if already there
	t.Setenv("GOCACHE", buildCache)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	// No time budget: Find compiles aws-lambda-rie here, which takes
	// minutes on a loaded machine; go test's -timeout bounds the test.
	ctx := t.Context()
	p, err := Find(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cache, "parsec", "aws-lambda-rie@"+Version, "aws-lambda-rie")
	if p != want {
		t.Fatalf("Find = %s; want %s", p, want)
	}
	// The binary's build information names the pinned version (running
	// it, even with --help, would start an emulator).
	if out, err := exec.Command("go", "version", "-m", p).CombinedOutput(); err != nil || !strings.Contains(string(out), Version) {
		t.Errorf("go version -m %s = %v: %s; want %s", p, err, out, Version)
	}
	if p2, err := Find(ctx); err != nil || p2 != want {
		t.Errorf("second Find = %s, %v; want %s from the cache", p2, err, want)
	}
}
