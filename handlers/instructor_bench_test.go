package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/templates"
)

// BenchmarkSubmissionsPage serves one page of the submissions view
// (handler, store and template, through a signed-in instructor's session)
// on 100,000 submissions by 500 players: the first page, a deep page, and
// filtered pages. The bar is well under 100 ms a page.
func BenchmarkSubmissionsPage(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	players := make([]quest.Player, 500)
	for i := range players {
		if players[i], err = st.CreatePlayer(ctx); err != nil {
			b.Fatal(err)
		}
	}
	reasons := []quest.Reason{quest.NotFound, quest.InvalidSID, quest.UpstreamUnavailable, quest.WrongResource, quest.SampleBody}
	for i := range 100_000 {
		sid := fmt.Sprintf("SM%032x", i)
		if _, err := st.RecordAttempt(ctx, quest.Submission{PlayerID: players[i%len(players)].ID, ObjectiveID: "send-sms",
			RawSID: sid, SID: sid, Reason: reasons[i%len(reasons)], IP: "192.0.2.1",
			Message: &quest.Message{Status: "delivered", Direction: "outbound-api", To: "+15558675310", From: "+15017122661", Body: "hello <b>there</b>"},
		}, nil); err != nil {
			b.Fatal(err)
		}
	}
	// Ten workshops of 50 players, and one whose only player has not
	// tried anything yet: filtering on it walks the whole table.
	var cohorts []quest.Cohort
	for i := range 11 {
		c, err := st.CreateCohort(ctx, quest.Cohort{Name: fmt.Sprintf("Workshop %d", i), JoinCode: fmt.Sprintf("BENCH%03d", i)})
		if err != nil {
			b.Fatal(err)
		}
		cohorts = append(cohorts, c)
	}
	for i, p := range players {
		if err := st.JoinCohort(ctx, p.ID, cohorts[i%10].ID, ""); err != nil {
			b.Fatal(err)
		}
	}
	idle, err := st.CreatePlayer(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.JoinCohort(ctx, idle.ID, cohorts[10].ID, ""); err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.Default()
	if err != nil {
		b.Fatal(err)
	}
	bundle, err := locale.Load()
	if err != nil {
		b.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(instructorPassword), bcrypt.MinCost)
	if _, err := st.CreateInstructor(ctx, instructorEmail, string(hash)); err != nil {
		b.Fatal(err)
	}
	sessions := handlers.NewSessions(st, handlers.SessionOptions{})
	ech := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: bundle, Sessions: sessions})
	handlers.NewInstructor(handlers.InstructorConfig{Quests: quest.New(quest.Config{Catalog: cat, Store: st}), Data: st,
		Sessions: sessions, Live: live.NewBroker(1)}).Routes(ech.Group("/instructor"))
	srv := httptest.NewServer(ech)
	defer srv.Close()
	client := newBrowser(&testing.T{})
	// The sign-in form carries a CSRF token, as every form does.
	resp, err := client.Get(srv.URL + "/instructor/login")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	token := doc.Find(`meta[name="csrf-token"]`).AttrOr("content", "")
	resp, err = client.PostForm(srv.URL+"/instructor/login", map[string][]string{"email": {instructorEmail},
		"password": {instructorPassword}, templates.CSRFField: {token}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in: %v %v", resp, err)
	}
	resp.Body.Close()

	for _, c := range []struct {
		name, query string
		empty       bool
	}{
		{"first page", "", false},
		{"deep page", "?before=1000", false},
		{"player", "?player=" + players[7].ID, false},
		{"reason and outcome", "?reason=not_found&outcome=rejected", false},
		{"SID prefix", "?sid=SM000000000000000000000000000123", false},
		{"dates", "?since=2000-01-01&until=2999-12-31", false},
		{"cohort", fmt.Sprintf("?cohort=%d", cohorts[3].ID), false},
		{"cohort and reason", fmt.Sprintf("?cohort=%d&reason=wrong_resource", cohorts[3].ID), false},
		// Worst cases: nothing matches, so the whole table is walked.
		{"cohort and another reason", fmt.Sprintf("?cohort=%d&reason=not_found", cohorts[3].ID), true},
		{"cohort without submissions", fmt.Sprintf("?cohort=%d", cohorts[10].ID), true},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := client.Get(srv.URL + "/instructor/submissions" + c.query)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !c.empty && n < 10_000 {
					b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
				}
			}
		})
	}
}
