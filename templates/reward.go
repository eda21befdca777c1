package templates

import (
	"context"
	"strconv"

	"github.com/questgate/questgate/quest"
)

// Proof is what a won attempt verified beyond its XP, as its success
// block shows it: a view value built from the result, never read from a
// store.
type Proof struct {
	// Duration is how long the call lasted, in words ("12 seconds");
	// empty for anything but a call with a duration.
	Duration string
	// Pictures are the MMS's pictures, served again by questgate from the
	// player's own account; empty when none could be listed, or on a page
	// (the widget) that cannot serve them.
	Pictures []Picture
	// Media is how many media files the message carried.
	Media int
}

// Picture is one picture of a proof: where the page gets it, and what a
// reader (or a browser that could not load it) gets instead.
type Picture struct {
	URL string
	Alt string
}

// MediaURL is where a submission's picture n (from 0) is served to its
// player.
func MediaURL(submissionID int64, n int) string {
	return "/submissions/" + strconv.FormatInt(submissionID, 10) + "/media/" + strconv.Itoa(n)
}

// proof is what h's result verified, for its success block.
func (h HackProps) proof(ctx context.Context) Proof {
	var p Proof
	r := h.Result
	if r == nil || r.Submission.Message == nil {
		return p
	}
	m := r.Submission.Message
	if m.Duration != nil {
		// Only a call has one.
		p.Duration = HumanDuration(ctx, *m.Duration)
	}
	p.Media = m.NumMedia
	if h.Action != "" || r.Submission.ID <= 0 {
		// The widget's page is another site's: its player has no
		// session here to fetch the picture with.
		return p
	}
	var images []quest.Media
	for _, x := range m.Media {
		if x.Valid() && x.IsImage() {
			images = append(images, x)
		}
	}
	for i, x := range images {
		p.Pictures = append(p.Pictures, Picture{
			URL: MediaURL(r.Submission.ID, indexOf(m.Media, x)),
			Alt: tr(ctx, "reward.picture_alt", map[string]any{"N": i + 1, "Count": len(images), "Type": x.ContentType}),
		})
	}
	return p
}

// indexOf is x's place in list, the n of its MediaURL.
func indexOf(list []quest.Media, x quest.Media) int {
	for i, y := range list {
		if y == x {
			return i
		}
	}
	return -1
}
