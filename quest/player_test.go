package quest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
)

// TestCredentialsNeverPrintTheirSecret logs and prints credentials every
// way a program might, slog's JSON handler (the default) first: the
// secret shows nowhere, the account does.
func TestCredentialsNeverPrintTheirSecret(t *testing.T) {
	const secret = "Zq9SECRETdoNotLeak4u7Xw2Lp0Hj5Vb"
	c := quest.Credentials{PlayerID: "pl_ada", AccountSID: "AC" + strings.Repeat("a1", 16), Secret: secret, Sandbox: true}
	outputs := map[string]func() string{
		"slog JSON": func() string {
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Info("saved", "credentials", c)
			return b.String()
		},
		"slog JSON, pointer": func() string {
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Info("saved", "credentials", &c)
			return b.String()
		},
		"slog text": func() string {
			var b bytes.Buffer
			slog.New(slog.NewTextHandler(&b, nil)).Info("saved", "credentials", c)
			return b.String()
		},
		"%v":     func() string { return fmt.Sprintf("%v", c) },
		"%+v":    func() string { return fmt.Sprintf("%+v", c) },
		"%#v":    func() string { return fmt.Sprintf("%#v", c) },
		"String": c.String,
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			got := out()
			if strings.Contains(got, secret) || strings.Contains(got, secret[:16]) {
				t.Errorf("the secret leaks: %s", got)
			}
			if !strings.Contains(got, c.AccountSID) {
				t.Errorf("the account SID is missing: %s", got)
			}
		})
	}
}
