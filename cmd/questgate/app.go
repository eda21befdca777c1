package main

import (
	"fmt"
	"io"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v3"
)

// version is the build's version, set by the linker or read from the module.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// envSource reads a flag's value from an environment variable through the
// getenv passed to run, so tests never touch the process environment.
type envSource struct {
	getenv func(string) string
	key    string
}

func (e envSource) Lookup() (string, bool) {
	v := e.getenv(e.key)
	return v, v != ""
}
func (e envSource) String() string   { return fmt.Sprintf("environment variable %q", e.key) }
func (e envSource) GoString() string { return e.String() }
func (e envSource) IsFromEnv() bool  { return true }
func (e envSource) Key() string      { return e.key }

// flags builds flags whose environment variable is QUESTGATE_<NAME>.
type flags struct{ getenv func(string) string }

func (f flags) env(name string) cli.ValueSourceChain {
	return cli.NewValueSourceChain(envSource{f.getenv, name})
}

func newApp(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) *cli.Command {
	f := flags{getenv}
	return &cli.Command{
		Name:      "questgate",
		Usage:     "verify Twilio quest objectives: players paste a SID, questgate confirms it in their Twilio account",
		Version:   buildVersion(),
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			serveCommand(f),
			sandboxCommand(f),
			verifyCommand(f),
			objectivesCommand(),
			keysCommand(f),
			cohortCommand(f),
			instructorCommand(f),
			apikeyCommand(f),
			migrateCommand(f),
			twilioquestCommand(f),
		},
	}
}

// Shared flags.

func (f flags) dataDir() *cli.StringFlag {
	return &cli.StringFlag{Name: "data-dir", Value: "data", Sources: f.env("QUESTGATE_DATA_DIR"),
		Usage: "folder for the SQLite database and other local state"}
}

func (f flags) database() *cli.StringFlag {
	return &cli.StringFlag{Name: "database", Aliases: []string{"database-url"},
		Sources: cli.NewValueSourceChain(envSource{f.getenv, "QUESTGATE_DATABASE_URL"}, envSource{f.getenv, "QUESTGATE_DATABASE"}),
		Usage:   "the database: a SQLite file (a path, or sqlite:PATH) or PostgreSQL (postgres://…); default: questgate.db in the data folder"}
}

func (f flags) logFormat() *cli.StringFlag {
	return &cli.StringFlag{Name: "log-format", Value: "json", Sources: f.env("QUESTGATE_LOG_FORMAT"),
		Usage: "log format: json or text"}
}

func (f flags) logLevel() *cli.StringFlag {
	return &cli.StringFlag{Name: "log-level", Value: "info", Sources: f.env("QUESTGATE_LOG_LEVEL"),
		Usage: "log level: debug, info, warn or error"}
}

// httpURL checks that s is an absolute http or https URL without a query.
func httpURL(what string) func(string) error {
	return func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%s %q: give an absolute http:// or https:// URL without query, such as https://api.twilio.com", what, s)
		}
		return nil
	}
}

// oneOf checks that a flag's value is one of choices.
func oneOf(what string, choices ...string) func(string) error {
	return func(s string) error {
		for _, c := range choices {
			if s == c {
				return nil
			}
		}
		return fmt.Errorf("%s %q: use one of %s", what, s, strings.Join(choices, ", "))
	}
}

func positive(what string) func(time.Duration) error {
	return func(d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("%s must be positive, such as 15s", what)
		}
		return nil
	}
}
