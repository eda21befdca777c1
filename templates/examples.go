package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
)

// Account is the Twilio account an objective's code examples are written
// for. Handlers fill it from the player's own stored credentials, or
// leave it empty for a player who has none.
type Account struct {
	// AccountSID is "" when the player has no account yet: the examples
	// then show a placeholder.
	AccountSID string
	// APIKeySID is set when the credentials are an API key.
	APIKeySID string
	// Secret is the sandbox account's token or key secret. It is ignored
	// unless Sandbox is true: a real account's secret never reaches a page.
	Secret string
	// Sandbox marks an account of this server's sandbox.
	Sandbox bool
	// SandboxURL is the base URL of this server's Twilio-compatible API
	// ("https://questgate.example/sandbox"), the examples' target for a
	// sandbox account.
	SandboxURL string
}

// Example is one runnable code sample for an objective.
type Example struct {
	// ID is stable and short ("curl", "go", "python", "node"), for anchors
	// and tests.
	ID string
	// Name is the tool or language's own name, the same in every language.
	Name string
	// Code is plain text; templ escapes it when rendering.
	Code string
}

const (
	// placeholderAccountSID stands for the Account SID of a player who has
	// not saved one yet.
	placeholderAccountSID = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
	// placeholderToken stands for a real account's Auth Token, which
	// questgate never prints.
	placeholderToken = "your_auth_token"
	// twilioAPI is where real accounts send messages.
	twilioAPI = "https://api.twilio.com"
)

// exampleInput is what every generator needs, resolved once.
type exampleInput struct {
	accountSID string
	username   string // API key SID when there is one, else the Account SID
	secret     string
	sandbox    bool
	baseURL    string // without the trailing slash
	from, to   string
	body       string
	// call makes the examples place a call (to url's TwiML) instead of
	// sending a message; mediaURL, when set, makes the message an MMS.
	call     bool
	url      string
	mediaURL string
	comments exampleComments
}

// exampleComments are the localised comments written into the code.
type exampleComments struct {
	token   string // where to find the Auth Token (real accounts only)
	sandbox string // the code talks to the sandbox, not Twilio
	body    string // write your own message
	sid     string // what to copy into the hack interface
	curlSID string // curl answers JSON: which field to copy
	rewrite string // the Go RoundTripper's doc comment
}

// Examples returns the code samples for an objective: curl, Go (twilio-go),
// Python and Node.js, filled with the account's SID and the catalog's
// sample values in the context's language. For a real account the secret
// is always the placeholder your_auth_token; for a sandbox account the
// samples are complete and aimed at this server's sandbox, ready to paste.
func Examples(ctx context.Context, o catalog.Objective, a Account) []Example {
	in := exampleInput{
		accountSID: a.AccountSID,
		username:   a.AccountSID,
		secret:     placeholderToken,
		sandbox:    a.Sandbox && a.AccountSID != "",
		baseURL:    twilioAPI,
		from:       o.Samples.From,
		to:         o.Samples.To,
		body:       o.Samples.Body.In(locale.Lang(ctx)),
		call:       o.Kind == catalog.KindCall,
		url:        o.Samples.URL,
		mediaURL:   o.Samples.MediaURL,
	}
	if in.accountSID == "" {
		in.accountSID, in.username = placeholderAccountSID, placeholderAccountSID
	}
	if in.sandbox {
		if a.APIKeySID != "" {
			in.username = a.APIKeySID
		}
		in.secret = a.Secret
		in.baseURL = strings.TrimRight(a.SandboxURL, "/")
	}
	in.comments = exampleComments{
		token:   tr(ctx, "code.token_where"),
		sandbox: tr(ctx, "code.sandbox"),
		body:    tr(ctx, "code.own_body"),
		sid:     tr(ctx, copySID(o), map[string]any{"Prefix": sidPrefix(o)}),
		curlSID: tr(ctx, "code.curl_sid", map[string]any{"Prefix": sidPrefix(o)}),
		rewrite: tr(ctx, "code.go_rewrite"),
	}
	return []Example{
		{ID: "curl", Name: "curl", Code: curlExample(in)},
		{ID: "go", Name: "Go (twilio-go)", Code: goExample(in)},
		{ID: "python", Name: "Python", Code: pythonExample(in)},
		{ID: "node", Name: "Node.js", Code: nodeExample(in)},
	}
}

// copySID is the id of the comment telling what to paste.
func copySID(o catalog.Objective) string {
	if o.Kind == catalog.KindCall {
		return "code.copy_call_sid"
	}
	return "code.copy_sid"
}

// messagesURL is the resource the example creates in (Messages, or Calls
// for a call) of the account under base.
func (in exampleInput) messagesURL() string {
	resource := "/Messages.json"
	if in.call {
		resource = "/Calls.json"
	}
	return in.baseURL + "/2010-04-01/Accounts/" + in.accountSID + resource
}

