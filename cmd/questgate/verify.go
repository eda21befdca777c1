package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
	"github.com/questgate/questgate/verifier"
)

// Exit statuses of `questgate verify`.
const (
	exitRejected  = 1 // the SID does not prove the objective
	exitUndecided = 2 // could not decide: usage, credentials, Twilio
)

func verifyCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check one SID against an objective from a terminal, recording nothing: exit 0 passed, 1 rejected, 2 undecided",
		Description: "Secrets are read from standard input, never from flags:\n" +
			"  printf '%s' \"$AUTH_TOKEN\" | questgate verify --objective send-sms --sid SM… --account-sid AC… --auth-token-stdin",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "objective", Usage: "objective id, such as send-sms"},
			&cli.StringFlag{Name: "sid", Usage: "the SID to check (SM…, MM…, CA…)"},
			&cli.StringFlag{Name: "account-sid", Usage: "the Account SID (AC…) the SID belongs to"},
			&cli.BoolFlag{Name: "auth-token-stdin", Usage: "read the account's Auth Token from standard input"},
			&cli.StringFlag{Name: "api-key", Usage: "an API key SID (SK…) of the account, with --api-secret-stdin"},
			&cli.BoolFlag{Name: "api-secret-stdin", Usage: "read the API key's secret from standard input"},
			&cli.BoolFlag{Name: "json", Usage: "print the verdict as JSON"},
			&cli.StringFlag{Name: "opened-at", Usage: "when the player opened the objective (RFC 3339), for checks.created_after_opened"},
			&cli.StringSliceFlag{Name: "number", Usage: "a number the player registered (repeatable), for checks.registered_number"},
			&cli.StringFlag{Name: "twilio-api-url", Value: "https://api.twilio.com", Sources: f.env("QUESTGATE_TWILIO_API_URL"),
				Usage: "base URL of the Twilio API, such as http://localhost:8081/sandbox", Validator: httpURL("--twilio-api-url")},
			&cli.DurationFlag{Name: "twilio-timeout", Value: 15 * time.Second, Sources: f.env("QUESTGATE_TWILIO_TIMEOUT"),
				Usage: "how long to wait for Twilio", Validator: positive("--twilio-timeout")},
			&cli.BoolFlag{Name: "allow-private-webhooks", Sources: f.env("QUESTGATE_ALLOW_PRIVATE_WEBHOOKS"),
				Usage: "let checks.webhook_answers call private, loopback and link-local addresses"},
			f.objectives(),
		},
		OnUsageError: func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
			return jsonError(cmd, &exitError{exitUndecided, usageError{err}})
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			w := &countingWriter{w: cmd.Root().Writer}
			err := runVerify(ctx, cmd, w)
			if w.n > 0 {
				return err
			}
			return jsonError(cmd, err)
		},
	}
}

// countingWriter tells whether anything was printed.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// verifyError is what verify --json prints when it checked nothing: a
// usage mistake, unreadable credentials, a catalog that does not load.
type verifyError struct {
	Verdict string `json:"verdict"` // always undecided
	Error   struct {
		Code    string `json:"code"` // usage or error
		Message string `json:"message"`
	} `json:"error"`
}

