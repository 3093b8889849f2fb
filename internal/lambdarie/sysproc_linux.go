package lambdarie

import "syscall"

// sysProcAttr puts the child in a new PID namespace (it is PID 1: its death
// kills the rest) and a new mount namespace (Go makes every mount in it
// private, MS_REC|MS_PRIVATE, before the exec), in a process group of its
// own, killed if its parent dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Cloneflags:   syscall.CLONE_NEWPID,
		Unshareflags: syscall.CLONE_NEWNS,
		Setpgid:      true,
		Pdeathsig:    syscall.SIGKILL,
	}
}
