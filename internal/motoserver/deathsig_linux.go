package motoserver

import "syscall"

// sysProcAttr makes the kernel kill moto_server (SIGKILL) when the test
// binary that started it dies, even by SIGKILL, when Main's Stop cannot
// run: a killed run leaves no server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
