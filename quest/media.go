package quest

import (
	"context"
	"errors"
	"fmt"
)

// MaxMediaBytes bounds a picture fetched again for a page: an MMS
// picture is at most 5 MB at Twilio, and nothing bigger is held in
// memory.
const MaxMediaBytes = 5 << 20

// ErrMediaRefused is a media file questgate will not serve: not a
// picture of ImageTypes, larger than MaxMediaBytes, or behind a redirect
// to a private address. The page shows its alternative text instead.
var ErrMediaRefused = errors.New("media refused")

// MediaContent is a picture fetched from the player's account.
// ContentType is one of ImageTypes, checked against the bytes themselves.
type MediaContent struct {
	ContentType string
	Body        []byte
}

// MediaFetcher fetches the content of one media file of a message with
// credentials: ErrNotFound when the account has no such file,
// ErrMediaRefused when it is no picture to serve, any other error when
// Twilio could not answer. A Verifier may implement it; without it, no
// picture is shown.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, c Credentials, messageSID, mediaSID string) (MediaContent, error)
}

// SubmissionMedia fetches picture n (from 0) of sub's message again, with
// the credentials of sub's own player, and only while they still open the
// account the attempt was checked in: a player who saved another account
// since, or forgot theirs, gets ErrNotFound, as does a submission without
// such a picture. The caller must have read sub for its player (or be an
// instructor): this never reads anyone else's credentials, but it does
// not know who asks.
func (s *Service) SubmissionMedia(ctx context.Context, sub Submission, n int) (MediaContent, error) {
	if sub.Message == nil || n < 0 || n >= len(sub.Message.Media) {
		return MediaContent{}, ErrNotFound
	}
	m := sub.Message.Media[n]
	if !m.Valid() || !m.IsImage() {
		return MediaContent{}, ErrNotFound
	}
	c, err := s.cfg.Store.Credentials(ctx, sub.PlayerID)
	if err != nil {
		return MediaContent{}, err
	}
	if c.AccountSID != sub.AccountSID {
		return MediaContent{}, fmt.Errorf("the player's account is now %s, not %s: %w", c.AccountSID, sub.AccountSID, ErrNotFound)
	}
	v := s.cfg.Twilio
	if c.Sandbox {
		v = s.cfg.SandboxVerifier
	}
	f, ok := v.(MediaFetcher)
	if !ok {
		return MediaContent{}, ErrNotFound
	}
	return f.FetchMedia(ctx, Credentials{AccountSID: c.AccountSID, APIKeySID: c.APIKeySID, Secret: c.Secret}, sub.SID, m.SID)
}
