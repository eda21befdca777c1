package verifier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	messagingv1 "github.com/twilio/twilio-go/rest/messaging/v1"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

// errAbsent: Twilio answered, and the resource is in none of the places
// it could be (a phone number looked up by its number, a verification
// looked for in each of the account's Verify services).
var errAbsent = errors.New("no such resource in the account")

// productFacts is what the kinds beyond messages and calls are checked
// on: the Message the pages show and store, and what only they have.
type productFacts struct {
	msg quest.Message
	// A phone number's webhooks and their methods.
	smsURL, smsMethod, voiceURL, voiceMethod string
	// A Messaging Service's sender pool size (0 or 1: one page of one is
	// read) and inbound request URL.
	senders    int
	inboundURL string
	// A verification's channel.
	channel string
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// fetchPhoneNumber fetches the phone number sid (PN…) from the player's
// account, or looks the number up when the player pasted it (+E.164).
func (v *Verifier) fetchPhoneNumber(ctx context.Context, creds quest.Credentials, sid string) fetched {
	return v.fetch(ctx, "phone_number", creds, sid, func(api *apis) (any, error) {
		var n *openapi.ApiV2010IncomingPhoneNumber
		if strings.HasPrefix(sid, "+") {
			page, err := api.PageIncomingPhoneNumber((&openapi.ListIncomingPhoneNumberParams{}).
				SetPathAccountSid(creds.AccountSID).SetPhoneNumber(sid).SetPageSize(20), "", "")
			if err != nil {
				return nil, err
			}
			for i := range page.IncomingPhoneNumbers {
				if str(page.IncomingPhoneNumbers[i].PhoneNumber) == sid {
					n = &page.IncomingPhoneNumbers[i]
				}
			}
			if n == nil {
				return nil, fmt.Errorf("phone number %s: %w", sid, errAbsent)
			}
		} else {
			var err error
			if n, err = api.FetchIncomingPhoneNumber(sid, &openapi.FetchIncomingPhoneNumberParams{PathAccountSid: &creds.AccountSID}); err != nil {
				return nil, err
			}
			if n == nil || !strings.EqualFold(str(n.Sid), sid) {
				return nil, fmt.Errorf("twilio answered without phone number %s: %w", sid, errNoResource)
			}
		}
		f := &productFacts{msg: quest.Message{SID: str(n.Sid), AccountSID: str(n.AccountSid), Status: str(n.Status),
			To: str(n.PhoneNumber)},
			smsURL: str(n.SmsUrl), smsMethod: str(n.SmsMethod), voiceURL: str(n.VoiceUrl), voiceMethod: str(n.VoiceMethod)}
		if t, err := time.Parse(time.RFC1123Z, str(n.DateCreated)); err == nil {
			f.msg.DateCreated = t.UTC()
		}
		return f, nil
	})
}

// fetchMessagingService fetches the Messaging Service sid and one page of
// one number of its sender pool.
func (v *Verifier) fetchMessagingService(ctx context.Context, creds quest.Credentials, sid string) fetched {
	return v.fetch(ctx, "messaging_service", creds, sid, func(api *apis) (any, error) {
		svc, err := api.messaging.FetchService(sid)
		if err != nil {
			return nil, err
		}
		if svc == nil || !strings.EqualFold(str(svc.Sid), sid) {
			return nil, fmt.Errorf("twilio answered without service %s: %w", sid, errNoResource)
		}
		pool, err := api.messaging.PagePhoneNumber(sid, (&messagingv1.ListPhoneNumberParams{}).SetPageSize(1), "", "")
		if err != nil {
			return nil, err
		}
		f := &productFacts{msg: quest.Message{SID: str(svc.Sid), AccountSID: str(svc.AccountSid)},
			senders: len(pool.PhoneNumbers), inboundURL: str(svc.InboundRequestUrl)}
		if len(pool.PhoneNumbers) > 0 {
			f.msg.From = str(pool.PhoneNumbers[0].PhoneNumber)
		}
		if svc.DateCreated != nil {
			f.msg.DateCreated = svc.DateCreated.UTC()
		}
		return f, nil
	})
}

// maxVerifyServices bounds the Verify services searched for a
// verification: Twilio has no lookup of a verification by its SID alone,
// and an account used for a quest has a handful.
const maxVerifyServices = 20

// fetchVerification finds verification sid in the account's Verify
// services (the first maxVerifyServices), newest first.
func (v *Verifier) fetchVerification(ctx context.Context, creds quest.Credentials, sid string) fetched {
	return v.fetch(ctx, "verification", creds, sid, func(api *apis) (any, error) {
		services, err := api.verify.PageService((&verifyv2.ListServiceParams{}).SetPageSize(maxVerifyServices), "", "")
		if err != nil {
			return nil, err
		}
		for _, svc := range services.Services {
			ve, err := api.verify.FetchVerification(str(svc.Sid), sid)
			var tre *client.TwilioRestError
			if errors.As(err, &tre) && tre.Status == 404 {
				continue
			}
			if err != nil {
				return nil, err
			}
			if ve == nil || !strings.EqualFold(str(ve.Sid), sid) {
				return nil, fmt.Errorf("twilio answered without verification %s: %w", sid, errNoResource)
			}
			f := &productFacts{msg: quest.Message{SID: str(ve.Sid), AccountSID: str(ve.AccountSid), Status: str(ve.Status),
				To: str(ve.To)}, channel: str(ve.Channel)}
			if ve.DateCreated != nil {
				f.msg.DateCreated = ve.DateCreated.UTC()
			}
			return f, nil
		}
		return nil, fmt.Errorf("verification %s in %d services: %w", sid, len(services.Services), errAbsent)
	})
}

// isDemoHost reports whether host serves Twilio's demo TwiML: it answers,
// but it is not the player's code.
func isDemoHost(host string) bool {
	return strings.EqualFold(strings.TrimSuffix(host, "."), "demo.twilio.com")
}

// checkProduct applies the checks only the kinds beyond messages and
// calls have, after checkResource passed.
func (v *Verifier) checkProduct(ctx context.Context, verdict quest.Verdict, req quest.CheckRequest, f *productFacts, creds quest.Credentials) quest.Verdict {
	spec, c := req.Objective.Spec(), req.Objective.Checks
	verdict.Passed = false
	if spec.Webhooks {
		which, hook, method := catalog.WebhookSMS, f.smsURL, f.smsMethod
		if c.Webhook == catalog.WebhookVoice {
			which, hook, method = catalog.WebhookVoice, f.voiceURL, f.voiceMethod
		}
		if strings.TrimSpace(hook) == "" {
			return verdict.Reject(quest.WebhookNotSet, which)
		}
		u, ok := parseWebhook(hook)
		switch {
		case !ok:
			return verdict.Reject(quest.WebhookInvalid, quest.DetailURL)
		case isDemoHost(u.Hostname()):
			return verdict.Reject(quest.WebhookInvalid, quest.DetailDemo)
		case u.Scheme == "http" && !c.WebhookAllowHTTP:
			return verdict.Reject(quest.WebhookInvalid, quest.DetailHTTP)
		}
		if c.WebhookAnswers {
			if detail := v.webhooks.Test(ctx, hook, method, creds.Secret, webhookParams(which, creds.AccountSID, f.msg.To)); detail != "" {
				return verdict.Reject(quest.WebhookFailed, detail)
			}
		}
	}
	if spec.Senders {
		if f.senders == 0 {
			return verdict.Reject(quest.NoSender, "")
		}
		if c.InboundRequestURL && f.inboundURL == "" {
			return verdict.Reject(quest.NoInboundURL, "")
		}
	}
	if len(c.ChannelIn) > 0 && !containsFold(c.ChannelIn, f.channel) {
		return verdict.Reject(quest.WrongChannel, spec.Detail)
	}
	verdict.Passed, verdict.Reason, verdict.Detail = true, "", ""
	return verdict
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
