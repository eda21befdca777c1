package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/logging"
	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/sandbox"
)

func sandboxCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "sandbox",
		Usage: "serve only the Twilio-compatible sandbox (for a game's CI or a workshop without Twilio accounts)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: ":8081", Sources: f.env("QUESTGATE_SANDBOX_ADDR"),
				Usage: "address to listen on, host:port"},
			f.dataDir(), f.database(), f.logFormat(), f.logLevel(),
			&cli.DurationFlag{Name: "step", Value: time.Second, Sources: f.env("QUESTGATE_SANDBOX_STEP"),
				Usage: "how long a message stays queued, then sent, before its final status", Validator: positive("--step")},
			&cli.DurationFlag{Name: "latency", Sources: f.env("QUESTGATE_SANDBOX_LATENCY"),
				Usage:     "delay every API answer by this long, as the distance to Twilio does (0: answer at once)",
				Validator: latency("--latency")},
			&cli.IntFlag{Name: "ip-requests-per-minute", Value: defaultIPRequestsPerMinute, Sources: f.env("QUESTGATE_IP_REQUESTS_PER_MINUTE"),
				Usage:     "requests one client address may make per minute to the sandbox; 0 disables",
				Validator: perMinute("--ip-requests-per-minute")},
		}, f.sandboxLimitFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return serveSandbox(ctx, cmd, f.getenv)
		},
		Commands: []*cli.Command{{
			Name:  "account",
			Usage: "manage sandbox accounts",
			Commands: []*cli.Command{{
				Name:  "create",
				Usage: "create a sandbox account and print its Account SID and Auth Token",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "name", Value: "questgate sandbox", Usage: "friendly name of the account"},
					&cli.BoolFlag{Name: "json", Usage: "print JSON instead of lines"},
					&cli.BoolFlag{Name: "create", Usage: "create the SQLite database when there is none yet (without it, a missing database is an error: the account would land where no server reads it)"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					db := databaseFrom(cmd)
					where := redactURL(db.databaseURL())
					if path, ok := sqliteFile(db.databaseURL()); ok {
						if abs, err := filepath.Abs(path); err == nil {
							path = abs
						}
						where = path
						if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !cmd.Bool("create") {
							return &exitError{2, fmt.Errorf("no database at %s: run this where the server keeps its data, or name it with --data-dir or --database "+
								"(the server's, such as --data-dir /var/lib/questgate); --create makes a new, empty database there", path)}
						}
					}
					log, err := logging.New(cmd.Root().ErrWriter, "text", "warn")
					if err != nil {
						return err
					}
					st, err := openStore(ctx, cmd, f.getenv, log)
					if err != nil {
						return err
					}
					defer st.Close()
					acc, err := sandbox.New(st, sandbox.Options{}).CreateAccount(ctx, cmd.String("name"))
					if err != nil {
						return err
					}
					w := cmd.Root().Writer
					if cmd.Bool("json") {
						return json.NewEncoder(w).Encode(map[string]string{"account_sid": acc.SID, "auth_token": acc.AuthToken, "database": where})
					}
					_, err = fmt.Fprintf(w, "Account SID: %s\nAuth Token:  %s\nDatabase:    %s (a server using this database accepts the account)\n",
						acc.SID, acc.AuthToken, where)
					return err
				},
			}},
		}},
	}
}

// serveSandbox is questgate sandbox's lifecycle: check its limits, listen,
// open the database and serve the sandbox alone until a signal.
func serveSandbox(ctx context.Context, cmd *cli.Command, getenv func(string) string) error {
	limits := sandboxFrom(cmd)
	if err := limits.Validate(); err != nil {
		return err
	}
	log, err := logging.New(cmd.Root().ErrWriter, cmd.String("log-format"), cmd.String("log-level"))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cmd.String("addr"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another --addr)", cmd.String("addr"), err)
	}
	defer ln.Close()
	st, err := openStore(ctx, cmd, getenv, log)
	if err != nil {
		return err
	}
	defer st.Close()
	var requests sandbox.Limiter
	if n := cmd.Int("ip-requests-per-minute"); n > 0 {
		requests = ratelimit.NewMemory(ratelimit.PerMinute(n), nil)
	}
	opts := sandboxLimits(limits, requests)
	log.Info("sandbox limits", "accounts_per_hour", limits.AccountsPerHour, "messages_per_account", limits.MessagesPerAccount,
		"calls_per_account", limits.CallsPerAccount, "media_per_account", limits.MediaPerAccount,
		"writes_per_minute", limits.WritesPerMinute, "requests_limited", requests != nil)
	opts.Step, opts.Latency = cmd.Duration("step"), cmd.Duration("latency")
	sb := sandbox.New(st, opts)
	fmt.Fprintf(cmd.Root().Writer, "questgate sandbox is serving the Twilio API on http://localhost:%s/sandbox\n"+
		"Create an account with: curl -X POST http://localhost:%[1]s/sandbox/accounts\n", portOf(ln.Addr()))
	return serveHTTP(ctx, log, ln, sandbox.Server(sb), writeTimeout(0), defaultShutdownTimeout)
}

