package quest

import (
	"errors"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrTooManyNumbers is returned by AddPlayerNumber when the player already
// registered the most numbers allowed.
var ErrTooManyNumbers = errors.New("too many registered numbers")
