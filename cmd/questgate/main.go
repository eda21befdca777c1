// Command questgate serves the questgate verifier: players paste the SID of
// a Twilio resource they created and questgate confirms it in their own
// Twilio account. See docs/operators.md for the commands and their
// settings.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := shutdownOnSignal()
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "questgate:", err)
		os.Exit(exitCode(err))
	}
}

// shutdownOnSignal returns a context cancelled by the first SIGINT or
// SIGTERM, which starts a graceful shutdown that may take up to
// --shutdown-timeout. The signals are forgotten before the context is
// cancelled, so a second one, however soon, has its default effect: the
// process ends at once. (Forgetting them after the cancellation, as
// signal.NotifyContext's stop in a context.AfterFunc did, raced with the
// shutdown: a second signal sent as soon as the shutdown began could be
// swallowed.)
func shutdownOnSignal() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-signals:
		case <-ctx.Done():
		}
		signal.Stop(signals)
		cancel()
	}()
	return ctx, cancel
}

// exitError carries a specific exit status out of run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// run is the whole program, with its inputs passed in so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	app := newApp(getenv, stdin, stdout, stderr)
	app.Metadata = map[string]any{argsMetadata: args}
	return app.Run(ctx, args)
}

// argsMetadata is where run keeps the command line, for commands that
// must read it after a parse error (verify --json).
const argsMetadata = "args"
