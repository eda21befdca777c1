package store

import (
	"net/url"
	"strings"
)

// redactedPassword stands where a password was, as url.URL.Redacted does.
const redactedPassword = "xxxxx"

// RedactURL returns databaseURL fit to print or log: a PostgreSQL URL's
// password, in its user information or in a password query parameter, is
// replaced by xxxxx; a SQLite path holds no secret and is returned as it
// is. A URL Connect could not read (such as a password with an unencoded
// '@') is not quoted at all, as a guess at where its password ends could
// print part of it.
func RedactURL(databaseURL string) string {
	scheme, _, ok := strings.Cut(databaseURL, "://")
	if !ok {
		return databaseURL
	}
	u, err := url.Parse(databaseURL)
	if err != nil || ambiguousUserinfo(databaseURL) {
		return scheme + "://" + redactedPassword
	}
	q := u.Query()
	masked := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, redactedPassword)
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
