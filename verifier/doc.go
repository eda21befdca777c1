// Package verifier decides whether a player really did what an objective
// asks, by fetching the SID they pasted from their own Twilio account. It
// is the domain's Twilio adapter: it satisfies quest.Verifier, with the
// Reason, Detail, Verdict and SID parsing that package quest owns, and
// never imports store.
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
//
// Twilio is shared by a whole classroom and fails now and then, so every
// request to it keeps one discipline (upstream.go), configured by Options:
// each HTTP try has its own timeout inside the verification's overall
// deadline; only what is safe to retry is retried (429 or error 20429,
// 5xx, connection errors, tries that timed out), after an exponential,
// fully jittered pause or Twilio's Retry-After, and never past the
// deadline; at most so many requests per account are in flight, as Twilio
// limits concurrency per account; identical checks in flight (a
// double-click storm) share one request, never across different secrets;
// and after repeated outages a circuit breaker answers at once, "Twilio
// is unavailable, try again in N s" (DetailCircuitOpen), instead of
// letting every player wait out the deadline.
package verifier
