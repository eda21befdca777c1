package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/quest"
)

func TestInstructorSeesAndRedeliversWebhooks(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	ctx := context.Background()
	n := auth.GenerateKey()
	if _, err := e.store.CreateAPIKey(ctx, quest.APIKey{ID: n.ID, Name: "Quest Game", Hash: n.Hash, Prefix: n.Shown, SigningSecret: n.SigningSecret}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: n.ID, URL: "https://game.example/hooks", Secret: "whsec_c2VjcmV0"}); err != nil {
		t.Fatal(err)
	}
	apiPlayer, err := e.store.APIPlayer(ctx, n.ID, "p42", "Ada")
	player := apiPlayer.ID
	if err != nil {
		t.Fatal(err)
	}
	e.signIn()
	if p := e.get("/instructor/webhooks"); p.find("webhooks-empty").Length() != 1 {
		t.Errorf("no event yet, but no empty message:\n%s", p.body)
	}
	e.record(player, quest.Awarded, testMessageSID, nil)
	p := e.get("/instructor/webhooks")
	ev := p.find("webhook-event")
	if ev.Length() != 1 || ev.AttrOr("data-state", "") != "pending" {
		t.Fatalf("events: %d, state %q", ev.Length(), ev.AttrOr("data-state", ""))
	}
	id := ev.AttrOr("data-event", "")
	if p.attr("nav-webhooks", "aria-current") != "page" {
		t.Error("the nav does not mark the webhooks page")
	}
	r := e.post("/instructor/webhooks/"+id+"/redeliver", url.Values{})
	if r.status != http.StatusSeeOther {
		t.Fatalf("redeliver: %d", r.status)
	}
	if p := e.get("/instructor/webhooks?redelivered=1"); p.find("webhooks-notice").Length() != 1 {
		t.Error("no notice after redelivery")
	}
	if r := e.post("/instructor/webhooks/msg_nope/redeliver", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("unknown event: %d", r.status)
	}
}
