package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/secrets"
	"github.com/questgate/questgate/store"
)

// keySource is where the commands find the secret keys: the environment
// read through getenv, else the key files in --data-dir.
func keySource(cmd *cli.Command, getenv func(string) string) secrets.Source {
	return secrets.Source{Dir: cmd.String("data-dir"), Getenv: getenv}
}

// openStore opens the database with the secret keys, creating the key file
// on first start, and tells the operator what they must know about it: a
// new key file to back up, or an unfinished rotation to finish.
func openStore(ctx context.Context, cmd *cli.Command, getenv func(string) string, log *slog.Logger) (*store.Store, error) {
	return databaseFrom(cmd).open(ctx, getenv, log)
}

// open is openStore for the database d names, its key in d.DataDir or
// the environment read through getenv.
func (d DatabaseConfig) open(ctx context.Context, getenv func(string) string, log *slog.Logger) (*store.Store, error) {
	src := secrets.Source{Dir: d.DataDir, Getenv: getenv}
	ks, err := src.LoadOrCreate()
	if err != nil {
		return nil, err
	}
	if ks.Created {
		log.Warn("created a new secret key: back it up with the database, without it saved Twilio credentials cannot be read",
			"file", ks.File, "key_id", ks.Ring.Current().ID())
	}
	if ks.Next != nil {
		log.Warn("found the key of an unfinished rotation and loaded it: run `questgate keys rotate` again to finish",
			"file", src.NextFile(), "key_id", ks.Next.ID())
	}
	reload := func() (*secrets.Ring, error) {
		ks, err := src.Load()
		if err != nil {
			return nil, err
		}
		return ks.Ring, nil
	}
	st, err := d.connect(ctx, store.WithSecrets(ks.Ring, reload), store.WithLogger(log))
	if err == nil && !ks.FromEnv && st.Backend() == store.BackendPostgres {
		log.Warn("the secret key is in a file of this machine, but the database is shared: every instance must use the same key, "+
			"or they cannot read each other's saved credentials; set "+secrets.EnvKey+" on every instance",
			"file", ks.File, "key_id", ks.Ring.Current().ID())
	}
	return st, err
}

func keysCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "manage the secret key that seals players' Twilio secrets",
		Commands: []*cli.Command{
			{
				Name: "rotate",
				Usage: "re-seal every secret with a new key (a new key file, or " + secrets.EnvNewKey +
					" when the key is in " + secrets.EnvKey + "); safe to run again after a crash",
				Flags: []cli.Flag{f.dataDir(), f.database()},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					return rotateKeys(ctx, cmd, f.getenv, cmd.Root().Writer)
				},
			},
			{
				Name:  "generate",
				Usage: "print a new random key, for " + secrets.EnvKey + " or " + secrets.EnvNewKey,
				Action: func(_ context.Context, cmd *cli.Command) error {
					k, err := secrets.GenerateKey()
					if err != nil {
						return err
					}
					_, err = fmt.Fprintln(cmd.Root().Writer, k.String())
					return err
				},
			},
		},
	}
}

// rotateKeys re-seals every secret with a new key. With key files it is
// safe at every step: the new key is written to secret.key.next first
// (servers load it too, so whatever is sealed with it stays readable), the
// secrets are re-sealed in one transaction, and only then does the new key
// replace secret.key. A crash anywhere leaves every secret readable, and
// running rotate again finishes the job with the same new key.
func rotateKeys(ctx context.Context, cmd *cli.Command, getenv func(string) string, out io.Writer) error {
	src := keySource(cmd, getenv)
	ks, err := src.Load()
	if err != nil {
		return err
	}
	target, err := src.RotationTarget(ks)
	if err != nil {
		return err
	}
	ring := ks.Ring.RotatingTo(target)
	st, err := connectStore(ctx, cmd, store.WithSecrets(ring, nil))
	if err != nil {
		return err
	}
	n, err := st.Reseal(ctx, ring)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if ks.FromEnv {
		_, err = fmt.Fprintf(out, "Re-sealed %d secrets with key %s.\n"+
			"Now run every questgate with %s set to that key and %s set to the old one; once all of them do,\n"+
			"run `questgate keys rotate` once more with the new key in %s, then remove %s.\n",
			n, target.ID(), secrets.EnvKey, secrets.EnvPreviousKey, secrets.EnvKey, secrets.EnvPreviousKey)
		return err
	}
	if err := src.FinishRotation(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "Re-sealed %d secrets with key %s, now in %s.\n"+
		"The old key is gone: back up the new key file with the database.\n", n, target.ID(), src.File())
	return err
}
