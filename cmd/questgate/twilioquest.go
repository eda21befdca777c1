package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/twilioquest"
)

// guessedPublicURL is the address commands print links on when neither
// --public-url nor QUESTGATE_PUBLIC_URL says where the server is: make
// run's.
const guessedPublicURL = "http://localhost:8080"

// publicURLFlag is the public URL of commands that print or write links
// for players.
func (f flags) publicURLFlag(what string) *cli.StringFlag {
	return &cli.StringFlag{Name: "public-url", Sources: f.env("QUESTGATE_PUBLIC_URL"),
		Usage: "URL players reach the server at, " + what + " (default: " + guessedPublicURL + ", said to be a guess)", Validator: httpURL("--public-url")}
}

// publicURL is the flag's value, or the guess and true when none was
// given.
func publicURL(cmd *cli.Command) (string, bool) {
	if u := strings.TrimSuffix(cmd.String("public-url"), "/"); u != "" {
		return u, false
	}
	return guessedPublicURL, true
}

// guessNote says that a link's address is a guess.
func guessNote(url string) string {
	return fmt.Sprintf("Note: %s is a guess (no --public-url nor QUESTGATE_PUBLIC_URL): players on other machines cannot reach localhost; "+
		"give the address they reach the server at.\n", url)
}

func twilioquestCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "twilioquest",
		Usage: "play questgate's objectives from inside TwilioQuest (see docs/twilioquest.md)",
		Commands: []*cli.Command{{
			Name:  "export",
			Usage: "write a TwilioQuest 3 extension whose objectives a cohort's players HACK in the game, verified by this server",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Required: true, Usage: "folder to write the extension into (created when missing)"},
				&cli.StringFlag{Name: "cohort", Usage: "join code of the cohort the players join (default: the only open cohort)"},
				f.publicURLFlag("for the extension's validators"),
				f.objectives(), f.dataDir(), f.database(),
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				cat, err := loadCatalog(cmd.String("objectives"))
				if err != nil {
					return err
				}
				bundle, err := locale.Load()
				if err != nil {
					return err
				}
				st, err := connectStore(ctx, cmd)
				if err != nil {
					return err
				}
				defer st.Close()
				cohort, err := exportCohort(ctx, st, cmd.String("cohort"))
				if err != nil {
					return err
				}
				url, guessed := publicURL(cmd)
				files, err := twilioquest.Export(cat, bundle, twilioquest.Options{PublicURL: url, JoinCode: cohort.JoinCode,
					CohortName: cohort.Name, Version: exportVersion()})
				if err != nil {
					return err
				}
				out := cmd.String("out")
				if err := twilioquest.WriteDir(out, files); err != nil {
					return err
				}
				w := cmd.Root().Writer
				fmt.Fprintf(w, "TwilioQuest extension for cohort %q (%s) written to %s: %d objectives, verified at %s.\n",
					cohort.Name, cohort.JoinCode, out, len(cat.All()), twilioquest.Endpoint(url, cohort.JoinCode))
				if guessed {
					fmt.Fprint(w, guessNote(url))
				}
				_, err = fmt.Fprintln(w, "Players put this folder in the game's extensions folder (Settings → Extensions); see docs/twilioquest.md.")
				return err
			},
		}},
	}
}

// exportVersion is the extension's version: the build's when it is a
// release, else 1.0.0.
func exportVersion() string {
	if v := strings.TrimPrefix(buildVersion(), "v"); v != "dev" && v != "" {
		return v
	}
	return "1.0.0"
}

// cohortFinder is what exportCohort reads.
type cohortFinder interface {
	CohortByCode(ctx context.Context, code string) (quest.Cohort, error)
	ListCohorts(ctx context.Context) ([]quest.CohortSummary, error)
}

// exportCohort is the cohort --cohort names, or the only open one.
func exportCohort(ctx context.Context, st cohortFinder, code string) (quest.Cohort, error) {
	if code != "" {
		norm, ok := quest.NormalizeJoinCode(code)
		if !ok {
			return quest.Cohort{}, &exitError{2, fmt.Errorf("--cohort %q: a join code has %d letters and digits, as `questgate cohort create` prints it", code, quest.JoinCodeLength)}
		}
		c, err := st.CohortByCode(ctx, norm)
		switch {
		case errors.Is(err, quest.ErrNotFound):
			return quest.Cohort{}, fmt.Errorf("--cohort %s: no cohort has this join code in this database", norm)
		case err != nil:
			return quest.Cohort{}, err
		case c.Archived:
			return quest.Cohort{}, fmt.Errorf("--cohort %s: the cohort %q is archived and takes no players", norm, c.Name)
		}
		return c, nil
	}
	all, err := st.ListCohorts(ctx)
	if err != nil {
		return quest.Cohort{}, err
	}
	var open []quest.Cohort
	for _, c := range all {
		if !c.Archived {
			open = append(open, c.Cohort)
		}
	}
	switch len(open) {
	case 1:
		return open[0], nil
	case 0:
		return quest.Cohort{}, &exitError{2, errors.New("no open cohort: create one with `questgate cohort create --name NAME`, then give its join code with --cohort")}
	}
	codes := make([]string, len(open))
	for i, c := range open {
		codes[i] = fmt.Sprintf("%s (%s)", c.JoinCode, c.Name)
	}
	return quest.Cohort{}, &exitError{2, fmt.Errorf("%d open cohorts: choose one with --cohort: %s", len(open), strings.Join(codes, ", "))}
}
