package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/store"
)

// Config is everything serve is told by its flags and environment, read
// in one place (configFrom) and checked in one place (Validate), so that
// wiring reads typed fields rather than flags by name, and the effective
// settings can be logged whole with their secrets masked.
type Config struct {
	Server   ServerConfig
	Log      LogConfig
	Database DatabaseConfig
	Twilio   TwilioConfig
	Sandbox  SandboxConfig
	Limits   LimitsConfig
	Metrics  MetricsConfig
}

// ServerConfig is how players reach the server and how it stops.
type ServerConfig struct {
	Addr string
	// PublicURL is the URL players type, without a trailing slash; empty
	// means http://localhost:<port> once the port is known.
	PublicURL string
	// CookieSecure is auto, true or false (see cookieSecure).
	CookieSecure                        string
	SessionIdleTimeout, SessionLifetime time.Duration
	// ShutdownTimeout is the grace requests in flight get on a signal.
	ShutdownTimeout time.Duration
	// Objectives is a catalog file extending the embedded one, if any.
	Objectives string
}

// LogConfig is the log's format and level, as logging.New reads them.
type LogConfig struct{ Format, Level string }

// DatabaseConfig says which database to open and how; the other commands
// that open the database read it too (databaseFrom).
type DatabaseConfig struct {
	// DataDir holds the SQLite database (unless URL names another) and
	// the secret key file.
	DataDir string
	// URL is --database: a SQLite path, sqlite:PATH or postgres://…; it
	// may hold a password, so print it only through store.RedactURL.
	URL       string
	Pool      store.PoolOptions
	NoMigrate bool
}

// TwilioConfig is how serve talks to Twilio (upstreamSettings' bounds).
type TwilioConfig struct {
	APIURL string
	// Timeout bounds a whole verification, retries included;
	// AttemptTimeout bounds one request within it.
	Timeout, AttemptTimeout time.Duration
	// MaxTries is how many requests one verification may make.
	MaxTries int
	// AccountConcurrency bounds the requests in flight per Twilio account.
	AccountConcurrency int
	// AllowPrivateWebhooks lets webhook tests call private addresses.
	AllowPrivateWebhooks bool
}

// SandboxConfig is whether serve runs the sandbox, and its limits (which
// `questgate sandbox` reads too). A zero quota means unlimited.
type SandboxConfig struct {
	Enabled                                                               bool
	AccountsPerHour, MessagesPerAccount, CallsPerAccount, MediaPerAccount int
	// WritesPerMinute bounds what one client address stores a minute
	// (messages, calls, inbound texts, keys).
	WritesPerMinute int
}

// LimitsConfig is the web defences: whom to believe about client
// addresses, and the budgets (0 turns a budget off).
type LimitsConfig struct {
	// TrustedProxies is the comma-separated list parseTrustedProxies reads.
	TrustedProxies                         string
	AttemptsPerMinute, IPRequestsPerMinute int
	MaxBodyBytes                           int64
}

// MetricsConfig says where /metrics is served: on the main listener only
// with a token (the counts by reason tell outsiders how the server is
// used); on a listener of its own at Addr, behind Token when set.
type MetricsConfig struct {
	Addr string
	// Token is a secret: it is printed masked.
	Token string
	// Pprof serves Go's profiler on Addr too (never on the main listener).
	Pprof bool
}

// onMain reports whether the main listener serves /metrics.
func (m MetricsConfig) onMain() bool { return m.Addr == "" && m.Token != "" }

