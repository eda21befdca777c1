package quest

import "testing"

func TestPickSID(t *testing.T) {
	sm := "SM" + hex32
	mm := "MM" + hex32
	ac := "AC" + "fedcba9876543210fedcba9876543210"
	answer := `{"account_sid": "` + ac + `", "api_version": "2010-04-01", "body": "Hi", ` +
		`"messaging_service_sid": null, "sid": "` + sm + `", "status": "queued", ` +
		`"uri": "/2010-04-01/Accounts/` + ac + `/Messages/` + sm + `.json"}`
	tests := []struct {
		name, in, want, from string
	}{
		{"bare SID", sm, sm, ""},
		{"quoted SID", `"` + sm + `",`, sm, ""},
		{"lower-case SID", "sm" + hex32, sm, ""},
		{"whole JSON answer", answer, sm, PastedJSON},
		{"pretty JSON answer", "{\n  \"account_sid\": \"" + ac + "\",\n  \"sid\": \"" + mm + "\"\n}", mm, PastedJSON},
		{"sid line", `"sid": "` + sm + `",`, sm, PastedField},
		{"sid line without comma", `  "sid":"` + sm + `"`, sm, PastedField},
		{"node console.log", `sid: '` + sm + `',`, sm, PastedField},
		{"account_sid line is not the SID", `"account_sid": "` + ac + `"`, `account_sid": "` + ac, ""},
		{"console URL", "https://console.twilio.com/us1/monitor/logs/sms/" + sm + "?x=1", sm, PastedURL},
		{"console frame URL", "https://console.twilio.com/us1/monitor/logs/sms?frameUrl=%2Fconsole%2Fsms%2Flogs%2F" + ac + "%2F" + sm + "%3Fx-target-region%3Dus1", sm, PastedURL},
		{"API URL", "https://api.twilio.com/2010-04-01/Accounts/" + ac + "/Messages/" + sm + ".json", sm, PastedURL},
		{"URL without a SID", "https://console.twilio.com/us1/monitor/logs/sms", "https://console.twilio.com/us1/monitor/logs/sms", ""},
		{"short SID in a line stays as typed", `"sid": "SM12"`, `sid": "SM12`, ""},
		{"text without a SID", "hello", "hello", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid, from := PickSID(tt.in)
			if sid != tt.want || from != tt.from {
				t.Errorf("PickSID(%q) = %q, %q; want %q, %q", tt.in, sid, from, tt.want, tt.from)
			}
		})
	}
}

func TestPickedFrom(t *testing.T) {
	sm := "SM" + hex32
	for _, tt := range []struct {
		raw, sid, want string
	}{
		{sm, sm, ""},
		{" '" + sm + "' ", sm, ""},
		{ClipPaste(`{"account_sid": "AC` + hex32 + `", "sid": "` + sm + `"}`), sm, PastedJSON},
		{`"sid": "` + sm + `",`, sm, PastedField},
		{ClipPaste("https://console.twilio.com/us1/monitor/logs/sms/" + sm), sm, PastedURL},
		{"nonsense", "nonsense", ""},
	} {
		if got := (Submission{RawSID: tt.raw, SID: tt.sid}).PickedFrom(); got != tt.want {
			t.Errorf("PickedFrom(%q, %q) = %q, want %q", tt.raw, tt.sid, got, tt.want)
		}
	}
}
