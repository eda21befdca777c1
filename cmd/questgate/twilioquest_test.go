package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTwilioQuestExport: the export writes the extension for the cohort
// named, or the only open one; says when the address is a guess; and
// refuses, exit 2, when the cohort is ambiguous or unknown.
func TestTwilioQuestExport(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runCLI(t, nil, "cohort", "create", "--name", "Lyon", "--data-dir", dir)
	if err != nil {
		t.Fatalf("cohort create: %v\n%s", err, errOut)
	}
	code := regexp.MustCompile(`(?m)^Join code: (\S+)$`).FindStringSubmatch(out)
	if code == nil || !strings.Contains(out, "http://localhost:8080/join/"+code[1]) || !strings.Contains(out, "is a guess") {
		t.Fatalf("cohort create without --public-url printed:\n%s", out)
	}
	if out, _, _ := runCLI(t, map[string]string{"QUESTGATE_PUBLIC_URL": "https://q.example"}, "cohort", "create", "--name", "Paris", "--data-dir", dir); strings.Contains(out, "guess") {
		t.Errorf("cohort create with QUESTGATE_PUBLIC_URL calls it a guess:\n%s", out)
	}

	ext := filepath.Join(dir, "ext")
	_, _, err = runCLI(t, nil, "twilioquest", "export", "--out", ext, "--data-dir", dir)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), code[1]) {
		t.Errorf("two open cohorts without --cohort: %v (exit %d), want exit 2 listing them", err, exitCode(err))
	}
	if _, _, err := runCLI(t, nil, "twilioquest", "export", "--out", ext, "--data-dir", dir, "--cohort", "ZZZZ2345"); err == nil {
		t.Error("an unknown cohort exported")
	}
	out, errOut, err = runCLI(t, nil, "twilioquest", "export", "--out", ext, "--data-dir", dir, "--cohort", strings.ToLower(code[1]),
		"--public-url", "https://quest.example")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errOut)
	}
	if strings.Contains(out, "guess") || !strings.Contains(out, "https://quest.example/api/v1/cohorts/"+code[1]+"/verifications") {
		t.Errorf("export printed:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(ext, "levels", "questgate", "objectives", "send-sms", "objective.json"))
	if err != nil || !json.Valid(b) {
		t.Fatalf("objective.json: %v", err)
	}
	v, err := os.ReadFile(filepath.Join(ext, "levels", "questgate", "objectives", "send-sms", "validator.js"))
	if err != nil || !strings.Contains(string(v), code[1]) {
		t.Errorf("validator.js is not the cohort's: %v", err)
	}
}

// TestSandboxAccountCreateNamesItsDatabase: the account's database is
// printed, and a missing one is not made unless asked.
func TestSandboxAccountCreateNamesItsDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "questgate.db")
	_, _, err := runCLI(t, nil, "sandbox", "account", "create", "--data-dir", dir)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "--create") {
		t.Errorf("no database: %v (exit %d), want exit 2 naming %s and --create", err, exitCode(err), db)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the refused command made a database")
	}
	out, errOut, err := runCLI(t, nil, "sandbox", "account", "create", "--data-dir", dir, "--create")
	if err != nil || !strings.Contains(out, "Database:    "+db) {
		t.Fatalf("with --create: %v\n%s%s", err, out, errOut)
	}
	out, _, err = runCLI(t, nil, "sandbox", "account", "create", "--data-dir", dir, "--json")
	var acc map[string]string
	if err != nil || json.Unmarshal([]byte(out), &acc) != nil || acc["database"] != db || acc["account_sid"] == "" {
		t.Errorf("an existing database: %v %s", err, out)
	}
}