// configFrom reads serve's flags (each from its command line flag, else
// its environment variable, else its default) into a Config, and
// validates it: the error lists every problem found.
func configFrom(cmd *cli.Command) (Config, error) {
	c := Config{
		Server: ServerConfig{Addr: cmd.String("addr"), PublicURL: strings.TrimSuffix(cmd.String("public-url"), "/"),
			CookieSecure: cmd.String("cookie-secure"), SessionIdleTimeout: cmd.Duration("session-idle-timeout"),
			SessionLifetime: cmd.Duration("session-lifetime"), ShutdownTimeout: cmd.Duration("shutdown-timeout"),
			Objectives: cmd.String("objectives")},
		Log:      LogConfig{Format: cmd.String("log-format"), Level: cmd.String("log-level")},
		Database: databaseFrom(cmd),
		Twilio: TwilioConfig{APIURL: cmd.String("twilio-api-url"), Timeout: cmd.Duration("twilio-timeout"),
			AttemptTimeout: cmd.Duration("twilio-attempt-timeout"), MaxTries: cmd.Int("twilio-max-tries"),
			AccountConcurrency: cmd.Int("twilio-account-concurrency"), AllowPrivateWebhooks: cmd.Bool("allow-private-webhooks")},
		Sandbox: sandboxFrom(cmd),
		Limits: LimitsConfig{TrustedProxies: cmd.String("trusted-proxies"), AttemptsPerMinute: cmd.Int("attempts-per-minute"),
			IPRequestsPerMinute: cmd.Int("ip-requests-per-minute"), MaxBodyBytes: cmd.Int64("max-body-bytes")},
		Metrics: MetricsConfig{Addr: cmd.String("metrics-addr"), Token: cmd.String("metrics-token"), Pprof: cmd.Bool("pprof")},
	}
	return c, c.Validate()
}

// databaseFrom reads the database flags of any command; those a command
// lacks read as zero, which keeps the defaults.
func databaseFrom(cmd *cli.Command) DatabaseConfig {
	return DatabaseConfig{DataDir: cmd.String("data-dir"), URL: cmd.String("database"), NoMigrate: cmd.Bool("no-migrate"),
		Pool: store.PoolOptions{MaxOpen: cmd.Int("db-max-open-conns"), MaxIdle: cmd.Int("db-max-idle-conns"),
			MaxLifetime: cmd.Duration("db-conn-max-lifetime"), MaxIdleTime: cmd.Duration("db-conn-max-idle-time")}}
}

// sandboxFrom reads the sandbox's flags, of serve or of questgate sandbox.
func sandboxFrom(cmd *cli.Command) SandboxConfig {
	return SandboxConfig{Enabled: cmd.Bool("sandbox"), AccountsPerHour: cmd.Int("sandbox-accounts-per-hour"),
		MessagesPerAccount: cmd.Int("sandbox-messages-per-account"), CallsPerAccount: cmd.Int("sandbox-calls-per-account"),
		MediaPerAccount: cmd.Int("sandbox-media-per-account"), WritesPerMinute: cmd.Int("sandbox-writes-per-minute")}
}

// databaseURL is --database, or questgate.db in --data-dir.
func (d DatabaseConfig) databaseURL() string {
	if d.URL != "" {
		return d.URL
	}
	return filepath.Join(d.DataDir, "questgate.db")
}

