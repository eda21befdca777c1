package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
)

// Defaults of serve's web defences. The per-address limit is generous: a
// classroom behind one NAT shares an address (300 players opening a few
// pages each in the first minute of a workshop is well over a thousand
// requests), and players are limited one by one by the failure budget
// (CTFd's lesson). 3,000 a minute still stops one address flooding.
const (
	defaultAttemptsPerMinute   = 10
	defaultIPRequestsPerMinute = 3000
	maxPerMinute               = 1_000_000
	minBodyBytes               = 1 << 10
	maxBodyBytes               = 16 << 20
)

// defenceFlags are serve's flags for the web defences; LimitsConfig
// holds them, and Config.Validate checks them.
func (f flags) defenceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "trusted-proxies", Sources: f.env("QUESTGATE_TRUSTED_PROXIES"),
			Usage: "comma-separated CIDRs (or addresses) of the reverse proxies in front of questgate, whose " +
				"X-Forwarded-For and X-Forwarded-Proto are believed (default: none, the connection's own address counts)"},
		&cli.IntFlag{Name: "attempts-per-minute", Value: defaultAttemptsPerMinute, Sources: f.env("QUESTGATE_ATTEMPTS_PER_MINUTE"),
			Usage: "failed attempts a player may make at one objective per minute before being asked to wait; 0 disables"},
		&cli.IntFlag{Name: "ip-requests-per-minute", Value: defaultIPRequestsPerMinute, Sources: f.env("QUESTGATE_IP_REQUESTS_PER_MINUTE"),
			Usage: "requests one client address may make per minute to the player pages and the sandbox (not static files); 0 disables"},
		&cli.Int64Flag{Name: "max-body-bytes", Value: handlers.DefaultMaxBodyBytes, Sources: f.env("QUESTGATE_MAX_BODY_BYTES"),
			Usage: "largest request body accepted outside the sandbox, in bytes; larger ones get 413"},
	}
}

func perMinute(what string) func(int) error {
	return func(n int) error {
		if n < 0 || n > maxPerMinute {
			return fmt.Errorf("%s %d: give a number of requests per minute between 1 and %d, or 0 to turn the limit off", what, n, maxPerMinute)
		}
		return nil
	}
}

// parseTrustedProxies reads --trusted-proxies: comma-separated CIDRs, or
// bare addresses meaning just that address.
func parseTrustedProxies(s string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is neither a CIDR such as 10.0.0.0/8 nor an address such as 192.0.2.10; "+
					"give the proxies' networks separated by commas", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		p = p.Masked()
		nets = append(nets, &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())})
	}
	return nets, nil
}

// defences builds serve's web defences from l: the failure budget quest
// enforces (nil when off), and the handlers' settings.
func defences(l LimitsConfig) (quest.Limiter, handlers.Config, error) {
	proxies, err := parseTrustedProxies(l.TrustedProxies)
	if err != nil {
		return nil, handlers.Config{}, err
	}
	web := handlers.Config{MaxBodyBytes: l.MaxBodyBytes, TrustedProxies: proxies}
	if n := l.IPRequestsPerMinute; n > 0 {
		web.IPLimiter = ratelimit.NewMemory(ratelimit.PerMinute(n), nil)
	}
	var failures quest.Limiter
	if n := l.AttemptsPerMinute; n > 0 {
		failures = ratelimit.NewMemory(ratelimit.PerMinute(n), nil)
	}
	return failures, web, nil
}
