package verifier

import (
	"context"
	"fmt"
	"strings"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/questgate/questgate/catalog"
)

// fetchCall fetches call sid from the player's account, for objectives of
// kind call: fetchMessage's twin on the Calls resource.
func (v *Verifier) fetchCall(ctx context.Context, creds Credentials, sid string) fetched {
	return v.fetch(ctx, "call", creds, sid, func(api *openapi.ApiService) (any, error) {
		call, err := api.FetchCall(sid, &openapi.FetchCallParams{PathAccountSid: &creds.AccountSID})
		if err != nil {
			return nil, err
		}
		if call == nil || call.Sid == nil || !strings.EqualFold(*call.Sid, sid) {
			return nil, fmt.Errorf("twilio answered without call %s: %w", sid, errNoResource)
		}
		return convertCall(call), nil
	})
}

// convertCall copies twilio-go's call into a Message: the fields every
// check reads have the same names on both resources, and a call has no
// body nor media.
func convertCall(c *openapi.ApiV2010Call) *Message {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	m := &Message{
		SID:        str(c.Sid),
		AccountSID: str(c.AccountSid),
		Status:     str(c.Status),
		Direction:  str(c.Direction),
		To:         str(c.To),
		From:       str(c.From),
	}
	if t, err := time.Parse(time.RFC1123Z, str(c.DateCreated)); err == nil {
		m.DateCreated = t.UTC()
	}
	return m
}

// forKind adapts a SID problem's detail to a call objective, whose help
// must speak of calls where the generic messages speak of messages.
func forKind(o catalog.Objective, detail string) string {
	if o.Kind != catalog.KindCall || detail == "" {
		return detail
	}
	if detail == DetailSMS || detail == DetailMMS {
		detail = DetailMessage
	}
	return DetailCallPrefix + detail
}

// notFoundDetail is NotFound's detail: the call wording for a call
// objective, none (the message wording) otherwise.
func notFoundDetail(o catalog.Objective) string {
	if o.Kind == catalog.KindCall {
		return DetailCall
	}
	return ""
}
