package quest

// The rules about who plays: display names, cohorts and their join codes.
// Players checks what a player typed and asks the store to change nothing
// unless all of it is right.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on names, in characters (runes) after trimming.
const (
	MaxDisplayName = 40
	MaxCohortName  = 80
)

// Problems of a NameError.
const (
	// NameRequired: nothing but white space.
	NameRequired = "required"
	// NameTooLong: longer than the limit.
	NameTooLong = "too_long"
	// NameControl: a control character (a line break, a tab, NUL…) or
	// a bidirectional override, which could make the name read as
	// something else on an instructor's list.
	NameControl = "control"
	// NameInvisible: no character that shows, such as a name made of
	// zero-width spaces, a Hangul filler or a combining accent on its own,
	// which would show an instructor an empty name.
	NameInvisible = "invisible"
)

// NameError says what is wrong with a typed name. Its message id is
// "profile.error.display_name.<Problem>" for display names.
type NameError struct {
	Problem string
	// Max is the limit, for NameTooLong's message.
	Max int
}

func (e *NameError) Error() string { return "name: " + e.Problem }

// MessageID is the id of the localised message for a display name.
func (e *NameError) MessageID() string { return "profile.error.display_name." + e.Problem }

// ParseDisplayName returns the display name a player typed, trimmed, or a
// *NameError: 1 to MaxDisplayName characters, no control characters, at
// least one that shows.
// Anything else (markup, quotes, SQL) is a name like any other: pages
// escape it and the store binds it.
func ParseDisplayName(s string) (string, error) { return parseName(s, MaxDisplayName) }

// ParseCohortName is ParseDisplayName for cohort names.
func ParseCohortName(s string) (string, error) { return parseName(s, MaxCohortName) }

func parseName(s string, limit int) (string, error) {
	if !utf8.ValidString(s) {
		return "", &NameError{Problem: NameControl, Max: limit}
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", &NameError{Problem: NameRequired, Max: limit}
	case strings.IndexFunc(s, forbidden) >= 0:
		return "", &NameError{Problem: NameControl, Max: limit}
	case utf8.RuneCountInString(s) > limit:
		return "", &NameError{Problem: NameTooLong, Max: limit}
	case strings.IndexFunc(s, visible) < 0:
		return "", &NameError{Problem: NameInvisible, Max: limit}
	}
	return s, nil
}

// visible reports a character that shows something on its own: a letter,
// digit, punctuation or symbol that Unicode does not mark as ignorable.
// Spaces, format characters (zero-width ones included), combining marks,
// private-use and unassigned code points show nothing by themselves, nor
// do the letters and symbols made to be blank (Hangul fillers, the blank
// Braille pattern).
func visible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) &&
		!unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) && r != '\u2800'
}

