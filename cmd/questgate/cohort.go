package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/quest"
)

func cohortCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "cohort",
		Usage: "manage cohorts (the groups players join with a link)",
		Commands: []*cli.Command{{
			Name:  "create",
			Usage: "create a cohort and print its join link",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "name", Required: true, Usage: "the cohort's name, as players see it (1 to 80 characters)"},
				f.publicURLFlag("for the join link"),
				f.dataDir(), f.database(),
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				// Cohorts hold no secret: the store needs no key.
				st, err := connectStore(ctx, cmd)
				if err != nil {
					return err
				}
				defer st.Close()
				c, err := quest.NewPlayers(st).CreateCohort(ctx, cmd.String("name"))
				if ne, ok := errors.AsType[*quest.NameError](err); ok {
					return fmt.Errorf("--name: %s", cohortNameProblem(ne))
				}
				if err != nil {
					return err
				}
				url, guessed := publicURL(cmd)
				w := cmd.Root().Writer
				if _, err := fmt.Fprintf(w, "Cohort %q created.\nJoin code: %s\nJoin link: %s%s\n", c.Name, c.JoinCode, url, quest.JoinPath(c)); err != nil {
					return err
				}
				if guessed {
					_, err = fmt.Fprint(w, guessNote(url))
				}
				return err
			},
		}},
	}
}

// cohortNameProblem says in words what is wrong with a cohort name.
func cohortNameProblem(ne *quest.NameError) string {
	switch ne.Problem {
	case quest.NameRequired:
		return "give the cohort a name"
	case quest.NameTooLong:
		return fmt.Sprintf("the name is too long: use at most %d characters", ne.Max)
	default:
		return "the name holds a control character (a line break, a tab…): use one plain line"
	}
}