// apiKey reports whether the example authenticates with an API key, which
// the libraries need told the Account SID separately.
func (in exampleInput) apiKey() bool { return in.username != in.accountSID }

// shellQuote quotes s for POSIX shells. Single quotes stop every expansion,
// "!" included, which double quotes would let bash's history expand.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// jsString quotes s as a JavaScript (and Python) string literal. JSON
// strings are valid in both, and keeping HTML characters as they are
// keeps the sample readable: templ escapes the whole block anyway.
func jsString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// lines joins code lines, ending with a newline.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func curlExample(in exampleInput) string {
	var ls []string
	if in.sandbox {
		ls = append(ls, "# "+in.comments.sandbox)
	} else {
		ls = append(ls, "# "+in.comments.token)
	}
	if !in.call {
		ls = append(ls, "# "+in.comments.body)
	}
	ls = append(ls,
		"curl -X POST "+shellQuote(in.messagesURL())+` \`,
		"  --data-urlencode "+shellQuote("From="+in.from)+` \`,
		"  --data-urlencode "+shellQuote("To="+in.to)+` \`)
	switch {
	case in.call:
		ls = append(ls, "  --data-urlencode "+shellQuote("Url="+in.url)+` \`)
	default:
		ls = append(ls, "  --data-urlencode "+shellQuote("Body="+in.body)+` \`)
		if in.mediaURL != "" {
			ls = append(ls, "  --data-urlencode "+shellQuote("MediaUrl="+in.mediaURL)+` \`)
		}
	}
	ls = append(ls,
		"  -u "+shellQuote(in.username+":"+in.secret),
		"# "+in.comments.curlSID,
	)
	return lines(ls...)
}

func pythonExample(in exampleInput) string {
	ls := []string{"from twilio.rest import Client", ""}
	if !in.sandbox {
		ls = append(ls, "# "+in.comments.token)
	}
	ls = append(ls, "account_sid = "+jsString(in.accountSID))
	switch {
	case in.apiKey():
		ls = append(ls,
			"api_key_sid = "+jsString(in.username),
			"api_key_secret = "+jsString(in.secret),
			"client = Client(api_key_sid, api_key_secret, account_sid)")
	default:
		ls = append(ls,
			"auth_token = "+jsString(in.secret),
			"client = Client(account_sid, auth_token)")
	}
	if in.sandbox {
		ls = append(ls, "# "+in.comments.sandbox,
			"client.api.base_url = "+jsString(in.baseURL))
	}
	if in.call {
		ls = append(ls, "",
			"call = client.calls.create(",
			"    from_="+jsString(in.from)+",",
			"    to="+jsString(in.to)+",",
			"    url="+jsString(in.url)+",",
			")",
			"# "+in.comments.sid,
			"print(call.sid)")
		return lines(ls...)
	}
	ls = append(ls, "",
		"message = client.messages.create(",
		"    from_="+jsString(in.from)+",",
		"    to="+jsString(in.to)+",",
		"    # "+in.comments.body,
		"    body="+jsString(in.body)+",")
	if in.mediaURL != "" {
		ls = append(ls, "    media_url=["+jsString(in.mediaURL)+"],")
	}
	ls = append(ls, ")",
		"# "+in.comments.sid,
		"print(message.sid)")
	return lines(ls...)
}

func nodeExample(in exampleInput) string {
	ls := []string{`const twilio = require("twilio");`, ""}
	if !in.sandbox {
		ls = append(ls, "// "+in.comments.token)
	}
	ls = append(ls, "const accountSid = "+jsString(in.accountSID)+";")
	switch {
	case in.apiKey():
		ls = append(ls,
			"const apiKeySid = "+jsString(in.username)+";",
			"const apiKeySecret = "+jsString(in.secret)+";",
			"const client = twilio(apiKeySid, apiKeySecret, { accountSid });")
	default:
		ls = append(ls,
			"const authToken = "+jsString(in.secret)+";",
			"const client = twilio(accountSid, authToken);")
	}
	if in.sandbox {
		ls = append(ls, "// "+in.comments.sandbox,
			"client.api.baseUrl = "+jsString(in.baseURL)+";")
	}
	if in.call {
		ls = append(ls, "",
			"client.calls",
			"  .create({",
			"    from: "+jsString(in.from)+",",
			"    to: "+jsString(in.to)+",",
			"    url: "+jsString(in.url)+",",
			"  })",
			"  // "+in.comments.sid,
			"  .then((call) => console.log(call.sid))",
			"  .catch((err) => console.error(err));")
		return lines(ls...)
	}
	ls = append(ls, "",
		"client.messages",
		"  .create({",
		"    from: "+jsString(in.from)+",",
		"    to: "+jsString(in.to)+",",
		"    // "+in.comments.body,
		"    body: "+jsString(in.body)+",")
	if in.mediaURL != "" {
		ls = append(ls, "    mediaUrl: ["+jsString(in.mediaURL)+"],")
	}
	ls = append(ls,
		"  })",
		"  // "+in.comments.sid,
		"  .then((message) => console.log(message.sid))",
		"  .catch((err) => console.error(err));")
	return lines(ls...)
}

// goExample is a whole program, so that it runs as pasted into main.go.
// twilio-go has no base-URL setting: for the sandbox the program passes
// its own http.Client whose RoundTripper rewrites api.twilio.com to the
// sandbox, the one supported way in.
func goExample(in exampleInput) string {
	q := strconv.Quote
	imports := []string{`"fmt"`, `"os"`, ""}
	if in.sandbox {
		imports = []string{`"fmt"`, `"net/http"`, `"net/url"`, `"os"`, ""}
	}
	imports = append(imports, `"github.com/twilio/twilio-go"`)
	if in.sandbox {
		imports = append(imports, `"github.com/twilio/twilio-go/client"`)
	}
	imports = append(imports, `api "github.com/twilio/twilio-go/rest/api/v2010"`)

	ls := []string{"package main", "", "import ("}
	for _, imp := range imports {
		if imp == "" {
			ls = append(ls, "")
			continue
		}
		ls = append(ls, "\t"+imp)
	}
	ls = append(ls, ")", "")
	if in.sandbox {
		ls = append(ls,
			"// "+in.comments.rewrite,
			"type sandbox struct{ base *url.URL }",
			"",
			"func (s sandbox) RoundTrip(r *http.Request) (*http.Response, error) {",
			"\tr = r.Clone(r.Context())",
			"\tr.URL.Scheme = s.base.Scheme",
			"\tr.URL.Host = s.base.Host",
			"\tr.URL.Path = s.base.Path + r.URL.Path",
			"\tr.Host = \"\"",
			"\treturn http.DefaultTransport.RoundTrip(r)",
			"}",
			"")
	}
	ls = append(ls, "func main() {")
	if in.sandbox {
		ls = append(ls,
			"\t// "+in.comments.sandbox,
			"\tbase, err := url.Parse("+q(in.baseURL)+")",
			"\tif err != nil {",
			"\t\tfmt.Fprintln(os.Stderr, err)",
			"\t\tos.Exit(1)",
			"\t}",
			"\tc := &client.Client{",
			"\t\tCredentials: client.NewCredentials("+q(in.username)+", "+q(in.secret)+"),",
			"\t\tHTTPClient:  &http.Client{Transport: sandbox{base}},",
			"\t}",
			"\tc.SetAccountSid("+q(in.accountSID)+")",
			"\ttw := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})",
		)
	} else {
		// gofmt aligns the values after the longest key.
		pad := ""
		if in.apiKey() {
			pad = "  "
		}
		ls = append(ls,
			"\t// "+in.comments.token,
			"\ttw := twilio.NewRestClientWithParams(twilio.ClientParams{",
			"\t\tUsername: "+pad+q(in.username)+",",
			"\t\tPassword: "+pad+q(in.secret)+",")
		if in.apiKey() {
			ls = append(ls, "\t\tAccountSid: "+q(in.accountSID)+",")
		}
		ls = append(ls, "\t})")
	}
	if in.call {
		ls = append(ls,
			"",
			"\tparams := &api.CreateCallParams{}",
			"\tparams.SetFrom("+q(in.from)+")",
			"\tparams.SetTo("+q(in.to)+")",
			"\tparams.SetUrl("+q(in.url)+")",
			"",
			"\tcall, err := tw.Api.CreateCall(params)")
	} else {
		ls = append(ls,
			"",
			"\tparams := &api.CreateMessageParams{}",
			"\tparams.SetFrom("+q(in.from)+")",
			"\tparams.SetTo("+q(in.to)+")",
			"\t// "+in.comments.body,
			"\tparams.SetBody("+q(in.body)+")")
		if in.mediaURL != "" {
			ls = append(ls, "\tparams.SetMediaUrl([]string{"+q(in.mediaURL)+"})")
		}
		ls = append(ls,
			"",
			"\tmessage, err := tw.Api.CreateMessage(params)")
	}
	result := "message"
	if in.call {
		result = "call"
	}
	ls = append(ls,
		"\tif err != nil {",
		"\t\tfmt.Fprintln(os.Stderr, err)",
		"\t\tos.Exit(1)",
		"\t}",
		"\t// "+in.comments.sid,
		"\tfmt.Println(*"+result+".Sid)",
		"}")
	return lines(ls...)
}
