package templates

import "context"

// CSRFField is the name of the hidden field that carries the CSRF token in
// every form, where the CSRF middleware looks for it ("form:_csrf").
const CSRFField = "_csrf"

type csrfKey struct{}

// WithCSRF returns a context carrying the request's CSRF token, for forms
// to embed. The CSRF middleware's token goes here, once per request.
func WithCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRF returns the token carried by ctx, or "" when there is none.
func CSRF(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}
