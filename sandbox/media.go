package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// mediaTypes maps the extensions of MediaUrl paths to the content type
// Twilio would report; anything else is reported as a JPEG, the most
// common MMS picture (the sandbox never downloads the file).
var mediaTypes = map[string]string{
	".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".webp": "image/webp", ".mp4": "video/mp4", ".mp3": "audio/mpeg", ".pdf": "application/pdf",
	".vcf": "text/vcard",
}

// mediaOf returns the media rows of a new message's MediaUrl values.
func mediaOf(urls []string) []store.SandboxMedia {
	out := make([]store.SandboxMedia, 0, len(urls))
	for _, raw := range urls {
		ct := "image/jpeg"
		if u, err := url.Parse(raw); err == nil {
			if t, ok := mediaTypes[strings.ToLower(path.Ext(u.Path))]; ok {
				ct = t
			}
		}
		out = append(out, store.SandboxMedia{SID: newSID("ME"), URL: raw, ContentType: ct})
	}
	return out
}

// mediaResource is the JSON of api.v2010.account.message.media.
type mediaResource struct {
	AccountSID  string `json:"account_sid"`
	ContentType string `json:"content_type"`
	DateCreated string `json:"date_created"`
	DateUpdated string `json:"date_updated"`
	ParentSID   string `json:"parent_sid"`
	SID         string `json:"sid"`
	URI         string `json:"uri"`
}

// mediaList is Twilio's list envelope for media.
type mediaList struct {
	listPage
	MediaList []mediaResource `json:"media_list"`
}

// listMedia answers GET …/Messages/{Sid}/Media.json: the media an MMS was
// sent with, on one page (a message has at most ten).
func (s *Sandbox) listMedia(c echo.Context) error {
	sid := c.Param(paramSID)
	if !messageSIDPattern.MatchString(sid) {
		return writeError(c, notFound(apiPath(c)))
	}
	ctx := c.Request().Context()
	account := authAccount(c).SID
	if _, err := s.st.SandboxMessage(ctx, account, sid); errors.Is(err, quest.ErrNotFound) {
		return writeError(c, notFound(apiPath(c)))
	} else if err != nil {
		return fail(c, err)
	}
	media, err := s.st.SandboxMedia(ctx, account, sid)
	if err != nil {
		return fail(c, err)
	}
	base := apiRoot + "/Accounts/" + account + "/Messages/" + sid + "/Media"
	page := base + ".json?PageSize=50&Page=0"
	out := mediaList{listPage: listPage{FirstPageURI: page, PageSize: 50, URI: page, End: max(len(media)-1, 0)},
		MediaList: make([]mediaResource, 0, len(media))}
	for _, m := range media {
		out.MediaList = append(out.MediaList, mediaResource{
			AccountSID: m.AccountSID, ContentType: m.ContentType,
			DateCreated: rfc2822(m.CreatedAt), DateUpdated: rfc2822(m.CreatedAt),
			ParentSID: m.MessageSID, SID: m.SID, URI: base + "/" + m.SID + ".json",
		})
	}
	return writeJSON(c, http.StatusOK, out)
}

// inbound answers POST /accounts/{AccountSid}/inbound, which is not a
// Twilio API: it simulates a text arriving at one of the account's
// numbers (From the player's phone, To the account's number, Body), as
// Twilio would log it (direction inbound, status received). With
// ReplyBody it also simulates the reply a TwiML <Message> would send
// back (direction outbound-reply, From and To swapped), which is what the
// reply objective asks for. It answers 201 with both messages.
func (s *Sandbox) inbound(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	from, to := strings.TrimSpace(form.Get("From")), strings.TrimSpace(form.Get("To"))
	body, reply := form.Get("Body"), form.Get("ReplyBody")
	switch {
	case from == "":
		return writeError(c, errMissingFrom)
	case !validTo(from):
		return writeError(c, invalidFrom(from))
	case to == "":
		return writeError(c, errMissingTo)
	case !validTo(to):
		return writeError(c, invalidTo(to))
	case body == "":
		return writeError(c, errMissingBody)
	case len([]rune(body)) > maxBodyChars || len([]rune(reply)) > maxBodyChars:
		return writeError(c, errBodyTooLong)
	}
	n := 1
	if reply != "" {
		n = 2
	}
	if ok, err := s.takeQuota(c, store.SandboxUse{Messages: n}); !ok {
		return err
	}
	ctx := c.Request().Context()
	account := authAccount(c).SID
	now := s.now()
	in, err := s.st.CreateSandboxMessage(ctx, store.SandboxMessage{
		SID: newSID("SM"), AccountSID: account, Direction: directionInbound, From: from, To: to, Body: body,
		FinalStatus: statusReceived, CreatedAt: now.UTC(),
	})
	if err != nil {
		return fail(c, err)
	}
	out := struct {
		Inbound messageResource  `json:"inbound"`
		Reply   *messageResource `json:"reply"`
	}{Inbound: s.render(in, now)}
	if reply != "" {
		// The reply leaves a moment after the text arrived, as it would
		// once the webhook answered.
		at := now.Add(time.Millisecond)
		r, err := s.st.CreateSandboxMessage(ctx, store.SandboxMessage{
			SID: newSID("SM"), AccountSID: account, Direction: directionOutboundReply, From: to, To: from, Body: reply,
			FinalStatus: statusDelivered, CreatedAt: at.UTC(),
		})
		if err != nil {
			return fail(c, err)
		}
		rr := s.render(r, now)
		out.Reply = &rr
	}
	return writeJSON(c, http.StatusCreated, out)
}
