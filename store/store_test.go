package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

func newPlayer(t *testing.T, s *Store) quest.Player {
	t.Helper()
	p, err := s.CreatePlayer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const sid = "SM0123456789abcdef0123456789abcdef"

func TestRecordAttemptAwardsOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob := newPlayer(t, s), newPlayer(t, s)
		msg := &quest.Message{Status: "delivered", Direction: "outbound-api", To: "+1555", From: "+1444",
			Body: "<b>hi</b> ' OR 1=1 --", DateCreated: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}

		steps := []struct {
			name   string
			player quest.Player
			sid    string
			want   quest.Reason
		}{
			{"first success awards", ada, sid, quest.Awarded},
			{"same player same SID", ada, sid, quest.AlreadyAwarded},
			{"same player other SID", ada, "SMffffffffffffffffffffffffffffffff", quest.AlreadyAwarded},
			{"other player same SID", bob, sid, quest.SIDAlreadyUsed},
		}
		for _, st := range steps {
			got, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: st.player.ID, ObjectiveID: "send-sms", RawSID: st.sid,
				SID: st.sid, Message: msg, Upstream: 120 * time.Millisecond}, &quest.Award{XP: 100})
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got.Reason != st.want {
				t.Errorf("%s: reason %q, want %q", st.name, got.Reason, st.want)
			}
		}

		awards, err := s.Awards(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a := awards["send-sms"]; a.SID != sid || a.XP != 100 || len(awards) != 1 {
			t.Errorf("Ada's awards = %+v", awards)
		}
		if awards, _ := s.Awards(ctx, bob.ID); len(awards) != 0 {
			t.Errorf("Bob got %+v", awards)
		}

		// What was verified is kept verbatim, HTML and SQL included.
		prev, err := s.AwardedSubmission(ctx, "send-sms", sid)
		if err != nil {
			t.Fatal(err)
		}
		want := *msg
		want.SID = sid
		if diff := cmp.Diff(&want, prev.Message); diff != "" {
			t.Errorf("stored message (-want +got):\n%s", diff)
		}
		if prev.PlayerID != ada.ID || prev.Upstream != 120*time.Millisecond {
			t.Errorf("awarded submission = %+v", prev)
		}
	})
}

// awardConcurrently records n winning attempts at sid at once, the i-th
// through the store and for the player attempt(i) gives, and counts the
// reasons they were recorded with.
func awardConcurrently(t *testing.T, n int, attempt func(i int) (*Store, string)) map[quest.Reason]int {
	t.Helper()
	reasons := make(chan quest.Reason, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, player := attempt(i)
			sub, err := s.RecordAttempt(context.Background(), quest.Submission{PlayerID: player, ObjectiveID: "send-sms",
				RawSID: sid, SID: sid}, &quest.Award{XP: 100})
			if err != nil {
				t.Error(err)
				return
			}
			reasons <- sub.Reason
		})
	}
	wg.Wait()
	close(reasons)
	count := map[quest.Reason]int{}
	for r := range reasons {
		count[r]++
	}
	return count
}

func TestConcurrentIdenticalAttemptsAwardOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		p := newPlayer(t, s)
		const n = 50
		count := awardConcurrently(t, n, func(int) (*Store, string) { return s, p.ID })
		if diff := cmp.Diff(map[quest.Reason]int{quest.Awarded: 1, quest.AlreadyAwarded: n - 1}, count); diff != "" {
			t.Errorf("reasons (-want +got):\n%s", diff)
		}
	})
}

func TestSubmissionsBelongToTheirPlayer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob := newPlayer(t, s), newPlayer(t, s)
		sub, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: ada.ID, ObjectiveID: "send-sms", RawSID: "nope", Reason: quest.InvalidSID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Submission(ctx, ada.ID, sub.ID); err != nil {
			t.Errorf("Ada cannot read her submission: %v", err)
		}
		if _, err := s.Submission(ctx, bob.ID, sub.ID); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("Bob reading Ada's submission: err = %v, want ErrNotFound", err)
		}
		recent, err := s.RecentSubmissions(ctx, ada.ID, "send-sms", 5)
		if err != nil || len(recent) != 1 || recent[0].Reason != quest.InvalidSID || recent[0].Message != nil {
			t.Errorf("recent = %+v, %v", recent, err)
		}
	})
}

func TestCredentialsLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		if _, err := s.Credentials(ctx, p.ID); !errors.Is(err, quest.ErrNotFound) {
			t.Fatalf("no credentials yet: err = %v", err)
		}
		c := quest.Credentials{PlayerID: p.ID, AccountSID: "AC" + sid[2:], APIKeySID: "SK" + sid[2:], Secret: "s3cr3t", Sandbox: true}
		for range 2 { // saving twice replaces
			if err := s.SaveCredentials(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Credentials(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got, cmpIgnoreTime); diff != "" {
			t.Errorf("credentials (-want +got):\n%s", diff)
		}
		if err := s.DeleteCredentials(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Credentials(ctx, p.ID); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("after delete: err = %v", err)
		}
	})
}

var cmpIgnoreTime = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".UpdatedAt" }, cmp.Ignore())

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer s.Close()
	if v, err := s.Setting(ctx, "k"); v != "v2" || err != nil {
		t.Errorf("setting = %q, %v", v, err)
	}
	if _, err := s.Setting(ctx, "missing"); !errors.Is(err, quest.ErrNotFound) {
		t.Errorf("missing setting: %v", err)
	}
}
