package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/secrets"
	"github.com/questgate/questgate/store"
)

// serveConfig parses serve's command line args with the environment env
// and returns what configFrom makes of them, without serving.
func serveConfig(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	cmd := serveCommand(flags{func(k string) string { return env[k] }})
	cmd.Writer, cmd.ErrWriter = io.Discard, io.Discard
	var cfg Config
	var cfgErr error
	cmd.Action = func(_ context.Context, c *cli.Command) error {
		cfg, cfgErr = configFrom(c)
		return nil
	}
	if err := cmd.Run(context.Background(), append([]string{"serve"}, args...)); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return cfg, cfgErr
}

// TestConfigFrom: each setting comes from its flag, else its environment
// variable, else its default.
func TestConfigFrom(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(Config) string // what is wrong, or ""
	}{
		{"defaults", nil, nil, func(c Config) string {
			if c.Server.Addr != ":8080" || c.Database.databaseURL() != "data/questgate.db" || c.Twilio.Timeout != 15*time.Second ||
				c.Twilio.APIURL != "https://api.twilio.com" || c.Server.ShutdownTimeout != defaultShutdownTimeout ||
				c.Limits.AttemptsPerMinute != defaultAttemptsPerMinute || c.Sandbox.Enabled || c.Metrics != (MetricsConfig{}) ||
				c.Server.CookieSecure != "auto" || c.Log != (LogConfig{"json", "info"}) {
				return fmt.Sprintf("%+v", c)
			}
			return ""
		}},
		{"the environment", map[string]string{"QUESTGATE_ADDR": ":9000", "QUESTGATE_TWILIO_TIMEOUT": "20s",
			"QUESTGATE_SANDBOX": "true", "QUESTGATE_METRICS_TOKEN": "tok", "QUESTGATE_DB_MAX_OPEN_CONNS": "7",
			"QUESTGATE_SANDBOX_CALLS_PER_ACCOUNT": "3", "QUESTGATE_TRUSTED_PROXIES": "10.0.0.0/8"}, nil, func(c Config) string {
			if c.Server.Addr != ":9000" || c.Twilio.Timeout != 20*time.Second || !c.Sandbox.Enabled || c.Metrics.Token != "tok" ||
				c.Database.Pool.MaxOpen != 7 || c.Sandbox.CallsPerAccount != 3 || c.Limits.TrustedProxies != "10.0.0.0/8" {
				return fmt.Sprintf("%+v", c)
			}
			return ""
		}},
		{"a flag wins over the environment", map[string]string{"QUESTGATE_ADDR": ":9000", "QUESTGATE_ATTEMPTS_PER_MINUTE": "5"},
			[]string{"--addr", ":9100", "--attempts-per-minute", "6"}, func(c Config) string {
				if c.Server.Addr != ":9100" || c.Limits.AttemptsPerMinute != 6 {
					return fmt.Sprintf("addr %q, attempts %d", c.Server.Addr, c.Limits.AttemptsPerMinute)
				}
				return ""
			}},
		{"QUESTGATE_DATABASE_URL wins over QUESTGATE_DATABASE", map[string]string{"QUESTGATE_DATABASE_URL": "a.db", "QUESTGATE_DATABASE": "b.db"},
			nil, func(c Config) string {
				if c.Database.databaseURL() != "a.db" {
					return c.Database.databaseURL()
				}
				return ""
			}},
		{"the database in the data folder", map[string]string{"QUESTGATE_DATA_DIR": "/var/lib/q"}, nil, func(c Config) string {
			if c.Database.databaseURL() != "/var/lib/q/questgate.db" {
				return c.Database.databaseURL()
			}
			return ""
		}},
		{"a public URL without its trailing slash", nil, []string{"--public-url", "https://quest.example/"}, func(c Config) string {
			if c.Server.PublicURL != "https://quest.example" {
				return c.Server.PublicURL
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := serveConfig(t, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("configFrom: %v", err)
			}
			if wrong := tt.check(c); wrong != "" {
				t.Errorf("got %s", wrong)
			}
		})
	}
}

