// Package sandbox is a small Twilio-compatible REST API that questgate
// ships because the machines it runs on cannot reach api.twilio.com, and
// because workshops need accounts that cost nothing, need no phone, and
// cannot leak a real Auth Token. Players send "SMS" to it with curl, a
// helper library or QuestIDE exactly as they would to Twilio, with only
// the host changed, and questgate verifies the message SIDs they paste
// against it like it verifies real ones.
//
// It speaks the part of the 2010-04-01 API that the send-SMS objectives
// use, with Twilio's own JSON shapes (checked in tests against Twilio's
// OpenAPI description) and Twilio's error bodies:
//
//	POST /accounts                                        create a sandbox account (no auth)
//	GET  /2010-04-01/Accounts/{AccountSid}.json            fetch the account
//	POST /2010-04-01/Accounts/{AccountSid}/Messages.json   send a message
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages.json   list messages, newest first
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json
//	POST /2010-04-01/Accounts/{AccountSid}/Keys.json       create an API key
//
// The caller mounts [Sandbox.Routes] on a group at "/sandbox", so the API
// base a client uses instead of https://api.twilio.com is
// http(s)://host/sandbox. URIs inside responses (uri, next_page_uri, …)
// stay relative to the API base, as Twilio's are relative to
// https://api.twilio.com, so helper libraries that prepend their base URL
// keep working.
//
// Every /2010-04-01 route takes HTTP Basic auth: the Account SID with its
// Auth Token, or an API key SID (SK…) of that account with its secret.
// Keys created through the API are Standard keys, and like Twilio's they
// are refused (401, 20003) on the Account resource and on Keys.json: a
// credential check that fetches the Account works with an Auth Token only,
// on Twilio as here.
//
// A message's status follows its age, so no background work is needed:
// "queued" for one Step, then "sent" (date_sent set) for one Step, then
// its final status, "delivered" unless a magic number says otherwise.
// Messages that end "failed" go queued → sending → failed and are never
// given a date_sent. No text is ever delivered anywhere.
//
// # Magic numbers
//
// So that workshops can demonstrate failures, a few numbers behave
// specially (Twilio's test credentials use the same 500-555 range, with
// different outcomes: there, every magic number is refused at creation):
//
//	To   +15005550001  400, code 21211: invalid 'To' number (as Twilio's test credentials)
//	To   +15005550004  201, then final status "failed", error_code 30006
//	To   +15005550009  201, then final status "undelivered", error_code 30003
//	From +15005550001  400, code 21212: invalid 'From' number (as Twilio's test credentials)
//
// Any other valid number is delivered. To and From may be the same number:
// the sample curl command of the send-SMS objective does exactly that.
package sandbox
