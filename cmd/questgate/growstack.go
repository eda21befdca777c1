package main

// stackRoom is the frame growStack puts on a request's goroutine: with
// what net/http has used below the handler (a kilobyte or two) and the
// runtime's guard, more than 8 KiB and less than 16, so that Go gives the
// goroutine the 16 KiB stack a HACK needs (TestAHACKFitsIn16KiBOfStack)
// and no more.
const stackRoom = 10 << 10

// growStack gives the calling goroutine, in one step, the stack a request
// will grow to anyway. Go starts a goroutine on a small stack (the
// average of the stacks its last collection scanned, 2 to 8 KiB here)
// and doubles it whenever a call does not fit, copying the stack and
// fixing up every frame on it, which costs in proportion to how deep the
// goroutine is. A connection's first request grew through two or three
// doublings deep in the handler: 7 % of the server's CPU in a burst of
// a game's first-time players, each on a new connection
// (docs/performance.md, the round of 2026-12-06, 07:00). Growing here,
// at the top of the handler, is one copy of a few frames. On a
// goroutine whose stack is already grown it costs clearing the frame, a
// fraction of a microsecond.
// CockroachDB does the same for its storage paths (growstack).
//
//go:noinline
func growStack() {
	var room [stackRoom]byte
	use(&room)
}

// use keeps growStack's frame from being optimised away: the compiler
// cannot see through a call it may not inline, and a pointer that does
// not escape leaves the array on the stack.
//
//go:noinline
func use(*[stackRoom]byte) {}
