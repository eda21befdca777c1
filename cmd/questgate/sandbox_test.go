package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestSandboxRejectsBadLatency(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"negative", []string{"--latency", "-1s"}, nil, "--latency -1s"},
		{"a typo for milliseconds", []string{"--latency", "10m"}, nil, "--latency 10m0s"},
		{"from the environment", nil, map[string]string{"QUESTGATE_SANDBOX_LATENCY": "-200ms"}, "--latency -200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"questgate", "sandbox", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tt.args...)
			getenv := func(k string) string { return tt.env[k] }
			err := run(context.Background(), args, getenv, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
