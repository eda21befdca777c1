// Package live carries what just happened (a submission recorded, an
// objective awarded or revoked) to whoever watches: the instructors' live
// views. Publishers and subscribers only know the small interfaces here,
// so the in-memory Broker can be swapped for one backed by PostgreSQL
// LISTEN/NOTIFY when several instances serve one event.
package live

import (
	"context"
	"sync"
	"time"
)

// Kind says what an Event is about.
type Kind string

// The kinds of events.
const (
	// Submission: a player's attempt was recorded (whatever its outcome).
	Submission Kind = "submission"
	// Regrade: an instructor awarded or revoked an objective by hand.
	Regrade Kind = "regrade"
	// Announcement: an instructor sent an announcement (AnnouncementID)
	// to a cohort (CohortID, 0 for everyone); players' pages show it.
	Announcement Kind = "announcement"
	// EventWindow: a cohort's event window or stuck rule changed
	// (CohortID); the wall shows the new time left.
	EventWindow Kind = "event_window"
)

// Event is one thing that happened. It carries ids, not data: subscribers
// read what they show from the database, so an event never leaks more than
// the subscriber may see, and stays small enough for NOTIFY's 8 kB.
type Event struct {
	Kind         Kind   `json:"kind"`
	SubmissionID int64  `json:"submission_id,omitempty"`
	PlayerID     string `json:"player_id"`
	ObjectiveID  string `json:"objective_id"`
	Reason       string `json:"reason,omitempty"`
	// CohortID and AnnouncementID are set on Announcement and EventWindow
	// events.
	CohortID       int64     `json:"cohort_id,omitempty"`
	AnnouncementID int64     `json:"announcement_id,omitempty"`
	At             time.Time `json:"at"`
}

// Publisher announces events. Publish must not block the caller for long:
// a player's HACK waits on it.
type Publisher interface {
	Publish(ctx context.Context, e Event)
}

// Subscriber hands out streams of events.
type Subscriber interface {
	// Subscribe returns a channel of events published from now on, closed
	// when ctx is done.
	Subscribe(ctx context.Context) <-chan Event
}

// Broker is an in-memory Publisher and Subscriber for one process.
type Broker struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
	// Buffer is how many events a slow subscriber may lag behind before
	// it misses some. A live view that misses an event still shows it on
	// its next reload; a HACK must never wait for a slow browser.
	buffer int
}

// NewBroker returns a Broker whose subscribers may lag by buffer events.
func NewBroker(buffer int) *Broker {
	return &Broker{subs: map[chan Event]struct{}{}, buffer: buffer}
}

// Publish sends e to every subscriber that has room for it.
func (b *Broker) Publish(_ context.Context, e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe implements Subscriber.
func (b *Broker) Subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, b.buffer)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		close(ch)
		b.mu.Unlock()
	}()
	return ch
}
