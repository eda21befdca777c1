package handlers_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/questgate/questgate/handlers"
)

// TestDocumentIsValidOpenAPI checks the document's structure and $refs
// with kin-openapi. Responses are checked against its schemas in the
// handlers' tests (api_contract_test.go), with a JSON Schema 2020-12
// validator, the dialect of OpenAPI 3.1.
func TestDocumentIsValidOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(handlers.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	for _, p := range []string{"/api/v1/verifications", "/api/v1/objectives", "/api/v1/players/{id}/progress", "/api/v1/submissions",
		"/api/v1/cohorts/{code}/verifications"} {
		if doc.Paths.Find(p) == nil {
			t.Errorf("%s is not documented", p)
		}
	}
}
