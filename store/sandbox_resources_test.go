package store

import (
	"errors"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// TestSandboxResources stores, lists, updates and deletes the sandbox's
// product resources on both databases: a duplicate key is a conflict,
// lists filter by parent and lookup newest first, deleting a service
// takes its children, and the quota of resources holds.
func TestSandboxResources(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.open(t)
		if _, err := s.CreateSandboxAccount(ctx, SandboxAccount{SID: "ACr1", AuthToken: "tok"}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		create := func(r SandboxResource) error {
			r.AccountSID, r.Data, r.CreatedAt = "ACr1", []byte(`{"a":1}`), at
			at = at.Add(time.Second)
			_, err := s.CreateSandboxResource(ctx, r)
			return err
		}
		for _, r := range []SandboxResource{
			{SID: "PN1", Kind: "phone_number", UniqueKey: "+15555550100", Lookup: "+15555550100"},
			{SID: "MG1", Kind: "messaging_service"},
			{SID: "MG1/PN1", Kind: "service_number", ParentSID: "MG1", UniqueKey: "PN1", Lookup: "PN1"},
			{SID: "VE1", Kind: "verification", ParentSID: "VA1", Lookup: "+15558675310"},
			{SID: "VE2", Kind: "verification", ParentSID: "VA1", Lookup: "+15558675310"},
		} {
			if err := create(r); err != nil {
				t.Fatalf("create %s: %v", r.SID, err)
			}
		}
		if err := create(SandboxResource{SID: "PN2", Kind: "phone_number", UniqueKey: "+15555550100"}); !errors.Is(err, quest.ErrConflict) {
			t.Errorf("same number twice: %v, want ErrConflict", err)
		}
		ves, err := s.SandboxResources(ctx, SandboxResourceFilter{AccountSID: "ACr1", Kind: "verification", ParentSID: "VA1", Lookup: "+15558675310"})
		if err != nil || len(ves) != 2 || ves[0].SID != "VE2" || string(ves[0].Data) != `{"a":1}` {
			t.Fatalf("verifications = %+v, %v", ves, err)
		}
		r, err := s.SandboxResource(ctx, "ACr1", "phone_number", "PN1")
		if err != nil {
			t.Fatal(err)
		}
		r.Data, r.UpdatedAt = []byte(`{"a":2}`), at.Add(time.Hour)
		if _, err := s.UpdateSandboxResource(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r, _ = s.SandboxResource(ctx, "ACr1", "phone_number", "PN1"); string(r.Data) != `{"a":2}` || !r.UpdatedAt.Equal(at.Add(time.Hour)) {
			t.Errorf("updated = %+v", r)
		}
		if _, err := s.SandboxResource(ctx, "ACother", "phone_number", "PN1"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("another account's: %v, want ErrNotFound", err)
		}
		if err := s.DeleteSandboxResource(ctx, "ACr1", "messaging_service", "MG1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SandboxResource(ctx, "ACr1", "service_number", "MG1/PN1"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("a deleted service's pool number: %v, want ErrNotFound", err)
		}
		if err := s.DeleteSandboxResource(ctx, "ACr1", "messaging_service", "MG1"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("deleting twice: %v, want ErrNotFound", err)
		}
		quota := SandboxUse{Resources: 2}
		for i, want := range []bool{true, true, false} {
			if err := s.TakeSandboxQuota(ctx, "ACr1", SandboxUse{Resources: 1}, quota); (err == nil) != want {
				t.Errorf("take %d: %v, want ok %v", i, err, want)
			}
		}
	})
}