// TestConfigValidate: every problem is refused with words that name the
// flag and its environment variable, whichever of them set it.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"public URL", nil, []string{"--public-url", "quest.example"},
			`--public-url "quest.example": give an absolute http:// or https:// URL without query, such as https://api.twilio.com (set by --public-url or QUESTGATE_PUBLIC_URL)`},
		{"cookie", map[string]string{"QUESTGATE_COOKIE_SECURE": "yes"}, nil,
			`--cookie-secure "yes": use one of auto, true, false (set by --cookie-secure or QUESTGATE_COOKIE_SECURE)`},
		{"idle timeout", nil, []string{"--session-idle-timeout", "0s"},
			"--session-idle-timeout must be positive, such as 15s (set by --session-idle-timeout or QUESTGATE_SESSION_IDLE_TIMEOUT)"},
		{"lifetime", nil, []string{"--session-lifetime", "-1h"},
			"--session-lifetime must be positive, such as 15s (set by --session-lifetime or QUESTGATE_SESSION_LIFETIME)"},
		{"shutdown", nil, []string{"--shutdown-timeout", "0s"},
			"--shutdown-timeout must be positive, such as 15s (set by --shutdown-timeout or QUESTGATE_SHUTDOWN_TIMEOUT)"},
		{"shutdown shorter than a verification", nil, []string{"--shutdown-timeout", "10s"},
			"--shutdown-timeout 10s is shorter than --twilio-timeout 15s: verifications in flight could be cut off at shutdown; " +
				"raise it to at least 15s (set by --shutdown-timeout or QUESTGATE_SHUTDOWN_TIMEOUT)"},
		{"Twilio URL", map[string]string{"QUESTGATE_TWILIO_API_URL": "https://api.twilio.com?x=1"}, nil,
			`--twilio-api-url "https://api.twilio.com?x=1": give an absolute http:// or https:// URL without query, such as https://api.twilio.com (set by --twilio-api-url or QUESTGATE_TWILIO_API_URL)`},
		{"Twilio timeout", nil, []string{"--twilio-timeout", "0s", "--twilio-attempt-timeout", "0s"},
			"--twilio-timeout must be positive, such as 15s (set by --twilio-timeout or QUESTGATE_TWILIO_TIMEOUT)\n" +
				"--twilio-attempt-timeout must be positive, such as 15s (set by --twilio-attempt-timeout or QUESTGATE_TWILIO_ATTEMPT_TIMEOUT)"},
		{"attempt timeout", map[string]string{"QUESTGATE_TWILIO_ATTEMPT_TIMEOUT": "-1s"}, nil,
			"--twilio-attempt-timeout must be positive, such as 15s (set by --twilio-attempt-timeout or QUESTGATE_TWILIO_ATTEMPT_TIMEOUT)"},
		{"attempt longer than the verification", nil, []string{"--twilio-timeout", "5s", "--twilio-attempt-timeout", "6s", "--shutdown-timeout", "5s"},
			"--twilio-attempt-timeout 6s is longer than --twilio-timeout 5s, which bounds the whole verification: lower it, or raise --twilio-timeout " +
				"(set by --twilio-attempt-timeout or QUESTGATE_TWILIO_ATTEMPT_TIMEOUT)"},
		{"tries", map[string]string{"QUESTGATE_TWILIO_MAX_TRIES": "11"}, nil,
			"--twilio-max-tries 11: give a number between 1 and 10 (set by --twilio-max-tries or QUESTGATE_TWILIO_MAX_TRIES)"},
		{"concurrency", nil, []string{"--twilio-account-concurrency", "0"},
			"--twilio-account-concurrency 0: give a number between 1 and 1000 (set by --twilio-account-concurrency or QUESTGATE_TWILIO_ACCOUNT_CONCURRENCY)"},
		{"proxies", map[string]string{"QUESTGATE_TRUSTED_PROXIES": "everyone"}, nil,
			`--trusted-proxies: "everyone" is neither a CIDR such as 10.0.0.0/8 nor an address such as 192.0.2.10; give the proxies' networks separated by commas (set by --trusted-proxies or QUESTGATE_TRUSTED_PROXIES)`},
		{"attempts", nil, []string{"--attempts-per-minute", "-1"},
			"--attempts-per-minute -1: give a number of requests per minute between 1 and 1000000, or 0 to turn the limit off (set by --attempts-per-minute or QUESTGATE_ATTEMPTS_PER_MINUTE)"},
		{"requests", map[string]string{"QUESTGATE_IP_REQUESTS_PER_MINUTE": "1000001"}, nil,
			"--ip-requests-per-minute 1000001: give a number of requests per minute between 1 and 1000000, or 0 to turn the limit off (set by --ip-requests-per-minute or QUESTGATE_IP_REQUESTS_PER_MINUTE)"},
		{"body", nil, []string{"--max-body-bytes", "10"},
			"--max-body-bytes 10: give a size in bytes between 1024 and 16777216, such as 65536 (set by --max-body-bytes or QUESTGATE_MAX_BODY_BYTES)"},
		{"open connections", nil, []string{"--db-max-open-conns", "-1"},
			"--db-max-open-conns -1: give a number between 0 and 10000 (set by --db-max-open-conns or QUESTGATE_DB_MAX_OPEN_CONNS)"},
		{"idle connections", map[string]string{"QUESTGATE_DB_MAX_IDLE_CONNS": "10001"}, nil,
			"--db-max-idle-conns 10001: give a number between 0 and 10000 (set by --db-max-idle-conns or QUESTGATE_DB_MAX_IDLE_CONNS)"},
		{"connection lifetime", nil, []string{"--db-conn-max-lifetime", "-1m"},
			"--db-conn-max-lifetime -1m0s: must not be negative (set by --db-conn-max-lifetime or QUESTGATE_DB_CONN_MAX_LIFETIME)"},
		{"connection idle time", nil, []string{"--db-conn-max-idle-time", "-1s"},
			"--db-conn-max-idle-time -1s: must not be negative (set by --db-conn-max-idle-time or QUESTGATE_DB_CONN_MAX_IDLE_TIME)"},
		{"sandbox accounts", nil, []string{"--sandbox-accounts-per-hour", "-1"},
			"--sandbox-accounts-per-hour -1: give a number between 0 and 1000000 (set by --sandbox-accounts-per-hour or QUESTGATE_SANDBOX_ACCOUNTS_PER_HOUR)"},
		{"sandbox messages", map[string]string{"QUESTGATE_SANDBOX_MESSAGES_PER_ACCOUNT": "-2"}, nil,
			"--sandbox-messages-per-account -2: give a number between 0 and 1000000 (set by --sandbox-messages-per-account or QUESTGATE_SANDBOX_MESSAGES_PER_ACCOUNT)"},
		{"sandbox calls", nil, []string{"--sandbox-calls-per-account", "1000001"},
			"--sandbox-calls-per-account 1000001: give a number between 0 and 1000000 (set by --sandbox-calls-per-account or QUESTGATE_SANDBOX_CALLS_PER_ACCOUNT)"},
		{"sandbox media", nil, []string{"--sandbox-media-per-account", "-1"},
			"--sandbox-media-per-account -1: give a number between 0 and 1000000 (set by --sandbox-media-per-account or QUESTGATE_SANDBOX_MEDIA_PER_ACCOUNT)"},
		{"metrics address", nil, []string{"--metrics-addr", "9090"},
			`--metrics-addr "9090": give host:port, such as 127.0.0.1:9090 (set by --metrics-addr or QUESTGATE_METRICS_ADDR)`},
		{"public metrics without a token", map[string]string{"QUESTGATE_METRICS_ADDR": "0.0.0.0:9090"}, nil,
			"--metrics-addr 0.0.0.0:9090 can be reached from other machines: bind it to 127.0.0.1 (or [::1]), or set --metrics-token (QUESTGATE_METRICS_TOKEN) " +
				"(set by --metrics-addr or QUESTGATE_METRICS_ADDR)"},
		{"every problem at once", nil, []string{"--max-body-bytes", "10", "--cookie-secure", "maybe", "--db-max-open-conns", "-1"},
			`--cookie-secure "maybe": use one of auto, true, false (set by --cookie-secure or QUESTGATE_COOKIE_SECURE)` + "\n" +
				"--max-body-bytes 10: give a size in bytes between 1024 and 16777216, such as 65536 (set by --max-body-bytes or QUESTGATE_MAX_BODY_BYTES)\n" +
				"--db-max-open-conns -1: give a number between 0 and 10000 (set by --db-max-open-conns or QUESTGATE_DB_MAX_OPEN_CONNS)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serveConfig(t, tt.env, tt.args...)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
	for _, args := range [][]string{nil, {"--metrics-addr", "127.0.0.1:9090"}, {"--metrics-addr", "[::1]:0"},
		{"--metrics-addr", ":9090", "--metrics-token", "t"}, {"--public-url", "http://localhost:8080/", "--trusted-proxies", "10.0.0.1"}} {
		if _, err := serveConfig(t, nil, args...); err != nil {
			t.Errorf("%v: %v, want a valid configuration", args, err)
		}
	}
}

