package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
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
	// spec says which resource the examples create and how each
	// library names it; params are its parameters with their values,
	// From and To first.
	spec     catalog.KindSpec
	params   []exampleParam
	comments exampleComments
}

// exampleParam is one request parameter of an example and its value.
type exampleParam struct {
	catalog.SampleField
	value string
}

// exampleParams are the objective's request parameters with their sample
// values in lang, From and To first as Twilio's documentation writes them.
func exampleParams(o catalog.Objective, lang string) []exampleParam {
	var first, rest []exampleParam
	for _, f := range o.SampleFields() {
		p := exampleParam{f, o.Samples.Value(f.Param, lang)}
		if f.Param == catalog.ParamFrom || f.Param == catalog.ParamTo {
			first = append(first, p)
		} else {
			rest = append(rest, p)
		}
	}
	slices.SortStableFunc(first, func(a, b exampleParam) int {
		return strings.Compare(a.Param, b.Param) // From before To
	})
	return append(first, rest...)
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
//
// A kind made in several requests (catalog.KindSpec.HasExamples false) has
// none: its objectives' instructions show the requests.
func Examples(ctx context.Context, o catalog.Objective, a Account) []Example {
	if !o.Spec().HasExamples() {
		return nil
	}
	in := exampleInput{
		accountSID: a.AccountSID,
		username:   a.AccountSID,
		secret:     placeholderToken,
		sandbox:    a.Sandbox && a.AccountSID != "",
		baseURL:    twilioAPI,
		spec:       o.Spec(),
		params:     exampleParams(o, locale.Lang(ctx)),
	}
	if in.accountSID == "" {
		in.accountSID, in.username = placeholderAccountSID, placeholderAccountSID
	}
	if o.Checks.BodyNotSample {
		// The sample body alone is refused (sample_body): the examples
		// carry a body of the player's own, so that they pass as printed.
		for i, p := range in.params {
			if p.OwnText {
				in.params[i].value = playerBody(ctx, p.value, in.accountSID)
			}
		}
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
		sid:     tr(ctx, o.Spec().Texts.CopySID, map[string]any{"Prefix": sidPrefix(&o)}),
		curlSID: tr(ctx, "code.curl_sid", map[string]any{"Prefix": sidPrefix(&o)}),
		rewrite: tr(ctx, "code.go_rewrite"),
	}
	return []Example{
		{ID: "curl", Name: "curl", Code: curlExample(in)},
		{ID: "go", Name: "Go (twilio-go)", Code: goExample(in)},
		{ID: "python", Name: "Python", Code: pythonExample(in)},
		{ID: "node", Name: "Node.js", Code: nodeExample(in)},
	}
}

// playerBody is a body that is the player's own and not the sample: the
// sample followed by a signature made from the end of the player's
// Account SID, so it stays the same on every visit and differs between
// players. It still holds the sample's words, for objectives that check
// the body contains them.
func playerBody(ctx context.Context, sample, accountSID string) string {
	tag := accountSID[max(0, len(accountSID)-4):]
	return tr(ctx, "examples.player_body", map[string]any{"Sample": sample, "Tag": tag})
}

// messagesURL is the resource the example creates in (Messages, Calls…)
// of the account under base.
func (in exampleInput) messagesURL() string {
	return in.baseURL + "/2010-04-01/Accounts/" + in.accountSID + "/" + in.spec.Resource + ".json"
}

// ownText reports whether the player must write one of the values (a
// message's body), which the examples then say.
func (in exampleInput) ownText() bool {
	return slices.ContainsFunc(in.params, func(p exampleParam) bool { return p.OwnText })
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

// listOf writes a parameter's quoted value, between open and end when the
// library takes a list of them.
func listOf(p exampleParam, quoted, open, end string) string {
	if p.List {
		return open + quoted + end
	}
	return quoted
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
	if in.ownText() {
		ls = append(ls, "# "+in.comments.body)
	}
	ls = append(ls, "curl -X POST "+shellQuote(in.messagesURL())+` \`)
	for _, p := range in.params {
		ls = append(ls, "  --data-urlencode "+shellQuote(p.Param+"="+p.value)+` \`)
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
	ex := in.spec.Example
	ls = append(ls, "", ex.Var+" = client."+ex.Python+".create(")
	for _, p := range in.params {
		if p.OwnText {
			ls = append(ls, "    # "+in.comments.body)
		}
		ls = append(ls, "    "+p.Python+"="+listOf(p, jsString(p.value), "[", "]")+",")
	}
	ls = append(ls, ")",
		"# "+in.comments.sid,
		"print("+ex.Var+".sid)")
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
	ex := in.spec.Example
	ls = append(ls, "", "client."+ex.Node, "  .create({")
	for _, p := range in.params {
		if p.OwnText {
			ls = append(ls, "    // "+in.comments.body)
		}
		ls = append(ls, "    "+p.Node+": "+listOf(p, jsString(p.value), "[", "]")+",")
	}
	ls = append(ls,
		"  })",
		"  // "+in.comments.sid,
		"  .then(("+ex.Var+") => console.log("+ex.Var+".sid))",
		"  .catch((err) => console.error(err));")
	return lines(ls...)
}

// goExample is a whole program, so that it runs as pasted into main.go.
// twilio-go has no base-URL setting: for the sandbox the program passes
// its own http.Client whose RoundTripper rewrites api.twilio.com to the
// sandbox, the one supported way in.
func goExample(in exampleInput) string {
	// Graphic characters stay as they are, so a French body's narrow
	// no-break space reads as a space, not as \u202f.
	q := strconv.QuoteToGraphic
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
	ex := in.spec.Example
	ls = append(ls, "", "\tparams := &api."+ex.GoParams+"{}")
	for _, p := range in.params {
		if p.OwnText {
			ls = append(ls, "\t// "+in.comments.body)
		}
		ls = append(ls, "\tparams."+p.Go+"("+listOf(p, q(p.value), "[]string{", "}")+")")
	}
	ls = append(ls, "", "\t"+ex.Var+", err := tw.Api."+ex.GoCreate+"(params)")
	ls = append(ls,
		"\tif err != nil {",
		"\t\tfmt.Fprintln(os.Stderr, err)",
		"\t\tos.Exit(1)",
		"\t}",
		"\t// "+in.comments.sid,
		"\tfmt.Println(*"+ex.Var+".Sid)",
		"}")
	return lines(ls...)
}