// jsonError prints err as a verifyError on standard output under --json,
// so that a script reading the verdict always gets a JSON object, and
// returns err (whose exit status stays).
func jsonError(cmd *cli.Command, err error) error {
	if err == nil || !wantsJSON(cmd) {
		return err
	}
	var out verifyError
	out.Verdict, out.Error.Code, out.Error.Message = "undecided", "error", err.Error()
	if _, ok := errors.AsType[usageError](err); ok {
		out.Error.Code = "usage"
	}
	enc := json.NewEncoder(cmd.Root().Writer)
	enc.SetIndent("", "  ")
	if werr := enc.Encode(out); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// wantsJSON reports whether --json was given, even on a command line whose
// parsing stopped at a mistake before reaching it (run keeps the command
// line in the root's metadata).
func wantsJSON(cmd *cli.Command) bool {
	if cmd.Bool("json") {
		return true
	}
	args, _ := cmd.Root().Metadata[argsMetadata].([]string)
	for _, a := range args {
		if a == "--json" || a == "-json" || a == "--json=true" {
			return true
		}
	}
	return false
}

// usage is a mistake on the command line: exit 2, nothing was checked.
func usage(format string, args ...any) error {
	return &exitError{exitUndecided, usageError{fmt.Errorf(format, args...)}}
}

// usageError marks a mistake on the command line.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// runVerify checks the SID and prints the verdict on w.
func runVerify(ctx context.Context, cmd *cli.Command, w io.Writer) error {
	cat, err := loadCatalog(cmd.String("objectives"))
	if err != nil {
		return &exitError{exitUndecided, err}
	}
	id := cmd.String("objective")
	obj, ok := cat.Get(id)
	switch {
	case id == "":
		return usage("--objective is required, such as --objective send-sms")
	case !ok:
		return usage("no objective %q (there are: %s)", id, strings.Join(objectiveIDs(cat.All()), ", "))
	case cmd.String("sid") == "":
		return usage("--sid is required: the SID to check")
	case cmd.String("account-sid") == "":
		return usage("--account-sid is required: the account the SID belongs to")
	case cmd.Bool("auth-token-stdin") == cmd.Bool("api-secret-stdin"):
		return usage("give exactly one of --auth-token-stdin, or --api-key with --api-secret-stdin; the secret is read from standard input")
	case cmd.Bool("api-secret-stdin") && cmd.String("api-key") == "":
		return usage("--api-secret-stdin needs --api-key SK…")
	case cmd.Bool("auth-token-stdin") && cmd.String("api-key") != "":
		return usage("--api-key goes with --api-secret-stdin, not --auth-token-stdin")
	}
	secret, err := readSecret(cmd.Root().Reader)
	if err != nil {
		return usage("read the secret from standard input: %v", err)
	}
	bundle, err := locale.Load()
	if err != nil {
		return err
	}
	en := bundle.Localizer("en")
	creds, err := quest.ParseCredentials(cmd.String("account-sid"), cmd.String("api-key"), secret)
	if ce, ok := errors.AsType[*quest.CredentialsError](err); ok {
		return &exitError{exitUndecided, errors.New(en.T(ce.MessageID()))}
	}
	player, err := playerFacts(cmd)
	if err != nil {
		return err
	}
	v, err := verifier.New(verifier.Options{BaseURL: cmd.String("twilio-api-url"), Timeout: cmd.Duration("twilio-timeout"),
		Webhooks: &verifier.WebhookTester{AllowPrivate: cmd.Bool("allow-private-webhooks")}})
	if err != nil {
		return &exitError{exitUndecided, err}
	}
	verdict, verr := v.Verify(ctx, quest.CheckRequest{Objective: &obj, SID: quest.Normalize(cmd.String("sid")), Credentials: creds, Player: player})
	out := newVerifyOutput(locale.With(ctx, en), obj, verdict, verr)
	if cmd.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		out.print(w)
	}
	switch out.Verdict {
	case "passed":
		return nil
	case "rejected":
		return &exitError{exitRejected, fmt.Errorf("rejected: %s", out.Reason)}
	}
	if verr != nil {
		return &exitError{exitUndecided, fmt.Errorf("could not decide: %w", verr)}
	}
	return &exitError{exitUndecided, fmt.Errorf("could not decide: %s", out.Reason)}
}

// readSecret reads one line from r: what `printf '%s' "$TOKEN" |` or a
// terminal gives.
func readSecret(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", errors.New("it is empty")
	}
	return line, nil
}

// playerFacts builds the player the checks compare with from --opened-at
// and --number, or nil when neither is given (those checks are skipped).
func playerFacts(cmd *cli.Command) (*quest.PlayerFacts, error) {
	at, numbers := cmd.String("opened-at"), cmd.StringSlice("number")
	if at == "" && len(numbers) == 0 {
		return nil, nil
	}
	p := &quest.PlayerFacts{}
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return nil, usage("--opened-at %q: give an RFC 3339 time, such as 2026-05-24T17:44:46Z", at)
		}
		p.OpenedAt = t
	}
	for _, raw := range numbers {
		n, err := quest.NormalizeNumber(raw)
		if err != nil {
			return nil, usage("--number %q: give a number in E.164 form, such as +15558675310", raw)
		}
		p.Numbers = append(p.Numbers, n)
	}
	return p, nil
}

