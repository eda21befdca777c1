// Package verifier decides whether a player really did what an objective
// asks, by fetching the SID they pasted from their own Twilio account.
//
// The package is deliberately free of HTTP server, HTML and framework code:
// it takes a Request and answers a Verdict (the player's outcome, with a
// stable Reason and a finer Detail that key the localised messages in
// locale/messages/reasons.*.toml and objectives.*.toml) or an *UpstreamError (Twilio's trouble,
// which must not count against the player).
//
// Everything a player can get wrong is checked locally first (an empty or
// mangled SID, the Account SID pasted instead of the message SID, missing or
// malformed credentials), so the most common mistakes get a precise answer
// without spending a Twilio request. Only then is Twilio called, through
// twilio-go, with a per-call transport that adds what twilio-go lacks: a
// context (so a slow Twilio cannot hold a request forever), a configurable
// base URL (for the sandbox), and the HTTP status and Retry-After header.
package verifier
