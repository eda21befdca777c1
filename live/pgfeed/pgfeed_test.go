package pgfeed_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/questgate/questgate/internal/testkit/pgtest"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/live/pgfeed"
)

// start runs a Feed on its own broker until the test ends.
func start(t *testing.T, url, channel string) (*pgfeed.Feed, <-chan live.Event) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f, err := pgfeed.New(ctx, url, live.NewBroker(64), pgfeed.Options{Channel: channel, ReconnectDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return f, f.Subscribe(ctx)
}

func channelName(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "qg_test_" + hex.EncodeToString(b)
}

// deliver publishes e on from until it arrives on sub: a listener that has
// not yet run LISTEN misses what is sent before, as LISTEN keeps no
// backlog, so the first event is repeated until one gets through.
func deliver(t *testing.T, from *pgfeed.Feed, sub <-chan live.Event, e live.Event) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	from.Publish(context.Background(), e)
	for {
		select {
		case got := <-sub:
			if got.PlayerID == e.PlayerID && got.SubmissionID == e.SubmissionID {
				return
			}
		case <-tick.C:
			from.Publish(context.Background(), e)
		case <-deadline:
			t.Fatalf("event %+v never arrived", e)
		}
	}
}

func TestSubmissionOnOneInstanceReachesTheOther(t *testing.T) {
	url := pgtest.URL(t)
	ch := channelName(t)
	a, subA := start(t, url, ch)
	_, subB := start(t, url, ch)

	e := live.Event{Kind: live.Submission, SubmissionID: 42, PlayerID: "p-1", ObjectiveID: "send-sms",
		Reason: "awarded", At: time.Now().UTC().Truncate(time.Second)}
	deliver(t, a, subB, e)
	// The publisher hears its own events too: one path for every view.
	deliver(t, a, subA, e)

	// Once both listen, every event arrives, in order, complete.
	for i := int64(100); i < 110; i++ {
		a.Publish(context.Background(), live.Event{Kind: live.Submission, SubmissionID: i, PlayerID: "p-2", ObjectiveID: "send-sms", At: e.At})
	}
	for want := int64(100); want < 110; {
		select {
		case got := <-subB:
			if got.PlayerID != "p-2" {
				continue
			}
			if got.SubmissionID != want || got.ObjectiveID != "send-sms" || !got.At.Equal(e.At) {
				t.Fatalf("got %+v, want submission %d", got, want)
			}
			want++
		case <-time.After(20 * time.Second):
			t.Fatalf("submission %d never arrived", want)
		}
	}
}

func TestListenerComesBackAfterTheDatabaseDropsIt(t *testing.T) {
	url := pgtest.URL(t)
	ch := channelName(t)
	a, subA := start(t, url, ch)
	b, subB := start(t, url, ch)
	// Both listen before the cut: an event each way. One way only left
	// the sender's own listener still connecting at times, and the cut
	// then found one session to end, not two.
	deliver(t, a, subB, live.Event{Kind: live.Submission, SubmissionID: 1, PlayerID: "before"})
	deliver(t, b, subA, live.Event{Kind: live.Submission, SubmissionID: 1, PlayerID: "before, back"})

	// Cut every session listening on the channel, as a database restart
	// or a failover would.
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var cut int
	if err := conn.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND lower(query) LIKE 'listen%' AND query LIKE '%'||$1||'%'`, ch).Scan(&cut); err != nil {
		t.Fatal(err)
	}
	if cut != 2 {
		t.Fatalf("cut %d listening sessions, want 2", cut)
	}
	deliver(t, a, subB, live.Event{Kind: live.Submission, SubmissionID: 2, PlayerID: "after"})
}

// An event the server refuses (NOTIFY payloads stop at 8,000 bytes) is
// dropped, and the events behind it still go out.
func TestRefusedEventDoesNotStopTheFeed(t *testing.T) {
	url := pgtest.URL(t)
	ch := channelName(t)
	a, sub := start(t, url, ch)
	deliver(t, a, sub, live.Event{Kind: live.Submission, SubmissionID: 1, PlayerID: "listening"})
	a.Publish(context.Background(), live.Event{Kind: live.Submission, SubmissionID: 2, PlayerID: strings.Repeat("x", 9000)})
	deliver(t, a, sub, live.Event{Kind: live.Submission, SubmissionID: 3, PlayerID: "after"})

	// Queued together, the refused event is sent in one statement with
	// the others: they still arrive, in order, and it alone is dropped.
	for i, player := range []string{"first", strings.Repeat("x", 9000), "second", "third"} {
		a.Publish(context.Background(), live.Event{Kind: live.Submission, SubmissionID: int64(10 + i), PlayerID: player})
	}
	for i, want := 0, []int64{10, 12, 13}; i < len(want); {
		select {
		case got := <-sub:
			if got.SubmissionID < 10 {
				continue // a copy deliver sent before its event arrived
			}
			if got.SubmissionID != want[i] {
				t.Fatalf("got submission %d, want %d", got.SubmissionID, want[i])
			}
			i++
		case <-time.After(20 * time.Second):
			t.Fatalf("submission %d never arrived", want[i])
		}
	}
}

func TestChannelTooLongForPostgreSQL(t *testing.T) {
	url := pgtest.URL(t)
	_, err := pgfeed.New(context.Background(), url, live.NewBroker(1), pgfeed.Options{Channel: strings.Repeat("c", 64)})
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("New with a 64-byte channel = %v, want an error saying it is too long", err)
	}
}
