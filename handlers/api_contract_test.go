package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/questgate/questgate/handlers"
)

// The contract: handlers/openapi.yaml is OpenAPI 3.1, whose schemas are JSON
// Schema 2020-12. kin-openapi validates 3.0 documents dependably but 3.1
// only in part, so the responses are validated with a JSON Schema
// 2020-12 validator against the schemas inside the document itself.
type contract struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

const contractURL = "file:///openapi.json"

var (
	contractOnce sync.Once
	theContract  *contract
	contractErr  error
)

func loadContract(t *testing.T) *contract {
	t.Helper()
	contractOnce.Do(func() {
		var doc map[string]any
		if err := yaml.Unmarshal(handlers.OpenAPI, &doc); err != nil {
			contractErr = err
			return
		}
		b, err := json.Marshal(doc)
		if err != nil {
			contractErr = err
			return
		}
		parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			contractErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource(contractURL, parsed); err != nil {
			contractErr = err
			return
		}
		doc = nil // again from JSON, so nested maps are map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			contractErr = err
			return
		}
		theContract = &contract{doc: doc, compiler: c, schemas: map[string]*jsonschema.Schema{}}
	})
	if contractErr != nil {
		t.Fatalf("load handlers/openapi.yaml: %v", contractErr)
	}
	return theContract
}

// operation returns the document's path template matching path and its
// operation for method.
func (c *contract) operation(method, path string) (string, map[string]any, bool) {
	paths, _ := c.doc["paths"].(map[string]any)
	for tmpl, item := range paths {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		if !regexp.MustCompile(re).MatchString(path) {
			continue
		}
		op, ok := item.(map[string]any)[strings.ToLower(method)].(map[string]any)
		return tmpl, op, ok
	}
	return "", nil, false
}

// pointer escapes one JSON pointer token for a URL fragment.
func pointer(tok string) string {
	tok = strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
	return url.PathEscape(tok)
}

// check validates a response against the document: the status must be
// documented for the operation, the content type too, and the body must
// match its schema.
func (c *contract) check(method, path string, status int, header http.Header, body []byte) error {
	tmpl, op, ok := c.operation(method, path)
	if !ok {
		return fmt.Errorf("%s %s is not in handlers/openapi.yaml", method, path)
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s: status %d is not documented", method, tmpl, status)
	}
	loc := "#/paths/" + pointer(tmpl) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status)
	if ref, ok := resp["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		resp = c.doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
		loc = "#/components/responses/" + pointer(name)
	}
	ct := strings.TrimSpace(strings.Split(header.Get("Content-Type"), ";")[0])
	content, _ := resp["content"].(map[string]any)
	if _, ok := content[ct]; !ok {
		return fmt.Errorf("%s %s %d: content type %q is not documented", method, tmpl, status, ct)
	}
	if hs, ok := resp["headers"].(map[string]any); ok {
		for name, h := range hs {
			h, _ := h.(map[string]any)
			if ref, ok := h["$ref"].(string); ok {
				h, _ = c.doc["components"].(map[string]any)["headers"].(map[string]any)[strings.TrimPrefix(ref, "#/components/headers/")].(map[string]any)
			}
			if required, _ := h["required"].(bool); required && header.Get(name) == "" {
				return fmt.Errorf("%s %s %d: header %s missing", method, tmpl, status, name)
			}
		}
	}
	if ct == "application/yaml" {
		return nil
	}
	ref := contractURL + loc + "/content/" + pointer(ct) + "/schema"
	c.mu.Lock()
	sch, ok := c.schemas[ref]
	if !ok {
		var err error
		if sch, err = c.compiler.Compile(ref); err != nil {
			c.mu.Unlock()
			return fmt.Errorf("compile %s: %w", ref, err)
		}
		c.schemas[ref] = sch
	}
	c.mu.Unlock()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s %d: body is not JSON: %w", method, tmpl, status, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s %s %d: body does not match the document: %w\n%s", method, tmpl, status, err, body)
	}
	return nil
}

// TestOpenAPIDocumentsEveryRoute: every route the API registers (but the
// CORS preflights) is in the document, and everything in the document is
// registered.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t, options{})
	c := loadContract(t)
	if v := c.doc["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	registered := map[string]bool{}
	for _, r := range e.echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") || r.Method == http.MethodOptions {
			continue
		}
		p := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(r.Path, `{$1}`)
		registered[r.Method+" "+p] = true
		if _, _, ok := c.operation(r.Method, p); !ok {
			t.Errorf("route %s %s is not documented in handlers/openapi.yaml", r.Method, r.Path)
		}
	}
	for p, item := range c.doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			if !registered[strings.ToUpper(m)+" "+p] {
				t.Errorf("handlers/openapi.yaml documents %s %s, which is not registered", strings.ToUpper(m), p)
			}
		}
	}
}
