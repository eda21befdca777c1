// Command client shows a game's server using questgate: it verifies a
// player's SID through the JSON API (with an Idempotency-Key, retrying on
// 429 and 503 after Retry-After), or prints a signed URL of the
// embeddable widget.
//
//	go run ./examples/client -url http://localhost:8080 -key qg_live_… verify -objective send-sms -sid SM… -player p42
//	go run ./examples/client -url http://localhost:8080 widget -key-id key_… -secret … -objective send-sms -player p42 -origin http://localhost:8000
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	base := fs.String("url", "http://localhost:8080", "questgate's URL")
	key := fs.String("key", os.Getenv("QUESTGATE_API_KEY"), "API key (or $QUESTGATE_API_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return errors.New("say verify or widget")
	}
	switch rest[0] {
	case "verify":
		return verify(ctx, strings.TrimSuffix(*base, "/"), *key, rest[1:], out)
	case "widget":
		return widget(strings.TrimSuffix(*base, "/"), rest[1:], out)
	}
	return fmt.Errorf("unknown command %q: say verify or widget", rest[0])
}

// verification is the answer of POST /api/v1/verifications.
type verification struct {
	Status       string `json:"status"`
	Reason       string `json:"reason"`
	Title        string `json:"title"`
	Message      string `json:"message"`
	XP           int    `json:"xp"`
	SubmissionID int64  `json:"submission_id"`
}

// problem is an RFC 9457 error.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
	Status int    `json:"status"`
}

func verify(ctx context.Context, base, key string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	objective := fs.String("objective", "send-sms", "objective id")
	sid := fs.String("sid", "", "the SID the player pasted")
	player := fs.String("player", "", "the player's id in the game")
	name := fs.String("name", "", "the player's name")
	account := fs.String("account-sid", "", "the player's Twilio account SID (optional)")
	token := fs.String("auth-token", os.Getenv("TWILIO_AUTH_TOKEN"), "the player's auth token (or $TWILIO_AUTH_TOKEN)")
	lang := fs.String("lang", "en", "language of the messages: en or fr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if key == "" || *sid == "" || *player == "" {
		return errors.New("give -key, -sid and -player")
	}
	body := map[string]any{"objective": *objective, "sid": *sid, "player": map[string]string{"id": *player, "name": *name}}
	if *account != "" {
		body["credentials"] = map[string]string{"account_sid": *account, "auth_token": *token}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	// One Idempotency-Key for every retry of this verification: questgate
	// verifies once, and a retry after a lost answer gets the same verdict.
	idem := rand.Text()
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/verifications", bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", *lang)
		req.Header.Set("Idempotency-Key", idem)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		if res.StatusCode == http.StatusOK {
			var v verification
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s (%s): %s\n%s\nXP: %d, submission %d\n", v.Status, v.Reason, v.Title, v.Message, v.XP, v.SubmissionID)
			return nil
		}
		var p problem
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
		}
		wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		if (res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable) && attempt < 3 && wait > 0 && wait <= 60 {
			fmt.Fprintf(out, "%s: retrying in %d s\n", p.Title, wait)
			time.Sleep(time.Duration(wait) * time.Second)
			continue
		}
		return fmt.Errorf("%s (%s): %s", p.Title, p.Reason, p.Detail)
	}
}

// widget prints the URL of the widget for one player, with a token signed
// by the key's signing secret, valid for an hour. A game's server does
// this for each page it serves; the secret never reaches the browser.
func widget(base string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("widget", flag.ContinueOnError)
	keyID := fs.String("key-id", "", "the API key's id, key_…")
	secret := fs.String("secret", os.Getenv("QUESTGATE_SIGNING_SECRET"), "the key's widget signing secret (or $QUESTGATE_SIGNING_SECRET)")
	objective := fs.String("objective", "send-sms", "objective id")
	player := fs.String("player", "", "the player's id in the game")
	name := fs.String("name", "", "the player's name")
	lang := fs.String("lang", "en", "the widget's language: en or fr")
	origin := fs.String("origin", "", "the game page's origin, one of the key's origins, where the widget posts its completion")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyID == "" || *secret == "" || *player == "" {
		return errors.New("give -key-id, -secret and -player")
	}
	// iss is the key, aud the questgate server the widget is on: a token
	// made for one server opens nothing on another.
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": *player, "name": *name, "locale": *lang, "exp": time.Now().Add(time.Hour).Unix(),
		"iss": *keyID, "aud": base,
	})
	t.Header["kid"] = *keyID
	signed, err := t.SignedString([]byte(*secret))
	if err != nil {
		return err
	}
	q := url.Values{"token": {signed}}
	if *origin != "" {
		q.Set("origin", *origin)
	}
	_, err = fmt.Fprintf(out, "%s/embed/objectives/%s?%s\n", base, url.PathEscape(*objective), q.Encode())
	return err
}
