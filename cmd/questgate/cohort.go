package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
				&cli.StringFlag{Name: "public-url", Value: "http://localhost:8080", Sources: f.env("QUESTGATE_PUBLIC_URL"),
					Usage: "URL players reach the server at, for the join link", Validator: httpURL("--public-url")},
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
				_, err = fmt.Fprintf(cmd.Root().Writer, "Cohort %q created.\nJoin link: %s%s\n",
					c.Name, strings.TrimSuffix(cmd.String("public-url"), "/"), quest.JoinPath(c))
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
