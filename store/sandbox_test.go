package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

func TestSandboxAccounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.open(t)
		clock := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		s.now = func() time.Time { return clock }

		given := time.Date(2025, 1, 2, 3, 4, 5, 1_234_567, time.FixedZone("CET", 3600))
		tests := []struct {
			name string
			in   SandboxAccount
			want SandboxAccount
		}{
			{
				name: "store clock when CreatedAt is zero",
				in:   SandboxAccount{SID: "AC1", AuthToken: "tok1", FriendlyName: "one"},
				want: SandboxAccount{SID: "AC1", AuthToken: "tok1", FriendlyName: "one", CreatedAt: clock},
			},
			{
				name: "given CreatedAt kept to the microsecond, in UTC",
				in:   SandboxAccount{SID: "AC2", AuthToken: "tok2", CreatedAt: given},
				want: SandboxAccount{SID: "AC2", AuthToken: "tok2", CreatedAt: given.UTC().Truncate(time.Microsecond)},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.CreateSandboxAccount(ctx, tt.in)
				if err != nil {
					t.Fatalf("CreateSandboxAccount: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("created (-want +got):\n%s", diff)
				}
				read, err := s.SandboxAccount(ctx, tt.in.SID)
				if err != nil {
					t.Fatalf("SandboxAccount: %v", err)
				}
				if diff := cmp.Diff(tt.want, read); diff != "" {
					t.Errorf("read back (-want +got):\n%s", diff)
				}
				if read.CreatedAt.Location() != time.UTC {
					t.Errorf("CreatedAt location = %v, want UTC", read.CreatedAt.Location())
				}
			})
		}

		if _, err := s.SandboxAccount(ctx, "ACmissing"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("missing account: err = %v, want ErrNotFound", err)
		}
		if _, err := s.CreateSandboxAccount(ctx, SandboxAccount{SID: "AC1", AuthToken: "x"}); err == nil {
			t.Error("duplicate account SID: want an error")
		}
	})
}

func TestSandboxKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.open(t)
		if _, err := s.CreateSandboxAccount(ctx, SandboxAccount{SID: "AC1", AuthToken: "tok"}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		want := SandboxKey{SID: "SK1", AccountSID: "AC1", Secret: "sec", FriendlyName: "laptop", CreatedAt: at}
		got, err := s.CreateSandboxKey(ctx, want)
		if err != nil {
			t.Fatalf("CreateSandboxKey: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("created (-want +got):\n%s", diff)
		}
		read, err := s.SandboxKey(ctx, "SK1")
		if err != nil {
			t.Fatalf("SandboxKey: %v", err)
		}
		if diff := cmp.Diff(want, read); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}

		if _, err := s.SandboxKey(ctx, "SKnope"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("missing key: err = %v, want ErrNotFound", err)
		}
		if _, err := s.CreateSandboxKey(ctx, SandboxKey{SID: "SK2", AccountSID: "ACnope", Secret: "s"}); err == nil {
			t.Error("key of a missing account: want a foreign key error")
		}
	})
}

func TestSandboxMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.open(t)
		for _, sid := range []string{"AC1", "AC2"} {
			if _, err := s.CreateSandboxAccount(ctx, SandboxAccount{SID: sid, AuthToken: "tok"}); err != nil {
				t.Fatal(err)
			}
		}
		base := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
		var all []SandboxMessage // in creation order
		add := func(m SandboxMessage) {
			t.Helper()
			got, err := s.CreateSandboxMessage(ctx, m)
			if err != nil {
				t.Fatalf("CreateSandboxMessage: %v", err)
			}
			all = append(all, got)
		}
		for i := range 5 {
			to := "+15550000001"
			if i%2 == 1 {
				to = "+15550000002"
			}
			add(SandboxMessage{
				SID: fmt.Sprintf("SM%d", i), AccountSID: "AC1", Direction: "outbound-api",
				From: "+15017122661", To: to, Body: fmt.Sprintf("body %d", i),
				FinalStatus: "delivered",
				// Sub-second steps check that ordering follows the instant,
				// not the text SQLite stores.
				CreatedAt: base.Add(time.Duration(i) * 500 * time.Millisecond),
			})
		}
		// Two messages in the same instant: newest inserted comes first.
		same := base.Add(10 * time.Second)
		add(SandboxMessage{SID: "SMsame1", AccountSID: "AC1", Direction: "outbound-api", To: "+15550000001",
			MessagingServiceSID: "MG1", FinalStatus: "undelivered", ErrorCode: 30003, CreatedAt: same})
		add(SandboxMessage{SID: "MMsame2", AccountSID: "AC1", Direction: "outbound-api", From: "+15017122661",
			To: "+15550000001", NumMedia: 2, FinalStatus: "delivered", CreatedAt: same})
		add(SandboxMessage{SID: "SMother", AccountSID: "AC2", Direction: "outbound-api", From: "+15017122661",
			To: "+15550000001", Body: "other account", FinalStatus: "delivered", CreatedAt: base})

		byID := map[string]SandboxMessage{}
		for _, m := range all {
			byID[m.SID] = m
		}
		pick := func(sids ...string) []SandboxMessage {
			var out []SandboxMessage
			for _, sid := range sids {
				out = append(out, byID[sid])
			}
			return out
		}

		tests := []struct {
			name string
			f    SandboxMessageFilter
			want []SandboxMessage
		}{
			{"all of an account, newest first", SandboxMessageFilter{AccountSID: "AC1"},
				pick("MMsame2", "SMsame1", "SM4", "SM3", "SM2", "SM1", "SM0")},
			{"first page", SandboxMessageFilter{AccountSID: "AC1", Limit: 3},
				pick("MMsame2", "SMsame1", "SM4")},
			{"second page", SandboxMessageFilter{AccountSID: "AC1", Offset: 3, Limit: 3},
				pick("SM3", "SM2", "SM1")},
			{"past the end", SandboxMessageFilter{AccountSID: "AC1", Offset: 50, Limit: 3}, nil},
			{"filter To", SandboxMessageFilter{AccountSID: "AC1", To: "+15550000002"}, pick("SM3", "SM1")},
			{"filter From", SandboxMessageFilter{AccountSID: "AC1", From: "+15017122661", Limit: 2},
				pick("MMsame2", "SM4")},
			{"filter To and From", SandboxMessageFilter{AccountSID: "AC1", To: "+15550000001", From: "+15017122661"},
				pick("MMsame2", "SM4", "SM2", "SM0")},
			{"other account", SandboxMessageFilter{AccountSID: "AC2"}, pick("SMother")},
			{"unknown account", SandboxMessageFilter{AccountSID: "AC3"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.SandboxMessages(ctx, tt.f)
				if err != nil {
					t.Fatalf("SandboxMessages: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}

		t.Run("get by account and sid", func(t *testing.T) {
			for _, m := range all {
				got, err := s.SandboxMessage(ctx, m.AccountSID, m.SID)
				if err != nil {
					t.Fatalf("SandboxMessage(%s): %v", m.SID, err)
				}
				if diff := cmp.Diff(m, got); diff != "" {
					t.Errorf("SandboxMessage(%s) (-want +got):\n%s", m.SID, diff)
				}
			}
			if got := byID["SMsame1"]; got.ErrorCode != 30003 || got.From != "" || got.MessagingServiceSID != "MG1" {
				t.Errorf("SMsame1 = %+v", got)
			}
		})
		t.Run("another account's sid is not found", func(t *testing.T) {
			if _, err := s.SandboxMessage(ctx, "AC2", "SM0"); !errors.Is(err, quest.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
		t.Run("message of a missing account is refused", func(t *testing.T) {
			_, err := s.CreateSandboxMessage(ctx, SandboxMessage{SID: "SMx", AccountSID: "ACnope", Direction: "outbound-api",
				To: "+1", FinalStatus: "delivered"})
			if err == nil {
				t.Error("want a foreign key error")
			}
		})
		t.Run("cancelled context", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.SandboxMessages(cctx, SandboxMessageFilter{AccountSID: "AC1"}); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	})
}
