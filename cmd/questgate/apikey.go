package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/logging"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/webhook"
)

func apikeyCommand(f flags) *cli.Command {
	common := func(more ...cli.Flag) []cli.Flag { return append(more, f.dataDir(), f.database()) }
	return &cli.Command{
		Name:  "apikey",
		Usage: "manage the API keys of games embedding questgate (JSON API, widget, webhooks)",
		Commands: []*cli.Command{
			{
				Name:  "create",
				Usage: "create a key and print it, with its secrets, once",
				Flags: common(
					&cli.StringFlag{Name: "name", Required: true, Usage: "the game's name, to tell keys apart"},
					&cli.StringSliceFlag{Name: "webhook", Usage: "an endpoint (absolute http:// or https:// URL) to send objective.completed events to, signed per Standard Webhooks (repeatable)"},
					&cli.StringSliceFlag{Name: "origin", Usage: "a web origin allowed to call the API from a browser and to frame the widget, such as https://game.example (repeatable)"},
				),
				Action: func(ctx context.Context, cmd *cli.Command) error { return createAPIKey(ctx, cmd, f.getenv) },
			},
			{
				Name:  "list",
				Usage: "list the keys (never the keys themselves)",
				Flags: common(),
				Action: func(ctx context.Context, cmd *cli.Command) error {
					st, err := connectStore(ctx, cmd)
					if err != nil {
						return err
					}
					defer st.Close()
					keys, err := st.APIKeys(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.Root().Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tNAME\tKEY\tORIGINS\tCREATED\tSTATE")
					for _, k := range keys {
						state := "active"
						if k.Revoked() {
							state = "revoked " + k.RevokedAt.Format("2006-01-02 15:04")
						}
						fmt.Fprintf(w, "%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, strings.Join(k.Origins, " "),
							k.CreatedAt.Format("2006-01-02 15:04"), state)
					}
					return w.Flush()
				},
			},
			{
				Name:      "revoke",
				Usage:     "revoke a key: calls, widgets and webhooks with it stop at once",
				ArgsUsage: "KEY_ID",
				Flags:     common(),
				Action: func(ctx context.Context, cmd *cli.Command) error {
					id := cmd.Args().First()
					if id == "" {
						return errors.New("give the id of the key to revoke (key_…, see `questgate apikey list`)")
					}
					st, err := connectStore(ctx, cmd)
					if err != nil {
						return err
					}
					defer st.Close()
					if err := st.RevokeAPIKey(ctx, id); errors.Is(err, quest.ErrNotFound) {
						return fmt.Errorf("no active key %q: see `questgate apikey list`", id)
					} else if err != nil {
						return err
					}
					_, err = fmt.Fprintf(cmd.Root().Writer, "Key %s revoked.\n", id)
					return err
				},
			},
		},
	}
}

// createAPIKey creates a key and prints what the game needs, once.
func createAPIKey(ctx context.Context, cmd *cli.Command, getenv func(string) string) error {
	name := strings.TrimSpace(cmd.String("name"))
	if name == "" || len(name) > 80 {
		return errors.New("--name: give the game a name of 1 to 80 characters")
	}
	origins := cmd.StringSlice("origin")
	for _, o := range origins {
		if err := auth.CheckOrigin(o); err != nil {
			return fmt.Errorf("--origin: %w", err)
		}
	}
	hooks := cmd.StringSlice("webhook")
	for _, h := range hooks {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fmt.Errorf("--webhook %q: give an absolute http:// or https:// URL, such as https://game.example/hooks", h)
		}
	}
	log, err := logging.New(cmd.Root().ErrWriter, "text", "warn")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cmd, getenv, log)
	if err != nil {
		return err
	}
	defer st.Close()
	n := auth.GenerateKey()
	k, err := st.CreateAPIKey(ctx, quest.APIKey{ID: n.ID, Name: name, Hash: n.Hash, Prefix: n.Shown, Origins: origins,
		SigningSecret: n.SigningSecret})
	if err != nil {
		return err
	}
	out := cmd.Root().Writer
	fmt.Fprintf(out, "API key %q created, id %s. Its secrets are shown only now: keep them on the game's server.\n\n", k.Name, k.ID)
	fmt.Fprintf(out, "  API key (Authorization: Bearer …):  %s\n", n.Key)
	fmt.Fprintf(out, "  Widget signing secret (JWT HS256, kid %s):  %s\n", k.ID, n.SigningSecret)
	if len(origins) > 0 {
		fmt.Fprintf(out, "  Allowed origins: %s\n", strings.Join(origins, " "))
	}
	for _, h := range hooks {
		ep, err := st.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: k.ID, URL: h, Secret: webhook.NewSecret()})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  Webhook %s, signing secret (Standard Webhooks):  %s\n", ep.URL, ep.Secret)
	}
	return nil
}
