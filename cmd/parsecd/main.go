package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := runContext(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}