// TestServeFlagsNameTheirEnvironment: the variable a problem names is the
// one the flag reads.
func TestServeFlagsNameTheirEnvironment(t *testing.T) {
	for _, fl := range serveCommand(flags{func(string) string { return "" }}).Flags {
		name := fl.Names()[0]
		ev, ok := fl.(interface{ GetEnvVars() []string })
		if !ok || len(ev.GetEnvVars()) == 0 {
			t.Errorf("--%s reads no environment variable", name)
			continue
		}
		if got := ev.GetEnvVars()[0]; got != envOf(name) {
			t.Errorf("--%s reads %s, but its problems name %s", name, got, envOf(name))
		}
	}
}

// TestConfigNeverPrintsASecret prints a configuration holding every
// secret serve knows every way it can be printed or logged.
func TestConfigNeverPrintsASecret(t *testing.T) {
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const token, dbPassword, proxyPassword = "metrics-token-4f8a9c", "db-pass-7e1d0b", "proxy-pass-2b6c"
	env := map[string]string{
		"QUESTGATE_METRICS_TOKEN":  token,
		"QUESTGATE_DATABASE_URL":   "postgres://questgate:" + dbPassword + "@db.example:5432/questgate?sslmode=require",
		"QUESTGATE_TWILIO_API_URL": "https://relay:" + proxyPassword + "@twilio-relay.example",
		secrets.EnvKey:             key.String(),
	}
	c, err := serveConfig(t, env)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("configuration", "config", c)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("configuration", "config", c)
	printed := map[string]string{
		"String": c.String(), "%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"a pointer": fmt.Sprint(&c), "the log": logged.String(),
	}
	for how, out := range printed {
		for _, secret := range []string{token, dbPassword, proxyPassword, key.String()} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows a secret:\n%s", how, out)
			}
		}
		if !strings.Contains(out, "db.example") || !strings.Contains(out, "metrics-token") {
			t.Errorf("%s does not show the configuration, so this test proves little:\n%s", how, out)
		}
	}
	if want := `--database="postgres://questgate:xxxxx@db.example:5432/questgate?sslmode=require"`; !strings.Contains(c.String(), want) {
		t.Errorf("String() does not say %s:\n%s", want, c)
	}
	if want := `--metrics-token="xxxxx"`; !strings.Contains(c.String(), want) {
		t.Errorf("String() does not say %s:\n%s", want, c)
	}
}

