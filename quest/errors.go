package quest

// The sentinel errors callers compare with (errors.Is). The domain declares
// them so that handlers need not import the adapter that returns them: the
// store returns them, wrapped with %w where it adds context.

import "errors"

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrTooManyNumbers is returned by AddPlayerNumber when the player already
// registered the most numbers allowed.
var ErrTooManyNumbers = errors.New("too many registered numbers")

// ErrMigrationsPending is what Ready's error wraps (errors.Is) when the
// database lacks migrations this questgate knows: `serve --no-migrate`
// started before `questgate migrate` ran, or another process (an older
// questgate) recreated or rolled the database back, and queries may fail
// on missing columns. It lets the caller tell a database that needs
// migrating from one that does not answer.
var ErrMigrationsPending = errors.New("database migrations pending")
