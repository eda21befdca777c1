package templates

import "context"

// CSRFField is the name of the hidden form field carrying the CSRF token,
// and CSRFHeader the header htmx requests carry it in (app.js copies it
// from the csrf-token meta tag). The handlers' CSRF check reads both.
const (
	CSRFField  = "_csrf"
	CSRFHeader = "X-CSRF-Token"
)

type csrfKey struct{}

// WithCSRF returns a context carrying the request's CSRF token, so that
// every form rendered with it sends the token back (CSRFInput) without
// each page's props threading it through.
func WithCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRF returns the token carried by ctx, or "" when none was set.
func CSRF(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}