// envOf is the environment variable a serve flag is read from.
func envOf(flag string) string {
	if flag == "database" {
		return "QUESTGATE_DATABASE_URL"
	}
	return "QUESTGATE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// problems collects what is wrong with a configuration, each naming its
// flag and the flag's environment variable, so the operator can fix it
// wherever they set it.
type problems []error

func (p *problems) add(flag, format string, args ...any) {
	p.check(flag, fmt.Errorf("--"+flag+" "+format, args...))
}

// check records err, if any, as a problem of flag.
func (p *problems) check(flag string, err error) {
	if err != nil {
		*p = append(*p, fmt.Errorf("%w (set by --%s or %s)", err, flag, envOf(flag)))
	}
}

// Validate reports every problem of c at once, one per line, each naming
// its flag and environment variable.
func (c Config) Validate() error {
	var p problems
	p.check("public-url", optional(httpURL("--public-url"))(c.Server.PublicURL))
	p.check("cookie-secure", oneOf("--cookie-secure", "auto", "true", "false")(c.Server.CookieSecure))
	p.check("session-idle-timeout", positive("--session-idle-timeout")(c.Server.SessionIdleTimeout))
	p.check("session-lifetime", positive("--session-lifetime")(c.Server.SessionLifetime))
	p.check("shutdown-timeout", positive("--shutdown-timeout")(c.Server.ShutdownTimeout))
	p.check("twilio-api-url", httpURL("--twilio-api-url")(c.Twilio.APIURL))
	p.check("twilio-timeout", positive("--twilio-timeout")(c.Twilio.Timeout))
	p.check("twilio-attempt-timeout", positive("--twilio-attempt-timeout")(c.Twilio.AttemptTimeout))
	p.check("twilio-max-tries", intBetween("--twilio-max-tries", 1, maxMaxTries)(c.Twilio.MaxTries))
	p.check("twilio-account-concurrency", intBetween("--twilio-account-concurrency", 1, maxAccountConcurrency)(c.Twilio.AccountConcurrency))
	if c.Twilio.AttemptTimeout > c.Twilio.Timeout {
		p.add("twilio-attempt-timeout", "%v is longer than --twilio-timeout %v, which bounds the whole verification: "+
			"lower it, or raise --twilio-timeout", c.Twilio.AttemptTimeout, c.Twilio.Timeout)
	}
	if c.Server.ShutdownTimeout > 0 && c.Server.ShutdownTimeout < c.Twilio.Timeout {
		p.add("shutdown-timeout", "%v is shorter than --twilio-timeout %v: verifications in flight could be cut off "+
			"at shutdown; raise it to at least %v", c.Server.ShutdownTimeout, c.Twilio.Timeout, c.Twilio.Timeout)
	}
	p = append(p, c.Limits.problems()...)
	p = append(p, c.Database.problems()...)
	p = append(p, c.Sandbox.problems()...)
	p = append(p, c.Metrics.problems()...)
	return errors.Join(p...)
}

// optional lets an empty value through check.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

func (l LimitsConfig) problems() problems {
	var p problems
	_, err := parseTrustedProxies(l.TrustedProxies)
	p.check("trusted-proxies", err)
	p.check("attempts-per-minute", perMinute("--attempts-per-minute")(l.AttemptsPerMinute))
	p.check("ip-requests-per-minute", perMinute("--ip-requests-per-minute")(l.IPRequestsPerMinute))
	if l.MaxBodyBytes < minBodyBytes || l.MaxBodyBytes > maxBodyBytes {
		p.add("max-body-bytes", "%d: give a size in bytes between %d and %d, such as 65536", l.MaxBodyBytes, minBodyBytes, maxBodyBytes)
	}
	return p
}

func (d DatabaseConfig) problems() problems {
	var p problems
	p.check("db-max-open-conns", intBetween("--db-max-open-conns", 0, 10000)(d.Pool.MaxOpen))
	p.check("db-max-idle-conns", intBetween("--db-max-idle-conns", 0, 10000)(d.Pool.MaxIdle))
	p.check("db-conn-max-lifetime", notNegative("--db-conn-max-lifetime")(d.Pool.MaxLifetime))
	p.check("db-conn-max-idle-time", notNegative("--db-conn-max-idle-time")(d.Pool.MaxIdleTime))
	return p
}

// Validate reports every problem of the database settings, for the
// commands that read only those.
func (d DatabaseConfig) Validate() error { return errors.Join(d.problems()...) }

func (s SandboxConfig) problems() problems {
	var p problems
	for _, q := range []struct {
		flag string
		n    int
	}{{"sandbox-accounts-per-hour", s.AccountsPerHour}, {"sandbox-messages-per-account", s.MessagesPerAccount},
		{"sandbox-calls-per-account", s.CallsPerAccount}, {"sandbox-media-per-account", s.MediaPerAccount},
		{"sandbox-writes-per-minute", s.WritesPerMinute}} {
		p.check(q.flag, intBetween("--"+q.flag, 0, maxSandboxQuota)(q.n))
	}
	return p
}

// Validate reports every problem of the sandbox's limits, for questgate
// sandbox, which reads only those.
func (s SandboxConfig) Validate() error { return errors.Join(s.problems()...) }

// problems refuses a metrics address reachable from other machines
// without a token.
func (m MetricsConfig) problems() problems {
	var p problems
	if m.Pprof && m.Addr == "" {
		p.add("pprof", "the profiler is served on --metrics-addr only: set it too, such as 127.0.0.1:9090")
	}
	if m.Addr == "" || m.Token != "" {
		return p
	}
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		p.add("metrics-addr", "%q: give host:port, such as 127.0.0.1:9090", m.Addr)
		return p
	}
	if ip, err := netip.ParseAddr(host); (err == nil && ip.IsLoopback()) || host == "localhost" {
		return p
	}
	p.add("metrics-addr", "%s can be reached from other machines: bind it to 127.0.0.1 (or [::1]), "+
		"or set --metrics-token (QUESTGATE_METRICS_TOKEN)", m.Addr)
	return p
}

// masked stands for a secret that is set; an unset one prints empty.
func masked(secret string) string {
	if secret == "" {
		return ""
	}
	return "xxxxx"
}

