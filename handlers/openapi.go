package handlers

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of questgate's JSON API, in YAML,
// written by hand beside the handlers it describes and served at
// /api/openapi.yaml. The contract tests check it against the routes and
// every response they see.
//
//go:embed openapi.yaml
var OpenAPI []byte
