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
	id := r.Submission.ID
	p.Pictures = pictures(ctx, m, func(n int) string { return MediaURL(id, n) })
	return p
}

// InstructorMediaURL is where an instructor gets a submission's picture n.
func InstructorMediaURL(submissionID int64, n int) string {
	return "/instructor" + MediaURL(submissionID, n)
}

// pictures are m's pictures as served at url(n), with their
// alternative text.
func pictures(ctx context.Context, m *quest.Message, url func(n int) string) []Picture {
	var out []Picture
	count := 0
	for _, x := range m.Media {
		if x.Valid() && x.IsImage() {
			count++
		}
	}
	for i, x := range m.Media {
		if x.Valid() && x.IsImage() {
			out = append(out, Picture{URL: url(i),
				Alt: tr(ctx, "reward.picture_alt", map[string]any{"N": len(out) + 1, "Count": count, "Type": x.ContentType})})
		}
	}
	return out
}
