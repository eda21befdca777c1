package quest

import (
	"context"
	"errors"
	"regexp"
	"strings"
)

// MaxNumbers is how many phone numbers a player may register: enough for
// a phone or two and a friend's, few enough that "any number" is not.
const MaxNumbers = 5

// NumberError says what is wrong with a number a player tried to
// register; its message is "numbers.error.<Problem>".
type NumberError struct {
	// Problem is "required", "format" or "too_many".
	Problem string
}

func (e *NumberError) Error() string { return "phone number: " + e.Problem }

// MessageID is the id of the localised message explaining the problem.
func (e *NumberError) MessageID() string { return "numbers.error." + e.Problem }

// e164 is a phone number as Twilio writes them.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// NormalizeNumber turns what a player typed into an E.164 number: it
// drops spaces, dots, dashes and parentheses, and reads a leading 00 as
// +. It returns a *NumberError when the result is not E.164.
func NormalizeNumber(raw string) (string, error) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '.', '-', '(', ')', '\u200b':
			return -1
		}
		return r
	}, strings.TrimSpace(raw))
	if rest, ok := strings.CutPrefix(n, "00"); ok {
		n = "+" + rest
	}
	switch {
	case n == "":
		return "", &NumberError{"required"}
	case !e164.MatchString(n):
		return "", &NumberError{"format"}
	}
	return n, nil
}

// AddNumber registers a phone number for a player, for the objectives
// that check one. Errors are *NumberError for what the player must fix,
// or a storage failure.
func (s *Service) AddNumber(ctx context.Context, playerID, raw string) (string, error) {
	n, err := NormalizeNumber(raw)
	if err != nil {
		return "", err
	}
	if err := s.cfg.Store.AddPlayerNumber(ctx, playerID, n, MaxNumbers); errors.Is(err, ErrTooManyNumbers) {
		return "", &NumberError{"too_many"}
	} else if err != nil {
		return "", err
	}
	return n, nil
}

// RemoveNumber forgets one of a player's numbers.
func (s *Service) RemoveNumber(ctx context.Context, playerID, number string) error {
	return s.cfg.Store.RemovePlayerNumber(ctx, playerID, number)
}

// Numbers returns a player's registered numbers.
func (s *Service) Numbers(ctx context.Context, playerID string) ([]string, error) {
	return s.cfg.Store.PlayerNumbers(ctx, playerID)
}