// TestServeLogsItsConfiguration: serve logs its effective configuration
// at start (the public URL its port gives included), token masked.
func TestServeLogsItsConfiguration(t *testing.T) {
	const token = "metrics-token-for-the-log-test"
	logs := &syncBuffer{}
	startServerWith(t, serverOptions{stderr: logs, logLevel: "info", env: map[string]string{"QUESTGATE_METRICS_TOKEN": token}},
		"--attempts-per-minute", "7")
	logged := logs.String()
	if !strings.Contains(logged, `"msg":"configuration"`) || !strings.Contains(logged, `"attempts-per-minute":"7"`) ||
		!strings.Contains(logged, `"metrics-token":"xxxxx"`) || !strings.Contains(logged, `"public-url":"http://localhost:`) {
		t.Errorf("the log does not show the configuration:\n%s", logged)
	}
	if strings.Contains(logged, token) {
		t.Errorf("the log shows the metrics token:\n%s", logged)
	}
}

// TestConfigMasksTheDatabaseAsTheStoreDoes: the configuration masks the
// database URL exactly as store.RedactURL does, and so does a
// DatabaseConfig or a MetricsConfig printed alone.
func TestConfigMasksTheDatabaseAsTheStoreDoes(t *testing.T) {
	for _, u := range []string{"postgres://u:p@h/d", "postgres://u:p@x@h/d", "data/q.db"} {
		c := Config{Database: DatabaseConfig{URL: u}}
		if want := fmt.Sprintf("--database=%q", store.RedactURL(u)); !strings.Contains(c.String(), want) {
			t.Errorf("%s: String() lacks %s", u, want)
		}
	}
	d := DatabaseConfig{URL: "postgres://u:hidden-pw@h/d"}
	m := MetricsConfig{Token: "hidden-token"}
	for _, out := range []string{fmt.Sprint(d), fmt.Sprintf("%+v", d), fmt.Sprint(m), fmt.Sprintf("%+v", &m)} {
		if strings.Contains(out, "hidden-") {
			t.Errorf("printed alone: %s", out)
		}
	}
}

// TestOtherCommandsCheckTheirShare: migrate and sandbox, which share the
// database and sandbox settings with serve, refuse the same problems in
// the same words.
func TestOtherCommandsCheckTheirShare(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"migrate, a pool size", []string{"migrate", "--db-max-open-conns", "-1"}, nil,
			"--db-max-open-conns -1: give a number between 0 and 10000 (set by --db-max-open-conns or QUESTGATE_DB_MAX_OPEN_CONNS)"},
		{"migrate, a lifetime from the environment", []string{"migrate"}, map[string]string{"QUESTGATE_DB_CONN_MAX_LIFETIME": "-1s"},
			"--db-conn-max-lifetime -1s: must not be negative (set by --db-conn-max-lifetime or QUESTGATE_DB_CONN_MAX_LIFETIME)"},
		{"sandbox, a quota", []string{"sandbox", "--addr", "127.0.0.1:0", "--sandbox-calls-per-account", "-1"}, nil,
			"--sandbox-calls-per-account -1: give a number between 0 and 1000000 (set by --sandbox-calls-per-account or QUESTGATE_SANDBOX_CALLS_PER_ACCOUNT)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"questgate"}, tt.args...), "--data-dir", t.TempDir())
			err := run(context.Background(), args, func(k string) string { return tt.env[k] }, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}
