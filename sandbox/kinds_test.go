package sandbox

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/questgate/questgate/catalog"
)

// TestSandboxProducesWhatTheKindsTableSays creates, for every shipped
// objective whose kind the table says the sandbox can produce, the
// resource its examples create (the kind's Resource, its sample values),
// and checks the SID is one the objective accepts: a player without a
// Twilio account can complete it.
func TestSandboxProducesWhatTheKindsTableSays(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	a := e.account(t)
	for _, o := range cat.All() {
		spec := o.Spec()
		if !spec.SandboxCanProduce {
			continue
		}
		if !spec.HasExamples() {
			// Made in several requests (a service, then what goes in
			// it): TestTwilioGoDrivesTheProducts makes them.
			continue
		}
		form := url.Values{}
		for _, f := range o.SampleFields() {
			form.Set(f.Param, o.Samples.Value(f.Param, "en"))
		}
		r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/" + spec.Resource + ".json",
			form: form, user: a.SID, pass: a.AuthToken})
		if r.status != http.StatusCreated {
			t.Errorf("%s: POST %s.json: status %d: %s", o.ID, spec.Resource, r.status, r.body)
			continue
		}
		sid, _ := r.json(t)["sid"].(string)
		if len(sid) != 34 || !o.AcceptsPrefix(sid[:2]) {
			t.Errorf("%s: the sandbox made %q, which the objective does not accept (%v)", o.ID, sid, o.Prefixes())
		}
	}
}
