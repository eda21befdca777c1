package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/store"
)

// connectStore opens the database the command's flags name. Pool settings
// and --no-migrate apply where the command has those flags.
func connectStore(ctx context.Context, cmd *cli.Command, opts ...store.Option) (*store.Store, error) {
	return databaseFrom(cmd).connect(ctx, opts...)
}

// connect opens the database d names, with its pool settings, and without
// applying migrations under --no-migrate.
func (d DatabaseConfig) connect(ctx context.Context, opts ...store.Option) (*store.Store, error) {
	opts = append(opts, store.WithPool(d.Pool))
	if d.NoMigrate {
		opts = append(opts, store.WithoutMigrations())
	}
	return store.Connect(ctx, d.databaseURL(), opts...)
}

// poolFlags are the connection pool settings: PostgreSQL's pool, or
// SQLite's reader pool (SQLite has one writer connection whatever they
// say). Zero keeps questgate's default for the database in use.
// DatabaseConfig.Validate checks their ranges.
func (f flags) poolFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "db-max-open-conns", Sources: f.env("QUESTGATE_DB_MAX_OPEN_CONNS"),
			Usage: "most connections open to the database, per instance (0: 4 per CPU and at least 10 on PostgreSQL; SQLite readers: 2 per CPU and at least 4)"},
		&cli.IntFlag{Name: "db-max-idle-conns", Sources: f.env("QUESTGATE_DB_MAX_IDLE_CONNS"),
			Usage: "most idle connections kept open (0: as many as may be open)"},
		&cli.DurationFlag{Name: "db-conn-max-lifetime", Sources: f.env("QUESTGATE_DB_CONN_MAX_LIFETIME"),
			Usage: "a connection older than this is closed and replaced, so the pool follows a failover (0: 30m on PostgreSQL, never on SQLite)"},
		&cli.DurationFlag{Name: "db-conn-max-idle-time", Sources: f.env("QUESTGATE_DB_CONN_MAX_IDLE_TIME"),
			Usage: "an idle connection is closed after this long (0: 5m on PostgreSQL, never on SQLite)"},
	}
}

// notNegative validates a duration flag that may be zero.
func notNegative(name string) func(time.Duration) error {
	return func(d time.Duration) error {
		if d < 0 {
			return fmt.Errorf("%s %s: must not be negative", name, d)
		}
		return nil
	}
}

// intBetween validates an integer flag's range.
func intBetween(name string, lo, hi int) func(int) error {
	return func(v int) error {
		if v < lo || v > hi {
			return fmt.Errorf("%s %d: give a number between %d and %d", name, v, lo, hi)
		}
		return nil
	}
}

func migrateCommand(f flags) *cli.Command {
	return &cli.Command{
		Name: "migrate",
		Usage: "apply the database's pending migrations and exit (serve does it at start unless --no-migrate; " +
			"on PostgreSQL, instances migrating together take turns under an advisory lock)",
		Flags: append([]cli.Flag{f.dataDir(), f.database()}, f.poolFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			db := databaseFrom(cmd)
			if err := db.Validate(); err != nil {
				return err
			}
			st, err := db.connect(ctx, store.WithoutMigrations())
			if err != nil {
				return err
			}
			n, err := st.Migrate(ctx)
			backend := "SQLite"
			if st.Backend() == store.BackendPostgres {
				backend = "PostgreSQL"
			}
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if n == 0 {
				_, err = fmt.Fprintf(cmd.Root().Writer, "The %s database is up to date: no migration to apply.\n", backend)
				return err
			}
			_, err = fmt.Fprintf(cmd.Root().Writer, "Applied %d migrations to the %s database.\n", n, backend)
			return err
		},
	}
}
