package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/questgate/questgate/quest"
)

// maxMediaRedirects bounds the redirects followed to a media file's
// content: Twilio answers with one, to its CDN.
const maxMediaRedirects = 3

// listMedia lists the first quest.MaxMedia media files of message sid,
// under the same upstream discipline as every fetch. Invalid entries are
// dropped; a list that fails gives none, since the picture is only shown.
func (v *Verifier) listMedia(ctx context.Context, creds quest.Credentials, sid string) []quest.Media {
	f := v.fetch(ctx, "media", creds, sid, func(api *apis) (any, error) {
		list, err := api.ListMedia(sid, (&openapi.ListMediaParams{}).SetPathAccountSid(creds.AccountSID).
			SetPageSize(quest.MaxMedia).SetLimit(quest.MaxMedia))
		if err != nil {
			return nil, err
		}
		out := make([]quest.Media, 0, len(list))
		for _, m := range list {
			if strings.EqualFold(str(m.ParentSid), sid) || m.ParentSid == nil {
				out = append(out, quest.Media{SID: str(m.Sid), ContentType: str(m.ContentType)})
			}
		}
		return quest.KeepMedia(out), nil
	})
	media, _ := f.value.([]quest.Media)
	if f.res.err != nil {
		return nil
	}
	// The value may be shared with coalesced callers: each gets a copy.
	return slices.Clone(media)
}

// FetchMedia fetches the content of media file mediaSID of message
// messageSID from the account of c, for a page to show it again. The
// first request goes where every fetch goes (BaseURL), with the
// credentials; Twilio answers it with a redirect to its CDN, which is
// followed without them, through the webhook tester's dialer (so never
// to a private address unless private webhooks are allowed), at most
// maxMediaRedirects times. Only a picture of quest.ImageTypes, whose bytes
// say the same, of at most quest.MaxMediaBytes, is returned; anything
// else is quest.ErrMediaRefused, a 404 quest.ErrNotFound.
func (v *Verifier) FetchMedia(ctx context.Context, c quest.Credentials, messageSID, mediaSID string) (quest.MediaContent, error) {
	c = c.Normalized()
	if err := c.Check(); err != nil {
		return quest.MediaContent{}, fmt.Errorf("media credentials: %w", err)
	}
	if reason, _ := quest.CheckSID(messageSID, []string{"MM", "SM"}); reason != "" {
		return quest.MediaContent{}, fmt.Errorf("message %q: %w", messageSID, quest.ErrNotFound)
	}
	if !(quest.Media{SID: mediaSID, ContentType: "image/png"}).Valid() {
		return quest.MediaContent{}, fmt.Errorf("media %q: %w", mediaSID, quest.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	u := *v.base
	u.Path += "/2010-04-01/Accounts/" + c.AccountSID + "/Messages/" + messageSID + "/Media/" + mediaSID
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return quest.MediaContent{}, err
	}
	req.SetBasicAuth(c.Username(), c.Secret)
	req.Header.Set("Accept", strings.Join(quest.ImageTypes, ", "))
	resp, err := v.transport.RoundTrip(req)
	if err != nil {
		return quest.MediaContent{}, fmt.Errorf("fetch media %s: %w", mediaSID, redact(err, c))
	}
	for hops := 0; isRedirect(resp.StatusCode); hops++ {
		drain(resp)
		if hops == maxMediaRedirects {
			return quest.MediaContent{}, fmt.Errorf("media %s: more than %d redirects: %w", mediaSID, maxMediaRedirects, quest.ErrMediaRefused)
		}
		next, err := req.URL.Parse(resp.Header.Get("Location"))
		if err != nil || (next.Scheme != "https" && next.Scheme != "http") || next.Host == "" || next.User != nil {
			return quest.MediaContent{}, fmt.Errorf("media %s: redirect to an unusable address: %w", mediaSID, quest.ErrMediaRefused)
		}
		// A new request: the credentials stay with the first.
		if req, err = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil); err != nil {
			return quest.MediaContent{}, err
		}
		req.Header.Set("Accept", strings.Join(quest.ImageTypes, ", "))
		if resp, err = v.webhooks.transport().RoundTrip(req); err != nil {
			if errors.Is(err, errPrivate) {
				return quest.MediaContent{}, fmt.Errorf("media %s redirects to %s: %w: %w", mediaSID, next.Redacted(), quest.ErrMediaRefused, err)
			}
			return quest.MediaContent{}, fmt.Errorf("fetch media %s: %w", mediaSID, err)
		}
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return quest.MediaContent{}, fmt.Errorf("media %s: %w", mediaSID, quest.ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return quest.MediaContent{}, fmt.Errorf("media %s: HTTP %d from %s", mediaSID, resp.StatusCode, (&url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host}).String())
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !slices.Contains(quest.ImageTypes, ct) {
		return quest.MediaContent{}, fmt.Errorf("media %s is %q, not a picture: %w", mediaSID, ct, quest.ErrMediaRefused)
	}
	if resp.ContentLength > quest.MaxMediaBytes {
		return quest.MediaContent{}, fmt.Errorf("media %s: %d bytes: %w", mediaSID, resp.ContentLength, quest.ErrMediaRefused)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, quest.MaxMediaBytes+1))
	if err != nil {
		return quest.MediaContent{}, fmt.Errorf("read media %s: %w", mediaSID, err)
	}
	if len(body) > quest.MaxMediaBytes {
		return quest.MediaContent{}, fmt.Errorf("media %s: over %d bytes: %w", mediaSID, quest.MaxMediaBytes, quest.ErrMediaRefused)
	}
	// The bytes must be the picture the header says: a browser is told
	// the type and never to guess, so it must be right.
	if sniffed := http.DetectContentType(body); sniffed != ct {
		return quest.MediaContent{}, fmt.Errorf("media %s says %q but holds %q: %w", mediaSID, ct, sniffed, quest.ErrMediaRefused)
	}
	return quest.MediaContent{ContentType: ct, Body: body}, nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// drain reads a little of a body we are done with and closes it, so its
// connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}
