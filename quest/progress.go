package quest

import (
	"slices"

	"github.com/questgate/questgate/catalog"
)

// LeadsOn is where a player goes after winning an objective: a success
// that leads nowhere ("On to the next objective!" without a link) leaves
// a new player at a dead end.
type LeadsOn struct {
	// Unlocked are the objectives the win opened: they needed it, and
	// need nothing else the player lacks. In catalog order; the
	// catalog's own, to read and never change (the first win of a quest
	// opens most of it, and copies of each were most of what LeadsOn
	// allocated).
	Unlocked []*catalog.Objective
	// Next is the objective to play next: the first one unlocked, else
	// the first open one the player does not hold yet; nil when the
	// player holds every objective they can play.
	Next *catalog.Objective
}

// LeadsOn says where winning done leads a player whose awards (done's
// included) are awards.
func (s *Service) LeadsOn(done *catalog.Objective, awards map[string]Award) LeadsOn {
	var out LeadsOn
	var firstOpen *catalog.Objective
	held := holds(awards)
	for o := range s.cfg.Catalog.Objectives() {
		if held(o.ID) || s.cfg.Catalog.Locked(o, held) {
			continue
		}
		if slices.Contains(o.Prerequisites, done.ID) {
			out.Unlocked = append(out.Unlocked, o)
		} else if firstOpen == nil {
			firstOpen = o
		}
	}
	switch {
	case len(out.Unlocked) > 0:
		out.Next = out.Unlocked[0]
	default:
		out.Next = firstOpen
	}
	return out
}
