// Command questgate-bench is questgate's load benchmark (`make bench`): it
// runs questgate as its own process, on its default SQLite store, in front
// of a sandbox upstream with a chosen latency, and drives it through the
// HACK form as players' browsers do. Each scenario is measured next to the
// physical limit of the same run, twilio-go fetching the same SIDs from
// the same upstream at the same concurrency, so that what questgate adds
// is visible whatever the machine. docs/performance.md has the results.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if servedFloor() {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "questgate-bench:", err)
		os.Exit(1)
	}
}