// verifyOutput is what verify prints, as text or JSON.
type verifyOutput struct {
	Objective  string          `json:"objective"`
	SID        string          `json:"sid"`
	Verdict    string          `json:"verdict"` // passed, rejected or undecided
	Reason     quest.Reason    `json:"reason,omitempty"`
	Detail     string          `json:"detail,omitempty"`
	Title      string          `json:"title,omitempty"`
	Help       string          `json:"help,omitempty"`
	Next       *nextOutput     `json:"next_step,omitempty"`
	RetryAfter int             `json:"retry_after_seconds,omitempty"`
	Resource   *resourceOutput `json:"resource,omitempty"`
	Skipped    []string        `json:"not_checked,omitempty"`
}

// nextOutput is the step to take next, as the pages and the API say it.
type nextOutput struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

type resourceOutput struct {
	SID         string `json:"sid"`
	Status      string `json:"status"`
	Direction   string `json:"direction"`
	To          string `json:"to"`
	From        string `json:"from"`
	Body        string `json:"body,omitempty"`
	NumMedia    int    `json:"num_media,omitempty"`
	DateCreated string `json:"date_created,omitempty"`
}

// newVerifyOutput presents the verifier's answer as every surface does
// (templates.NewVerdict), in ctx's language.
func newVerifyOutput(ctx context.Context, obj catalog.Objective, v quest.Verdict, err error) verifyOutput {
	out := verifyOutput{Objective: obj.ID, SID: v.SID, Reason: v.Reason, Detail: v.Detail, Skipped: v.Skipped}
	switch {
	case v.Passed:
		out.Verdict, out.Reason = "passed", ""
	case err != nil || v.Reason.Undecided():
		out.Verdict = "undecided"
	default:
		out.Verdict = "rejected"
	}
	var ue *quest.UpstreamError
	if errors.As(err, &ue) && ue.RetryAfter > 0 {
		out.RetryAfter = int((ue.RetryAfter + time.Second - 1) / time.Second)
	}
	if out.Reason != "" {
		f := templates.VerdictFacts{Reason: out.Reason, Detail: out.Detail, Objective: obj, SID: v.SID}
		if ue != nil {
			f.RetryAfter, f.TwilioRetryAfter = ue.RetryAfter, ue.TwilioRetryAfter
		}
		if m := v.Message; m != nil {
			f.Status, f.Direction = m.Status, m.Direction
		}
		pv := templates.NewVerdict(ctx, f)
		out.Title, out.Help = pv.Title, pv.Help
		out.Next = &nextOutput{Kind: string(pv.Next.Kind), Text: pv.Next.Text}
	}
	if m := v.Message; m != nil {
		out.Resource = &resourceOutput{SID: m.SID, Status: m.Status, Direction: m.Direction, To: m.To, From: m.From,
			Body: m.Body, NumMedia: m.NumMedia}
		if !m.DateCreated.IsZero() {
			out.Resource.DateCreated = m.DateCreated.Format(time.RFC3339)
		}
	}
	return out
}

func (o verifyOutput) print(w io.Writer) {
	fmt.Fprintf(w, "objective: %s\nsid:       %s\n", o.Objective, o.SID)
	switch o.Verdict {
	case "passed":
		fmt.Fprintln(w, "verdict:   PASSED")
	default:
		fmt.Fprintf(w, "verdict:   %s (%s", strings.ToUpper(o.Verdict), o.Reason)
		if o.Detail != "" {
			fmt.Fprintf(w, ", %s", o.Detail)
		}
		fmt.Fprintf(w, ")\n           %s\n           %s\n", o.Title, o.Help)
		if o.Next != nil {
			fmt.Fprintf(w, "next:      %s\n", o.Next.Text)
		}
	}
	if r := o.Resource; r != nil {
		fmt.Fprintf(w, "resource:  %s, %s, from %s to %s", r.Status, r.Direction, r.From, r.To)
		if r.DateCreated != "" {
			fmt.Fprintf(w, ", created %s", r.DateCreated)
		}
		if r.NumMedia > 0 {
			fmt.Fprintf(w, ", %d media", r.NumMedia)
		}
		fmt.Fprintln(w)
		if r.Body != "" {
			fmt.Fprintf(w, "body:      %q\n", r.Body)
		}
	}
	for _, s := range o.Skipped {
		hint := map[string]string{"created_after_opened": "--opened-at", "registered_number": "--number"}[s]
		fmt.Fprintf(w, "not checked: %s (give %s to check it)\n", s, hint)
	}
}
