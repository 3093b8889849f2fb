//go:build !linux

package lambdarie

import "syscall"

// sysProcAttr: namespaces exist only on Linux; [Check] reports that, and
// the command fails in its script (there is no private mount to make).
func sysProcAttr() *syscall.SysProcAttr { return nil }
