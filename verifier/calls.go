package verifier

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

// fetchCall fetches call sid from the player's account, for objectives of
// kind call: fetchMessage's twin on the Calls resource.
func (v *Verifier) fetchCall(ctx context.Context, creds quest.Credentials, sid string) fetched {
	return v.fetch(ctx, "call", creds, sid, func(api *apis) (any, error) {
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
func convertCall(c *openapi.ApiV2010Call) *quest.Message {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	m := &quest.Message{
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
	// Twilio writes the duration as whole seconds in a string, and
	// gives none until the call ends: a missing or odd one stays
	// unknown rather than zero. A day bounds it (Twilio ends calls after
	// four hours).
	if n, err := strconv.Atoi(strings.TrimSpace(str(c.Duration))); err == nil && n >= 0 && n <= 86400 {
		d := time.Duration(n) * time.Second
		m.Duration = &d
	}
	return m
}

// fetcher fetches one kind of resource, sid, from the player's account.
type fetcher func(v *Verifier, ctx context.Context, creds quest.Credentials, sid string) fetched

// fetchers fetch one resource from the player's account, by the name the
// kinds table gives it (catalog.KindSpec.Resource): its value is a
// *Message. Every kind's resource has one (TestEveryKindHasAFetcher).
var fetchers = map[string]fetcher{
	"Messages":             (*Verifier).fetchMessage,
	"Calls":                (*Verifier).fetchCall,
	"IncomingPhoneNumbers": (*Verifier).fetchPhoneNumber,
	"Messaging.Services":   (*Verifier).fetchMessagingService,
	"Verify.Verifications": (*Verifier).fetchVerification,
}

// forKind adapts a SID problem's detail to the objective's kind, whose
// help must speak of calls (say) where the generic messages speak of
// messages: the kind's detail word goes before it, and a message SID is
// just a message there, SMS or MMS.
func forKind(o *catalog.Objective, detail string) string {
	kind := o.Spec().Detail
	if kind == "" || detail == "" {
		return detail
	}
	if detail == quest.DetailSMS || detail == quest.DetailMMS {
		detail = quest.DetailMessage
	}
	return kind + "_" + detail
}

// notFoundDetail is NotFound's detail: the kind's wording (DetailCall for
// a call objective), none (the message wording) otherwise.
func notFoundDetail(o *catalog.Objective) string {
	return o.Spec().Detail
}
