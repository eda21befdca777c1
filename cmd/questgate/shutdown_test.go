package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/handlers"
)

// shutdownServer serves h with serveHTTP until the returned cancel is
// called; serveHTTP's result arrives on the channel.
func shutdownServer(t *testing.T, h http.Handler, grace time.Duration) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, slog.New(slog.DiscardHandler), ln, h, time.Minute, grace) }()
	return "http://" + ln.Addr().String(), cancel, done
}

// At shutdown an event stream ends at once, while a request in flight
// gets to finish and its answer.
func TestShutdownEndsStreamsAndFinishesRequests(t *testing.T) {
	entered := make(chan string, 2)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		entered <- "slow"
		<-release
		io.WriteString(w, "done")
	})
	mux.HandleFunc("/live", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": hello\n\n")
		w.(http.Flusher).Flush()
		entered <- "live"
		<-handlers.Stopping(r.Context())
	})
	base, stop, done := shutdownServer(t, mux, time.Minute)

	req, _ := http.NewRequest(http.MethodGet, base+"/live", nil)
	req.Header.Set("Accept", "text/event-stream")
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	slow := make(chan string, 1)
	go func() {
		// Whatever the client accepts, a request with an answer to
		// come is not taken for a stream.
		req, _ := http.NewRequest(http.MethodGet, base+"/slow", nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		slow <- string(b)
	}()
	<-entered
	<-entered

	stop()
	// The stream ends without the slow request being released.
	ended := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
		}
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the event stream still runs 30s after shutdown began")
	}
	close(release)
	if got := <-slow; got != "done" {
		t.Errorf("the request in flight got %q, want done", got)
	}
	if err := <-done; err != nil {
		t.Errorf("serveHTTP = %v, want nil", err)
	}
}

// Past the grace period, what still runs is cut off and said so.
func TestShutdownCutsOffAfterGrace(t *testing.T) {
	entered := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	base, stop, done := shutdownServer(t, h, 100*time.Millisecond)
	go func() {
		if res, err := http.Get(base); err == nil {
			res.Body.Close()
		}
	}()
	<-entered
	stop()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "1 request(s) still running") {
			t.Errorf("serveHTTP = %v, want an error saying a request was cut off", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serveHTTP still waits 30s after its grace period")
	}
}
