//go:build !linux

package motoserver

import "syscall"

// sysProcAttr: only Linux has a parent-death signal; elsewhere a killed
// test binary leaves moto_server running until it is stopped by hand.
func sysProcAttr() *syscall.SysProcAttr { return nil }
