package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/quest"
)

func instructorCommand(f flags) *cli.Command {
	email := &cli.StringFlag{Name: "email", Required: true, Usage: "the instructor's email, used to sign in"}
	return &cli.Command{
		Name:  "instructor",
		Usage: "manage the instructors who sign in to the dashboard",
		Flags: []cli.Flag{f.dataDir(), f.database()},
		Commands: []*cli.Command{
			{
				Name:  "add",
				Usage: "add an instructor (the password is asked for, or read from stdin with --password-stdin)",
				Flags: []cli.Flag{email, &cli.BoolFlag{Name: "password-stdin", Usage: "read the password from the first line of stdin"}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					addr, err := mail.ParseAddress(cmd.String("email"))
					if err != nil || addr.Name != "" {
						return fmt.Errorf("--email %q: give a plain address such as ada@example.org", cmd.String("email"))
					}
					pw, err := readPassword(cmd)
					if err != nil {
						return err
					}
					hash, err := auth.HashPassword(pw)
					if err != nil {
						return err
					}
					st, err := connectStore(ctx, cmd)
					if err != nil {
						return err
					}
					defer st.Close()
					in, err := st.CreateInstructor(ctx, addr.Address, hash)
					if errors.Is(err, quest.ErrExists) {
						return fmt.Errorf("an instructor with email %s already exists", addr.Address)
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.Root().Writer, "Instructor %s added. Sign in at /instructor/login.\n", in.Email)
					return nil
				},
			},
			{
				Name:  "list",
				Usage: "list the instructors",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					st, err := connectStore(ctx, cmd)
					if err != nil {
						return err
					}
					defer st.Close()
					list, err := st.Instructors(ctx)
					if err != nil {
						return err
					}
					w := cmd.Root().Writer
					if len(list) == 0 {
						fmt.Fprintln(w, "No instructors yet: add one with `questgate instructor add --email ADDRESS`.")
					}
					for _, in := range list {
						fmt.Fprintf(w, "%s\tadded %s\n", in.Email, in.CreatedAt.Format("2006-01-02"))
					}
					return nil
				},
			},
			{
				Name:  "remove",
				Usage: "remove an instructor (the audit log keeps their changes)",
				Flags: []cli.Flag{email},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					st, err := connectStore(ctx, cmd)
					if err != nil {
						return err
					}
					defer st.Close()
					err = st.RemoveInstructor(ctx, cmd.String("email"))
					if errors.Is(err, quest.ErrNotFound) {
						return fmt.Errorf("no instructor with email %s", cmd.String("email"))
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.Root().Writer, "Instructor %s removed.\n", cmd.String("email"))
					return nil
				},
			},
		},
	}
}

// readPassword reads the new password from stdin (--password-stdin) or
// asks for it twice on the terminal without echoing it.
func readPassword(cmd *cli.Command) (string, error) {
	in := cmd.Root().Reader
	if cmd.Bool("password-stdin") {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to ask for the password on: pass it on stdin with --password-stdin")
	}
	w := cmd.Root().ErrWriter
	ask := func(prompt string) (string, error) {
		fmt.Fprint(w, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(w)
		return string(b), err
	}
	pw, err := ask("Password: ")
	if err != nil {
		return "", err
	}
	again, err := ask("Password again: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}