// forbidden reports control characters and the bidirectional embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069).
func forbidden(r rune) bool {
	return unicode.IsControl(r) || (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// joinAlphabet has no characters that read alike (0/O, 1/I/L), so a code
// read aloud or copied from a projector is typed right.
const joinAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// JoinCodeLength is the length of a join code: 31^8, about 8.5e11 codes,
// is too many to guess at any rate a server answers.
const JoinCodeLength = 8

// NewJoinCode returns a random join code.
func NewJoinCode() string {
	b := make([]byte, JoinCodeLength)
	for i := range b {
		b[i] = joinAlphabet[randIndex(len(joinAlphabet))]
	}
	return string(b)
}

// randIndex returns a uniform random number in [0, n), n < 256.
func randIndex(n int) int {
	limit := 256 - 256%n // reject the top values that would bias the result
	var b [1]byte
	for {
		_, _ = rand.Read(b[:]) // never fails: crypto/rand aborts the program instead
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NormalizeJoinCode turns what a player typed into a join code: case and
// the spaces or dashes people add when copying it are ignored. It reports
// false when the result cannot be a join code.
func NormalizeJoinCode(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return unicode.ToUpper(r)
	}, strings.TrimSpace(s))
	if len(s) != JoinCodeLength || strings.Trim(s, joinAlphabet) != "" {
		return "", false
	}
	return s, true
}

// Errors of Players.
var (
	// ErrUnknownCohort: no cohort has this join code (or it is malformed).
	ErrUnknownCohort = errors.New("no cohort has this join code")
	// ErrArchivedCohort: the cohort exists but takes no new players.
	ErrArchivedCohort = errors.New("the cohort is archived")
)

// PlayerStore is what Players needs of the store.
type PlayerStore interface {
	Player(ctx context.Context, id string) (Player, error)
	SetDisplayName(ctx context.Context, playerID, name string) error
	CreateCohort(ctx context.Context, c Cohort) (Cohort, error)
	RenameCohort(ctx context.Context, id int64, name string) error
	Cohort(ctx context.Context, id int64) (Cohort, error)
	CohortByCode(ctx context.Context, code string) (Cohort, error)
	JoinCohort(ctx context.Context, playerID string, cohortID int64, displayName string) error
}

// Players changes players and cohorts. It is safe for concurrent use.
type Players struct{ st PlayerStore }

// NewPlayers returns a Players keeping its data in st.
func NewPlayers(st PlayerStore) *Players { return &Players{st: st} }

// SetDisplayName checks and sets a player's display name; a *NameError
// leaves it unchanged.
func (s *Players) SetDisplayName(ctx context.Context, playerID, typed string) (string, error) {
	name, err := ParseDisplayName(typed)
	if err != nil {
		return "", err
	}
	if err := s.st.SetDisplayName(ctx, playerID, name); err != nil {
		return "", err
	}
	return name, nil
}

// CohortByCode returns the cohort a join link names, or ErrUnknownCohort
// or ErrArchivedCohort with the cohort (whose name the page may show).
func (s *Players) CohortByCode(ctx context.Context, typed string) (Cohort, error) {
	code, ok := NormalizeJoinCode(typed)
	if !ok {
		return Cohort{}, ErrUnknownCohort
	}
	c, err := s.st.CohortByCode(ctx, code)
	switch {
	case errors.Is(err, ErrNotFound):
		return Cohort{}, ErrUnknownCohort
	case err != nil:
		return Cohort{}, err
	case c.Archived:
		return c, ErrArchivedCohort
	}
	return c, nil
}

// Cohort returns a player's cohort, and false when they have none.
func (s *Players) Cohort(ctx context.Context, p Player) (Cohort, bool, error) {
	if p.CohortID == 0 {
		return Cohort{}, false, nil
	}
	c, err := s.st.Cohort(ctx, p.CohortID)
	if errors.Is(err, ErrNotFound) {
		return Cohort{}, false, nil
	}
	return c, err == nil, err
}

// Join puts player p in the cohort of a join link, leaving any other. A
// player without a display name must type one (typedName); a player with
// one may type another, or nothing to keep theirs. A wrong name is a
// *NameError and nothing changes.
func (s *Players) Join(ctx context.Context, p Player, code, typedName string) (Cohort, error) {
	c, err := s.CohortByCode(ctx, code)
	if err != nil {
		return c, err
	}
	name := ""
	if p.DisplayName == "" || strings.TrimSpace(typedName) != "" {
		if name, err = ParseDisplayName(typedName); err != nil {
			return c, err
		}
	}
	err = s.st.JoinCohort(ctx, p.ID, c.ID, name)
	switch {
	case errors.Is(err, ErrArchived):
		return c, ErrArchivedCohort
	case errors.Is(err, ErrNotFound):
		return Cohort{}, ErrUnknownCohort
	case err != nil:
		return c, err
	}
	return c, nil
}

// maxCodeTries bounds the draws for an unused join code; a clash is
// already one in billions.
const maxCodeTries = 5

// CreateCohort creates a cohort named name with a fresh join code.
func (s *Players) CreateCohort(ctx context.Context, typedName string) (Cohort, error) {
	name, err := ParseCohortName(typedName)
	if err != nil {
		return Cohort{}, err
	}
	for range maxCodeTries {
		c, err := s.st.CreateCohort(ctx, Cohort{Name: name, JoinCode: NewJoinCode()})
		if errors.Is(err, ErrConflict) {
			continue
		}
		return c, err
	}
	return Cohort{}, fmt.Errorf("create cohort: no unused join code after %d tries", maxCodeTries)
}

// RenameCohort checks and sets a cohort's name: a *NameError, or
// ErrNotFound for no such cohort, and nothing changes. The join
// code stays, so links already handed out keep working.
func (s *Players) RenameCohort(ctx context.Context, id int64, typedName string) (string, error) {
	name, err := ParseCohortName(typedName)
	if err != nil {
		return "", err
	}
	if err := s.st.RenameCohort(ctx, id, name); err != nil {
		return "", err
	}
	return name, nil
}

// JoinPath is the path of a cohort's join link.
func JoinPath(c Cohort) string { return "/join/" + c.JoinCode }
