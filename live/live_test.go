package live

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestBrokerDeliversToEverySubscriber(t *testing.T) {
	b := NewBroker(8)
	ctx, cancel := context.WithCancel(context.Background())
	a, c := b.Subscribe(ctx), b.Subscribe(ctx)
	b.Publish(ctx, Event{Kind: Submission, SubmissionID: 7})
	for _, ch := range []<-chan Event{a, c} {
		select {
		case e := <-ch:
			if e.SubmissionID != 7 {
				t.Errorf("got %+v", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
	}
	cancel()
	for range a {
	}
	for range c {
	}
}

func TestSlowSubscriberNeverBlocksPublisher(t *testing.T) {
	b := NewBroker(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_ = b.Subscribe(ctx) // never read
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				b.Publish(ctx, Event{Kind: Submission})
			}
		})
	}
	wg.Wait()
}
