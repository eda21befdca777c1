// Package e2e holds questgate's browser tests: they build the questgate
// binary, start it as a user would (`questgate serve --sandbox`), and drive
// Debian's Chromium headless through the DevTools protocol (chromedp) the way
// a person uses the pages: typing, clicking, pressing Enter, switching the
// language, with JavaScript on and off. They also check accessibility with
// axe-core and take screenshots of every page for reviewers.
//
// The tests live in _test.go files; this file only gives the package a
// name and a home for its documentation. Run them with `make test-e2e`
// (after `make deps-e2e` installs Chromium); `go test ./...` skips them,
// saying so, when Chromium is missing. Screenshots and axe reports are
// written to artifacts/e2e/ at the repository root.
package e2e
