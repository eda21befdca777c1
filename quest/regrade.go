package quest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/questgate/questgate/live"
)

// ErrReasonRequired is returned when a regrade gives no reason: every
// manual change must say why, for the audit log.
var ErrReasonRequired = errors.New("a regrade needs a reason")

// Regrade is an instructor's manual decision on a player's objective.
type Regrade struct {
	PlayerID     string
	ObjectiveID  string
	InstructorID int64
	// Award gives the objective; false revokes it.
	Award  bool
	Reason string
}

// Regrade awards or revokes an objective by hand, with the audit entry in
// the same transaction. Errors: ErrUnknownObjective, ErrReasonRequired,
// ErrExists (already held), ErrNotFound (nothing to revoke).
func (s *Service) Regrade(ctx context.Context, r Regrade) error {
	obj, ok := s.cfg.Catalog.Get(r.ObjectiveID)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownObjective, r.ObjectiveID)
	}
	r.Reason = strings.TrimSpace(r.Reason)
	if r.Reason == "" {
		return ErrReasonRequired
	}
	var err error
	action := ActionAward
	if r.Award {
		err = s.cfg.Store.AwardByHand(ctx, r.PlayerID, obj.ID, obj.XP, r.InstructorID, r.Reason)
	} else {
		action = ActionRevoke
		err = s.cfg.Store.Revoke(ctx, r.PlayerID, obj.ID, r.InstructorID, r.Reason)
	}
	if err != nil {
		return err
	}
	if s.cfg.Live != nil {
		s.cfg.Live.Publish(ctx, live.Event{Kind: live.Regrade, PlayerID: r.PlayerID, ObjectiveID: obj.ID, Reason: action, At: time.Now().UTC()})
	}
	s.cfg.Log.InfoContext(ctx, "regrade", "player", r.PlayerID, "objective", obj.ID, "action", action, "instructor", r.InstructorID)
	return nil
}
