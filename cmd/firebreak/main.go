// Command firebreak is the incident console for software-signing incidents.
//
// With no arguments it opens the console; with a command it runs that command
// (see "firebreak help").
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/firebreak-dev/firebreak/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// The first signal cancels ctx, which every command watches (an action
	// then records how far it got and removes its partial copy; a closed
	// terminal is SIGHUP); a second one ends the process the default way,
	// whatever it is doing.
	go func() { <-ctx.Done(); stop() }()
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
