// Package pgfeed carries the live feed (package live's events) between
// questgate instances that share one PostgreSQL database, through
// LISTEN/NOTIFY: an instructor whose browser is connected to instance B
// sees the submission a player just made on instance A.
//
// Every instance publishes with NOTIFY and hears its own events back
// through LISTEN, like every other instance's, so there is one path and no
// event is shown twice. Events carry ids only (see live.Event), far below
// NOTIFY's 8 kB payload limit.
package pgfeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

	"github.com/questgate/questgate/live"
)

// maxChannel is the longest channel name PostgreSQL takes (NAMEDATALEN - 1).
const maxChannel = 63

// DefaultChannel is the NOTIFY channel events travel on, in the public
// schema; in another schema the channel is DefaultChannel + "_" + schema.
const DefaultChannel = "questgate_live"

// Options configure a Feed.
type Options struct {
	// Channel is the NOTIFY channel. When empty it follows the schema the
	// URL's search_path selects (see DefaultChannel): NOTIFY channels are
	// database-wide, so two deployments in two schemas of one database (a
	// staging and a production, say) must not hear each other.
	Channel string
	// Buffer is how many events may wait to be sent: a HACK never waits
	// for the database to take its event, and an event that finds the
	// buffer full is dropped (the live view shows it on its next reload).
	// Default 1024.
	Buffer int
	// ReconnectDelay is how long the listener waits before reconnecting
	// after the database went away. Default 1 s.
	ReconnectDelay time.Duration
	// Log receives connection trouble; events are never logged.
	Log *slog.Logger
}

// Feed is a live.Publisher and live.Subscriber shared by every instance
// on one PostgreSQL database. It is safe for concurrent use.
type Feed struct {
	pool    *pgxpool.Pool
	connCfg *pgx.ConnConfig
	local   *live.Broker
	opts    Options
	out     chan live.Event
	dropped atomic.Int64
}

// New returns a Feed on the database at url, handing what it hears to
// local, from which subscribers read. Nothing is sent or heard until Run.
func New(ctx context.Context, url string, local *live.Broker, opts Options) (*Feed, error) {
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.ReconnectDelay <= 0 {
		opts.ReconnectDelay = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	poolCfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// Not wrapped: pgx's text may hold part of a password.
		return nil, errors.New("live feed: invalid PostgreSQL URL")
	}
	connCfg := poolCfg.ConnConfig.Copy()
	// Publishing is one short statement at a time, from one goroutine.
	poolCfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, fmt.Errorf("live feed: %w", err)
	}
	if opts.Channel == "" {
		var schema *string // NULL when the search_path names no existing schema
		if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			pool.Close()
			return nil, fmt.Errorf("live feed: %w", err)
		}
		opts.Channel = DefaultChannel
		if schema != nil && *schema != "public" {
			opts.Channel += "_" + *schema
		}
	}
	// LISTEN truncates a longer name where pg_notify refuses it: the feed
	// would publish nothing while looking fine.
	if len(opts.Channel) > maxChannel {
		pool.Close()
		return nil, fmt.Errorf("live feed: channel %q is longer than PostgreSQL's %d bytes: use a shorter schema name or set a channel",
			opts.Channel, maxChannel)
	}
	return &Feed{pool: pool, connCfg: connCfg, local: local, opts: opts, out: make(chan live.Event, opts.Buffer)}, nil
}

// Publish queues e for every instance, this one included. It never blocks.
func (f *Feed) Publish(ctx context.Context, e live.Event) {
	select {
	case f.out <- e:
	default:
		if n := f.dropped.Add(1); n%1000 == 1 {
			f.opts.Log.WarnContext(ctx, "live feed: events dropped, the database is not taking them fast enough", "dropped", n)
		}
	}
}

// Subscribe returns the events every instance publishes from now on,
// closed when ctx is done.
func (f *Feed) Subscribe(ctx context.Context) <-chan live.Event { return f.local.Subscribe(ctx) }

// Run sends queued events and listens for everyone's until ctx is done,
// reconnecting after the database goes away; then it closes the Feed.
// Events published while the database is away are sent when it returns,
// as long as they fit the buffer; events NOTIFYed while this instance's
// listener was away are missed, as LISTEN keeps no backlog (live views
// reload what they show from the database when they reconnect).
func (f *Feed) Run(ctx context.Context) error {
	defer f.pool.Close()
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, f.connCfg)
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				f.opts.Log.WarnContext(ctx, "live feed: listener", "error", err)
			}
		},
		ReconnectDelay: f.opts.ReconnectDelay,
	}
	l.Handle(f.opts.Channel, pgxlisten.HandlerFunc(f.hear))
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.send(ctx)
	}()
	err := l.Listen(ctx)
	<-done
	if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return fmt.Errorf("live feed: %w", err)
	}
	return nil
}

// hear hands a notification to the local broker.
func (f *Feed) hear(ctx context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	var e live.Event
	if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
		return fmt.Errorf("live feed: undecodable event from pid %d: %w", n.PID, err)
	}
	f.local.Publish(ctx, e)
	return nil
}

// maxBatch bounds the events one statement sends.
const maxBatch = 64

// send NOTIFYs queued events, retrying while the database is away (and
// ctx lasts), so a short outage delays events rather than losing them.
//
// The events queued by the time the database takes one go out together,
// in one statement (one round trip and one commit for a burst of HACKs,
// not one each), in order. NOTIFY folds identical payloads sent in one
// transaction into one; events carrying ids and times, two alike say no
// more than one.
func (f *Feed) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-f.out:
			payloads := f.payloads(e)
			if len(payloads) == 0 {
				continue
			}
			if f.notify(ctx, payloads) || len(payloads) == 1 {
				continue
			}
			// The server refused the batch: one of its events (too large,
			// say). One at a time, only that one is dropped.
			for _, p := range payloads {
				f.notify(ctx, []string{p})
			}
		}
	}
}

// payloads encodes e and the events queued behind it, at most maxBatch.
func (f *Feed) payloads(e live.Event) []string {
	var out []string
	for {
		if b, err := json.Marshal(e); err == nil {
			out = append(out, string(b))
		}
		if len(out) == maxBatch {
			return out
		}
		select {
		case e = <-f.out:
		default:
			return out
		}
	}
}

// notify sends payloads in one statement, retrying while the database is
// away and ctx lasts. It reports false when the server refused them: trying
// again would stop every event behind them.
func (f *Feed) notify(ctx context.Context, payloads []string) bool {
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := f.pool.Exec(sctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", f.opts.Channel, payloads)
		cancel()
		if err == nil || ctx.Err() != nil {
			return true
		}
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
			if len(payloads) == 1 {
				f.opts.Log.WarnContext(ctx, "live feed: event refused, dropped", "error", pgErr)
			}
			return false
		}
		f.opts.Log.WarnContext(ctx, "live feed: notify", "error", err)
		select {
		case <-ctx.Done():
			return true
		case <-time.After(f.opts.ReconnectDelay):
		}
	}
}
