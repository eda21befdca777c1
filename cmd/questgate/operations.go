package main

import (
	"fmt"
	"time"

	"github.com/questgate/questgate/verifier"
	"github.com/urfave/cli/v3"
)

// Bounds of the upstream settings (their defaults are the verifier's),
// and the shutdown default.
const (
	maxMaxTries            = 10
	maxAccountConcurrency  = 1000
	defaultShutdownTimeout = 30 * time.Second
)

// operationsFlags are serve's settings for running in production: how it
// talks to Twilio under load, how it stops, and who may read /metrics.
func (f flags) operationsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "twilio-attempt-timeout", Value: verifier.DefaultAttemptTimeout, Sources: f.env("QUESTGATE_TWILIO_ATTEMPT_TIMEOUT"),
			Usage:     "how long one request to Twilio may take before it is abandoned (and retried, within --twilio-timeout)",
			Validator: positive("--twilio-attempt-timeout")},
		&cli.IntFlag{Name: "twilio-max-tries", Value: verifier.DefaultMaxTries, Sources: f.env("QUESTGATE_TWILIO_MAX_TRIES"),
			Usage:     fmt.Sprintf("requests to Twilio one verification may make, the first included (1 to %d; 1 never retries)", maxMaxTries),
			Validator: intBetween("--twilio-max-tries", 1, maxMaxTries)},
		&cli.IntFlag{Name: "twilio-account-concurrency", Value: verifier.DefaultAccountConcurrency, Sources: f.env("QUESTGATE_TWILIO_ACCOUNT_CONCURRENCY"),
			Usage:     fmt.Sprintf("requests to Twilio in flight at once for one Twilio account; more wait their turn (1 to %d)", maxAccountConcurrency),
			Validator: intBetween("--twilio-account-concurrency", 1, maxAccountConcurrency)},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: defaultShutdownTimeout, Sources: f.env("QUESTGATE_SHUTDOWN_TIMEOUT"),
			Usage:     "on SIGTERM or SIGINT, how long requests in flight may take to finish before they are cut off; at least --twilio-timeout",
			Validator: positive("--shutdown-timeout")},
		&cli.StringFlag{Name: "metrics-token", Sources: f.env("QUESTGATE_METRICS_TOKEN"),
			Usage: "when set, /metrics requires Authorization: Bearer <token> (prefer the environment variable: flags show in the process list)"},
	}
}

// upstreamSettings are how serve talks to Twilio, read from its flags.
type upstreamSettings struct {
	// Timeout bounds a whole verification, retries included;
	// AttemptTimeout bounds one request within it.
	Timeout, AttemptTimeout time.Duration
	// MaxTries is how many requests one verification may make.
	MaxTries int
	// AccountConcurrency bounds the requests in flight per Twilio account.
	AccountConcurrency int
}

// upstreamFromFlags reads and cross-checks the upstream settings (each
// flag's own range is checked by its validator).
func upstreamFromFlags(cmd *cli.Command) (upstreamSettings, error) {
	u := upstreamSettings{Timeout: cmd.Duration("twilio-timeout"), AttemptTimeout: cmd.Duration("twilio-attempt-timeout"),
		MaxTries: cmd.Int("twilio-max-tries"), AccountConcurrency: cmd.Int("twilio-account-concurrency")}
	if u.AttemptTimeout > u.Timeout {
		return u, fmt.Errorf("--twilio-attempt-timeout %v is longer than --twilio-timeout %v, which bounds the whole verification: "+
			"lower it, or raise --twilio-timeout", u.AttemptTimeout, u.Timeout)
	}
	return u, nil
}

// shutdownFromFlags returns --shutdown-timeout, which must let a
// verification that just started finish: a player who pressed HACK
// before the signal gets their answer.
func shutdownFromFlags(cmd *cli.Command) (time.Duration, error) {
	d, twilio := cmd.Duration("shutdown-timeout"), cmd.Duration("twilio-timeout")
	if d < twilio {
		return d, fmt.Errorf("--shutdown-timeout %v is shorter than --twilio-timeout %v: verifications in flight could be cut off "+
			"at shutdown; raise it to at least %v", d, twilio, twilio)
	}
	return d, nil
}
