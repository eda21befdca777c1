package handlers_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCohortTwilioQuestDownload: an open cohort's page offers its
// TwilioQuest extension, a zip of the folder `questgate twilioquest
// export` writes, whose validators reach this server for this cohort; an
// archived cohort offers none, and nobody signed out gets one.
func TestCohortTwilioQuestDownload(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	stranger := newBrowser(t)
	e.signIn()
	co := e.cohortIn("Quest night")
	page := e.get("/instructor/cohorts/" + itoa(co.ID))
	href := page.attr("cohort-twilioquest", "href")
	if href == "" {
		t.Fatal("the cohort's page offers no TwilioQuest extension")
	}

	res, err := e.client.Get(e.srv.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), `filename="questgate-`+strings.ToLower(co.JoinCode)+`.zip"`) {
		t.Fatalf("download: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	zr, err := zip.NewReader(bytes.NewReader(body.Bytes()), int64(body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	root := "questgate-" + strings.ToLower(co.JoinCode) + "/"
	found := map[string][]byte{}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, root) {
			t.Errorf("%s is outside the extension's folder", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(rc)
		rc.Close()
		found[strings.TrimPrefix(f.Name, root)] = b.Bytes()
	}
	var pkg struct {
		Engines map[string]string `json:"engines"`
	}
	if err := json.Unmarshal(found["package.json"], &pkg); err != nil || pkg.Engines["twilioquest"] == "" {
		t.Errorf("package.json: %v %s", err, found["package.json"])
	}
	endpoint := publicURL + "/api/v1/cohorts/" + co.JoinCode + "/verifications"
	if v := string(found["levels/questgate/objectives/send-sms/validator.js"]); !strings.Contains(v, endpoint) {
		t.Errorf("send-sms's validator does not call %s", endpoint)
	}

	res, err = stranger.Get(e.srv.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Error("a visitor who is not signed in downloaded the extension")
	}

	if p := e.post("/instructor/cohorts/"+itoa(co.ID)+"/archive", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("archive: %d", p.status)
	}
	if p := e.get("/instructor/cohorts/" + itoa(co.ID)); p.find("cohort-twilioquest").Length() != 0 {
		t.Error("an archived cohort still offers its extension")
	}
}