// maxLatency bounds --latency: longer than any timeout a client would
// keep waiting, so surely a typo (10m for 10ms).
const maxLatency = 5 * time.Minute

// latency validates a simulated upstream latency: zero (none) up to
// maxLatency.
func latency(what string) func(time.Duration) error {
	return func(d time.Duration) error {
		if d < 0 || d > maxLatency {
			return fmt.Errorf("%s %s: give a delay between 0 and %s, such as 200ms", what, d, maxLatency)
		}
		return nil
	}
}

// Defaults of the sandbox's limits. Ten accounts an hour is a classroom
// behind one NAT creating a few by hand, not a script filling the disk;
// 300 writes a minute is such a classroom's players all sending at once,
// and bounds one address to some 7 MB a minute through the sandbox (a
// message stores at most 6.4 KB of text and 10 KB of media URLs).
const (
	defaultSandboxAccountsPerHour = 10
	defaultSandboxWritesPerMinute = 300
	maxSandboxQuota               = 1_000_000
)

// sandboxLimitFlags are the sandbox's bounds on what one client address
// and one account may store, for serve --sandbox and questgate sandbox;
// SandboxConfig holds them, and its Validate checks them.
func (f flags) sandboxLimitFlags() []cli.Flag {
	quota := func(name, env, what string, def int) cli.Flag {
		return &cli.IntFlag{Name: name, Value: def, Sources: f.env(env),
			Usage: fmt.Sprintf("%s one sandbox account may ever hold; more get Twilio's 429 (code 20429); 0 disables", what)}
	}
	return []cli.Flag{
		&cli.IntFlag{Name: "sandbox-accounts-per-hour", Value: defaultSandboxAccountsPerHour, Sources: f.env("QUESTGATE_SANDBOX_ACCOUNTS_PER_HOUR"),
			Usage: "sandbox accounts one client address may create per hour through POST /sandbox/accounts; 0 disables"},
		&cli.IntFlag{Name: "sandbox-writes-per-minute", Value: defaultSandboxWritesPerMinute, Sources: f.env("QUESTGATE_SANDBOX_WRITES_PER_MINUTE"),
			Usage: "messages, calls, inbound texts and keys one client address may create per minute in the sandbox; 0 disables"},
		quota("sandbox-messages-per-account", "QUESTGATE_SANDBOX_MESSAGES_PER_ACCOUNT", "messages", sandbox.DefaultQuota.Messages),
		quota("sandbox-calls-per-account", "QUESTGATE_SANDBOX_CALLS_PER_ACCOUNT", "calls", sandbox.DefaultQuota.Calls),
		quota("sandbox-media-per-account", "QUESTGATE_SANDBOX_MEDIA_PER_ACCOUNT", "media URLs (over all its messages)", sandbox.DefaultQuota.Media),
	}
}

// sandboxLimits builds the sandbox's limits from s: requests is the
// per-address budget of requests (nil for none), shared with the pages
// under serve.
func sandboxLimits(s SandboxConfig, requests sandbox.Limiter) sandbox.Options {
	opts := sandbox.Options{Requests: requests}
	if n := s.AccountsPerHour; n > 0 {
		opts.NewAccounts = ratelimit.NewMemory(ratelimit.Limit{Events: n, Per: time.Hour}, nil)
	}
	if n := s.WritesPerMinute; n > 0 {
		opts.Writes = ratelimit.NewMemory(ratelimit.PerMinute(n), nil)
	}
	unlimitedIfZero := func(n int) int {
		if n == 0 {
			return -1
		}
		return n
	}
	opts.Quota = sandbox.Quota{Messages: unlimitedIfZero(s.MessagesPerAccount),
		Calls: unlimitedIfZero(s.CallsPerAccount), Media: unlimitedIfZero(s.MediaPerAccount)}
	return opts
}

// sqliteFile is the SQLite file a database setting names, and false for
// PostgreSQL (see store.Connect).
func sqliteFile(databaseURL string) (string, bool) {
	scheme, rest, ok := strings.Cut(databaseURL, ":")
	switch {
	case ok && (scheme == "postgres" || scheme == "postgresql"):
		return "", false
	case ok && scheme == "sqlite":
		return strings.TrimPrefix(rest, "//"), true
	}
	return databaseURL, true
}
