package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/logging"
	"github.com/questgate/questgate/sandbox"
)

func sandboxCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "sandbox",
		Usage: "serve only the Twilio-compatible sandbox (for a game's CI or a workshop without Twilio accounts)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: ":8081", Sources: f.env("QUESTGATE_SANDBOX_ADDR"),
				Usage: "address to listen on, host:port"},
			f.dataDir(), f.database(), f.logFormat(), f.logLevel(),
			&cli.DurationFlag{Name: "step", Value: time.Second, Sources: f.env("QUESTGATE_SANDBOX_STEP"),
				Usage: "how long a message stays queued, then sent, before its final status", Validator: positive("--step")},
			&cli.DurationFlag{Name: "latency", Sources: f.env("QUESTGATE_SANDBOX_LATENCY"),
				Usage:     "delay every API answer by this long, as the distance to Twilio does (0: answer at once)",
				Validator: latency("--latency")},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			log, err := logging.New(cmd.Root().ErrWriter, cmd.String("log-format"), cmd.String("log-level"))
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cmd.String("addr"))
			if err != nil {
				return fmt.Errorf("listen on %s: %w (choose another --addr)", cmd.String("addr"), err)
			}
			defer ln.Close()
			st, err := openStore(ctx, cmd, f.getenv, log)
			if err != nil {
				return err
			}
			defer st.Close()
			sb := sandbox.New(st, sandbox.Options{Step: cmd.Duration("step"), Latency: cmd.Duration("latency")})
			fmt.Fprintf(cmd.Root().Writer, "questgate sandbox is serving the Twilio API on http://localhost:%s/sandbox\n"+
				"Create an account with: curl -X POST http://localhost:%[1]s/sandbox/accounts\n", portOf(ln.Addr()))
			return serveHTTP(ctx, log, ln, sandbox.Server(sb), writeTimeout(0), defaultShutdownTimeout)
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
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
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
						return json.NewEncoder(w).Encode(map[string]string{"account_sid": acc.SID, "auth_token": acc.AuthToken})
					}
					_, err = fmt.Fprintf(w, "Account SID: %s\nAuth Token:  %s\n", acc.SID, acc.AuthToken)
					return err
				},
			}},
		}},
	}
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
