package quest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/questgate/questgate/quest"
)

// mediaVerifier is a fakeVerifier that also fetches media, saying whose
// credentials it got.
type mediaVerifier struct {
	*fakeVerifier
	got []quest.Credentials
}

func (m *mediaVerifier) FetchMedia(_ context.Context, c quest.Credentials, _, _ string) (quest.MediaContent, error) {
	m.got = append(m.got, c)
	return quest.MediaContent{ContentType: "image/png", Body: []byte("png")}, nil
}

// TestSubmissionMediaRoutes: a picture is fetched with the submission's
// own player's credentials, from the upstream they belong to, and only
// while they still open the account the attempt was checked in.
func TestSubmissionMediaRoutes(t *testing.T) {
	media := []quest.Media{{SID: "ME" + hex32('a'), ContentType: "image/png"}, {SID: "ME" + hex32('b'), ContentType: "video/mp4"}}
	tests := []struct {
		name        string
		sandboxOn   bool
		saved       *quest.Credentials
		checkedIn   string
		n           int
		wantTwilio  int
		wantSandbox int
		wantErr     error
	}{
		{"real account", true, &quest.Credentials{AccountSID: realAC, Secret: token}, realAC, 0, 1, 0, nil},
		{"sandbox account", true, &quest.Credentials{AccountSID: sandAC, Secret: token, Sandbox: true}, sandAC, 0, 0, 1, nil},
		{"sandbox account, sandbox off since", false, &quest.Credentials{AccountSID: sandAC, Secret: token, Sandbox: true}, sandAC, 0, 0, 0, quest.ErrNotFound},
		{"another account saved since", true, &quest.Credentials{AccountSID: realAC, Secret: token}, sandAC, 0, 0, 0, quest.ErrNotFound},
		{"credentials forgotten", true, nil, realAC, 0, 0, 0, quest.ErrNotFound},
		{"not a picture", true, &quest.Credentials{AccountSID: realAC, Secret: token}, realAC, 1, 0, 0, quest.ErrNotFound},
		{"no such media", true, &quest.Credentials{AccountSID: realAC, Secret: token}, realAC, 2, 0, 0, quest.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.sandboxOn)
			tw, sb := &mediaVerifier{fakeVerifier: f.twilio}, &mediaVerifier{fakeVerifier: f.sandbox}
			cfg := f.cfg
			cfg.Twilio = tw
			if tt.sandboxOn {
				cfg.SandboxVerifier = sb
			}
			svc := quest.New(cfg)
			if tt.saved != nil {
				c := *tt.saved
				c.PlayerID = f.player
				if err := f.st.SaveCredentials(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}
			sub := quest.Submission{PlayerID: f.player, SID: "MM" + hex32('1'), AccountSID: tt.checkedIn,
				Message: &quest.Message{NumMedia: 2, Media: media}}
			got, err := svc.SubmissionMedia(context.Background(), sub, tt.n)
			if !errors.Is(err, tt.wantErr) || (err == nil && got.ContentType != "image/png") {
				t.Errorf("got %q, %v; want %v", got.ContentType, err, tt.wantErr)
			}
			if len(tw.got) != tt.wantTwilio || len(sb.got) != tt.wantSandbox {
				t.Fatalf("fetched from Twilio %d times, the sandbox %d; want %d, %d", len(tw.got), len(sb.got), tt.wantTwilio, tt.wantSandbox)
			}
			for _, c := range append(tw.got, sb.got...) {
				if c.AccountSID != tt.saved.AccountSID || c.Secret != tt.saved.Secret {
					t.Errorf("fetched with %s, want the player's own %s", c.AccountSID, tt.saved.AccountSID)
				}
			}
		})
	}
}
