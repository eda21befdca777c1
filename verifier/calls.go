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
// kind call. It is fetchMessage's twin on the Calls resource.
func (v *Verifier) fetchCall(ctx context.Context, creds Credentials, sid string) (*Message, callResult) {
	var call *openapi.ApiV2010Call
	res := v.call(ctx, creds, func(api *openapi.ApiService) error {
		var err error
		call, err = api.FetchCall(sid, &openapi.FetchCallParams{PathAccountSid: &creds.AccountSID})
		return err
	})
	if res.err == nil && (call == nil || call.Sid == nil || !strings.EqualFold(*call.Sid, sid)) {
		res.err = fmt.Errorf("twilio answered %d without call %s", res.status, sid)
	}
	if res.err != nil {
		return nil, res
	}
	return convertCall(call), res
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
