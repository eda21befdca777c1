package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/catalog"
)

// objectives is the --objectives flag of serve and verify.
func (f flags) objectives() *cli.StringFlag {
	return &cli.StringFlag{Name: "objectives", Sources: f.env("QUESTGATE_OBJECTIVES"), TakesFile: true,
		Usage: "catalog file that extends or replaces the embedded objectives (see docs/objectives.md)"}
}

// loadCatalog returns the embedded catalog, combined with the file at
// path when there is one. Errors list every problem of the file, placed.
func loadCatalog(path string) (*catalog.Catalog, error) {
	base, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	if path == "" {
		return base, nil
	}
	c, err := catalog.LoadFile(path, base)
	var errs catalog.Errors
	if errors.As(err, &errs) {
		return nil, fmt.Errorf("%d problem(s) in the objectives file; `questgate objectives check %s` lists them too:\n%w", len(errs), path, err)
	}
	return c, err
}

func objectivesCommand() *cli.Command {
	return &cli.Command{
		Name:  "objectives",
		Usage: "work with objective catalog files",
		Commands: []*cli.Command{{
			Name:      "check",
			Usage:     "validate a catalog file as serve --objectives would load it: exit 0 and a summary, or exit 1 and every problem",
			ArgsUsage: "FILE",
			Action: func(ctx context.Context, cmd *cli.Command) error {
				path := cmd.Args().First()
				if path == "" || cmd.Args().Len() > 1 {
					return &exitError{2, errors.New("give one catalog file: questgate objectives check FILE")}
				}
				base, err := catalog.Default()
				if err != nil {
					return err
				}
				w := cmd.Root().Writer
				c, err := catalog.LoadFile(path, base)
				var errs catalog.Errors
				if errors.As(err, &errs) {
					for _, e := range errs {
						fmt.Fprintln(w, e)
					}
					return &exitError{1, fmt.Errorf("%s: %d problem(s)", path, len(errs))}
				}
				if err != nil {
					return &exitError{1, err}
				}
				fmt.Fprintf(w, "%s is valid. With the embedded objectives it makes %s", path, c.Summary())
				return nil
			},
		}},
	}
}

// objectiveIDs lists objective ids, for messages naming the choices.
func objectiveIDs(os []catalog.Objective) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}
