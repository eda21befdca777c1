package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStaticFilesButNoListings: the files the pages use are served, but a
// folder is a plain 404, never a listing of what the release ships.
func TestStaticFilesButNoListings(t *testing.T) {
	e := newEnv(t, options{})
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/static/css/app.css", http.StatusOK},
		{"/static/js/app.js", http.StatusOK},
		{"/static/img/favicon.svg", http.StatusOK},
		{"/static/", http.StatusNotFound},
		{"/static/css/", http.StatusNotFound},
		{"/static/js/", http.StatusNotFound},
		{"/static/css", http.StatusNotFound},
		{"/static/js/../css/", http.StatusNotFound},
		{"/static/.", http.StatusNotFound},
		{"/static/css/nothing.css", http.StatusNotFound},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p := e.get(tc.path)
			if p.status != tc.status {
				t.Errorf("status %d, want %d", p.status, tc.status)
			}
			for _, listed := range []string{"app.css", "app.js", "favicon.svg", "embed.js"} {
				if tc.status == http.StatusNotFound && strings.Contains(p.body, `href="`+listed) {
					t.Errorf("the answer lists %s:\n%s", listed, p.body)
				}
			}
		})
	}
}
