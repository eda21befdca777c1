// Package api holds the OpenAPI 3.1 document of questgate's JSON API,
// written by hand and served at /api/openapi.yaml. The handlers' tests
// check it against the routes and every response they see.
package api

import _ "embed"

// OpenAPI is the document, in YAML.
//
//go:embed openapi.yaml
var OpenAPI []byte
