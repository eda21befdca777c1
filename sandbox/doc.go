// Package sandbox is a small Twilio-compatible REST API that questgate
// ships because the machines it runs on cannot reach api.twilio.com, and
// because workshops need accounts that cost nothing, need no phone, and
// cannot leak a real Auth Token. Players send "SMS" to it with curl, a
// helper library or QuestIDE exactly as they would to Twilio, with only
// the host changed, and questgate verifies the message SIDs they paste
// against it like it verifies real ones. It is an adapter beside store
// and verifier: it implements quest.Sandbox and keeps its accounts and
// messages through store (the one adapter it imports).
//
// It speaks the part of the 2010-04-01 API that the objectives use
// (messages, MMS media, calls), with Twilio's own JSON shapes (checked in
// tests against Twilio's OpenAPI description) and Twilio's error bodies:
//
//	POST /accounts                                        create a sandbox account (no auth)
//	POST /accounts/{AccountSid}/inbound                   simulate a text arriving (not a Twilio API)
//	GET  /2010-04-01/Accounts/{AccountSid}.json            fetch the account
//	POST /2010-04-01/Accounts/{AccountSid}/Messages.json   send a message (MediaUrl makes an MMS)
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages.json   list messages, newest first
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}/Media.json   an MMS's media
//	POST /2010-04-01/Accounts/{AccountSid}/Calls.json      place a call (Url, Twiml or ApplicationSid required, never run)
//	GET  /2010-04-01/Accounts/{AccountSid}/Calls.json      list calls, newest first
//	GET  /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json
//	POST /2010-04-01/Accounts/{AccountSid}/Keys.json       create an API key
//	POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json   buy a number (PhoneNumber from the pool, or AreaCode)
//	GET  /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json   list (PhoneNumber, FriendlyName, Origin, Beta)
//	GET, POST, DELETE /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json   fetch, update webhooks, release
//	GET, POST /messaging/v1/Services, GET, POST, DELETE /messaging/v1/Services/{Sid}
//	GET, POST /messaging/v1/Services/{ServiceSid}/PhoneNumbers, GET, DELETE …/PhoneNumbers/{Sid}
//	GET, POST /verify/v2/Services, GET, DELETE /verify/v2/Services/{Sid}
//	POST /verify/v2/Services/{ServiceSid}/Verifications, GET, POST …/Verifications/{Sid}
//	POST /verify/v2/Services/{ServiceSid}/VerificationCheck
//
// Messaging v1 and Verify v2 live on their own hosts at Twilio
// (messaging.twilio.com, verify.twilio.com); here they sit beside the
// 2010 API under /messaging and /verify, their dates are RFC 3339 and
// their url fields absolute, as Twilio's are. A sandbox account may buy
// any number of the fictitious pool +15555550100 to +15555550199, each
// once. A verification's code is never in an answer: Inbox gives it to
// the player's sandbox phone page. A verification lasts ten minutes, and
// five wrong codes end it (max_attempts_reached).
//
// The inbound endpoint takes From (the texting phone), To (the account's
// number), Body, and optionally ReplyBody: it stores the incoming message
// (direction inbound, status received) and, with ReplyBody, the reply a
// TwiML <Message> would have sent (direction outbound-reply), and answers
// {"inbound": …, "reply": …}. That is how a workshop plays the reply
// objective without a phone or a webhook.
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
// The sandbox keeps what it is sent, so what one client may store is
// bounded (see Options): requests and new accounts per client address,
// and per account a quota of messages, calls, media and API keys; a
// message takes at most 10 MediaUrl of at most 1,024 bytes. Beyond a
// limit the answer is Twilio's 429 with code 20429.
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
// Calls to the same numbers: +15005550001 is refused (21211), +15005550004
// fails after queued, +15005550009 rings and ends no-answer; any other
// call goes queued → ringing → in-progress → completed, one Step each.
//
// Any other valid number is delivered. To and From may be the same number:
// the sample curl command of the send-SMS objective does exactly that.
// The magic numbers work on the WhatsApp channel too.
//
// # WhatsApp
//
// A message whose To and From are WhatsApp addresses (whatsapp: and an
// E.164 number, such as Twilio's WhatsApp sandbox number
// whatsapp:+14155238886) is a WhatsApp message: created, fetched and
// listed like any other, it keeps the prefix in its to and from, as
// Twilio's does. A malformed address is refused like a malformed number
// (21211 for To, 21212 for From), and a From and To on different channels
// get Twilio's 21910.
package sandbox
