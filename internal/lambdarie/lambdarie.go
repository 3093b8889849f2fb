// Package lambdarie runs the AWS Lambda Runtime Interface Emulator
// (aws-lambda-rie) for parsec's end-to-end tests and benchmarks without
// touching the machine's /opt/extensions.
//
// The emulator runs every executable in /opt/extensions as a Lambda
// extension. Writing there is a write to a system path: a run that is killed
// leaves its binary behind for every later emulator on the machine, and two
// runs at once collide. [Sandbox.Command] instead starts the emulator in a
// mount namespace and a PID namespace of its own, where a directory of the
// caller's (under its temporary directory) is bind-mounted over
// /opt/extensions. Nobody else sees that mount; when the emulator exits, or
// is killed, or the process that started it dies, the kernel ends every
// process in its PID namespace and the mounts go with the namespace, so
// nothing is left behind. The real /opt/extensions, and any file in it, is
// never read or written.
//
// This needs Linux, root (CAP_SYS_ADMIN, to create the namespaces and
// mount) and the mount(8) program (util-linux, on every Debian system).
// [Check] says whether they are there, and if not, what is missing.
//
// [Find] returns the emulator: from PATH, from $(go env GOPATH)/bin, or else
// built once from the pinned module version ([Version]) into the user's
// cache directory.
package lambdarie

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Module and Version pin the emulator that [Find] builds when none is
// installed; InstallCommand installs that version into $(go env GOPATH)/bin.
const (
	Module         = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	Version        = "v0.0.0-20261030222936-bef5c4ba774d"
	InstallCommand = "go install " + Module + "@" + Version
)

// ExtensionsDir is where the emulator looks for extensions: inside the
// emulator's namespace, the caller's [Sandbox.Extensions] directory.
const ExtensionsDir = "/opt/extensions"

// Find returns the path of aws-lambda-rie: the one on PATH, else the one in
// $(go env GOPATH)/bin, else one built from [Module]@[Version] (with the Go
// toolchain on PATH, through the Go module proxy) into
// $XDG_CACHE_HOME/parsec/aws-lambda-rie@VERSION (by default under
// ~/.cache), where later runs find it. Concurrent builds are safe: each
// builds into a directory of its own and renames the result into place.
func Find(ctx context.Context) (string, error) {
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	if out, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "aws-lambda-rie")
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	cacheDir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("lambdarie: aws-lambda-rie is not installed and there is no cache directory to build it into (%v); install it with: %s", err, InstallCommand)
	}
	dir := filepath.Join(cacheDir, "parsec", "aws-lambda-rie@"+Version)
	bin := filepath.Join(dir, "aws-lambda-rie")
	if fi, err := os.Stat(bin); err == nil && !fi.IsDir() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lambdarie: build aws-lambda-rie: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("lambdarie: build aws-lambda-rie: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "install", Module+"@"+Version)
	cmd.Dir = tmp // outside any module or workspace
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("lambdarie: aws-lambda-rie is not installed and building it failed (%v):\n%s\ninstall it with: %s", err, out, InstallCommand)
	}
	if err := os.Rename(filepath.Join(tmp, "aws-lambda-rie"), bin); err != nil {
		return "", fmt.Errorf("lambdarie: build aws-lambda-rie: %w", err)
	}
	return bin, nil
}

// Check reports why [Sandbox.Command] cannot work on this machine, or nil
// if it can. The answer, found by starting the namespace once with a
// trivial command, is remembered for the life of the process.
func Check() error { return checkOnce() }

var checkOnce = sync.OnceValue(func() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("needs Linux (mount and PID namespaces); this is %s", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root (CAP_SYS_ADMIN) to give aws-lambda-rie a private /opt/extensions in a mount namespace of its own; run the tests as root (for example sudo -E env PATH=\"$PATH\" go test ./...)")
	}
	if _, err := exec.LookPath("mount"); err != nil {
		return errors.New("needs mount(8) on PATH; on Debian: apt-get install mount")
	}
	dir, err := os.MkdirTemp("", "lambdarie-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := NewSandbox(dir)
	if err != nil {
		return err
	}
	cmd := s.Command("test", "-d", ExtensionsDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cannot start a process with a private %s in mount and PID namespaces of its own (%v: %s); a container needs CAP_SYS_ADMIN (docker run --privileged)", ExtensionsDir, err, strings.TrimSpace(string(out)))
	}
	return nil
})

// A Sandbox is a directory whose extensions/ subdirectory an emulator
// started by [Sandbox.Command] sees as /opt/extensions.
type Sandbox struct {
	dir string
}

// NewSandbox prepares dir (a directory the caller owns and removes, such
// as t.TempDir()) for [Sandbox.Command]; put extensions into
// [Sandbox.Extensions].
func NewSandbox(dir string) (*Sandbox, error) {
	s := &Sandbox{dir: dir}
	for _, d := range []string{s.Extensions(), s.realOpt()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("lambdarie: %w", err)
		}
	}
	return s, nil
}

// Extensions returns the directory the emulator sees as /opt/extensions.
func (s *Sandbox) Extensions() string { return filepath.Join(s.dir, "opt", "extensions") }

func (s *Sandbox) opt() string     { return filepath.Join(s.dir, "opt") }
func (s *Sandbox) realOpt() string { return filepath.Join(s.dir, "real-opt") }

// script runs in the new namespaces (as PID 1 of the new PID namespace,
// mounts already private) before it becomes the command. If
// /opt/extensions exists it mounts the sandbox's directory over it; if not
// (there is nothing to mount over, and creating it would write the real
// /opt), it mounts over /opt a directory holding links to every entry of
// the real /opt beside extensions/. Unless it is PID 1 (so in the new
// namespaces: the mount namespace comes with the PID namespace), it mounts
// nothing.
const script = `set -eu
ext=$1 opt=$2 real=$3; shift 3
if [ "$$" != 1 ]; then
	echo "lambdarie: not PID 1 of a namespace of its own; refusing to mount anything" >&2
	exit 1
fi
if [ -d /opt/extensions ]; then
	mount --bind "$ext" /opt/extensions
elif [ -d /opt ]; then
	mount --bind /opt "$real"
	for e in "$real"/* "$real"/.[!.]*; do
		if [ -e "$e" ] || [ -L "$e" ]; then ln -sfn "$e" "$opt/${e##*/}"; fi
	done
	mount --bind "$opt" /opt
else
	echo "lambdarie: no /opt to mount over" >&2
	exit 1
fi
exec "$@"
`

// Command returns a command that runs name with args (aws-lambda-rie and
// its flags) in a mount namespace and a PID namespace of its own, where
// /opt/extensions is [Sandbox.Extensions]. The process is PID 1 of its PID
// namespace: when it exits or is killed, every process it started (the
// function, the extensions) is killed too. It is also killed (SIGKILL) if
// the process that started it dies, and it leads a process group of its
// own. Set Dir, Env, Stdout and Stderr as for any exec.Cmd; keep
// SysProcAttr. [Check] says whether it can run here.
func (s *Sandbox) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "lambdarie", s.Extensions(), s.opt(), s.realOpt(), name}, args...)...)
	cmd.SysProcAttr = sysProcAttr()
	return cmd
}