// redactURL hides a password an http URL may carry, such as
// https://user:pass@proxy.example.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return masked(s)
	}
	return u.Redacted()
}

// settings lists c's effective settings by flag name, in the order
// --help shows them, secrets masked: what String and LogValue print.
func (c Config) settings() [][2]string {
	d := func(v time.Duration) string { return v.String() }
	i := func(v int) string { return fmt.Sprint(v) }
	return [][2]string{
		{"addr", c.Server.Addr}, {"public-url", redactURL(c.Server.PublicURL)},
		{"data-dir", c.Database.DataDir}, {"database", store.RedactURL(c.Database.databaseURL())},
		{"log-format", c.Log.Format}, {"log-level", c.Log.Level},
		{"twilio-api-url", redactURL(c.Twilio.APIURL)}, {"twilio-timeout", d(c.Twilio.Timeout)},
		{"allow-private-webhooks", fmt.Sprint(c.Twilio.AllowPrivateWebhooks)},
		{"sandbox", fmt.Sprint(c.Sandbox.Enabled)}, {"cookie-secure", c.Server.CookieSecure},
		{"session-idle-timeout", d(c.Server.SessionIdleTimeout)}, {"session-lifetime", d(c.Server.SessionLifetime)},
		{"objectives", c.Server.Objectives}, {"no-migrate", fmt.Sprint(c.Database.NoMigrate)},
		{"trusted-proxies", c.Limits.TrustedProxies}, {"attempts-per-minute", i(c.Limits.AttemptsPerMinute)},
		{"ip-requests-per-minute", i(c.Limits.IPRequestsPerMinute)}, {"max-body-bytes", fmt.Sprint(c.Limits.MaxBodyBytes)},
		{"twilio-attempt-timeout", d(c.Twilio.AttemptTimeout)}, {"twilio-max-tries", i(c.Twilio.MaxTries)},
		{"twilio-account-concurrency", i(c.Twilio.AccountConcurrency)}, {"shutdown-timeout", d(c.Server.ShutdownTimeout)},
		{"metrics-token", masked(c.Metrics.Token)}, {"metrics-addr", c.Metrics.Addr}, {"pprof", fmt.Sprint(c.Metrics.Pprof)},
		{"db-max-open-conns", i(c.Database.Pool.MaxOpen)}, {"db-max-idle-conns", i(c.Database.Pool.MaxIdle)},
		{"db-conn-max-lifetime", d(c.Database.Pool.MaxLifetime)}, {"db-conn-max-idle-time", d(c.Database.Pool.MaxIdleTime)},
		{"sandbox-accounts-per-hour", i(c.Sandbox.AccountsPerHour)},
		{"sandbox-messages-per-account", i(c.Sandbox.MessagesPerAccount)},
		{"sandbox-calls-per-account", i(c.Sandbox.CallsPerAccount)}, {"sandbox-media-per-account", i(c.Sandbox.MediaPerAccount)},
		{"sandbox-writes-per-minute", i(c.Sandbox.WritesPerMinute)},
	}
}

// String prints c as flags, one per line, secrets masked: safe to show.
func (c Config) String() string {
	var b strings.Builder
	for _, s := range c.settings() {
		fmt.Fprintf(&b, "--%s=%q\n", s[0], s[1])
	}
	return b.String()
}

// GoString is String, so that %#v shows no secret either.
func (c Config) GoString() string { return c.String() }

// String shows d with its password masked, should d be printed alone.
func (d DatabaseConfig) String() string {
	return fmt.Sprintf("{DataDir:%s URL:%s Pool:%+v NoMigrate:%v}", d.DataDir, store.RedactURL(d.URL), d.Pool, d.NoMigrate)
}

// String shows m with its token masked, should m be printed alone.
func (m MetricsConfig) String() string {
	return fmt.Sprintf("{Addr:%s Token:%s Pprof:%v}", m.Addr, masked(m.Token), m.Pprof)
}

// LogValue logs c as a group keyed by flag name, secrets masked, so that
// no handler (JSON or text) ever sees a token or a database password.
func (c Config) LogValue() slog.Value {
	settings := c.settings()
	attrs := make([]slog.Attr, len(settings))
	for i, s := range settings {
		attrs[i] = slog.String(s[0], s[1])
	}
	return slog.GroupValue(attrs...)
}
