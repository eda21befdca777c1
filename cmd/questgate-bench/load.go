package main

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measured request: how long it took, and what went wrong
// (nil when it gave the expected answer).
type result struct {
	took time.Duration
	err  error
}

// measured is what a load generator saw: every result, and the wall time.
type measured struct {
	results []result
	wall    time.Duration
}

// burst starts n requests at the same instant (they wait at a barrier)
// and waits for all of them.
func burst(n int, op func(i int) error) measured {
	results := make([]result, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	ready.Add(n)
	for i := range n {
		done.Go(func() {
			ready.Done()
			<-start
			began := time.Now()
			err := op(i)
			results[i] = result{took: time.Since(began), err: err}
		})
	}
	ready.Wait()
	began := time.Now()
	close(start)
	done.Wait()
	return measured{results: results, wall: time.Since(began)}
}

// pool runs op for 0..n-1 with concurrency workers, each taking the next
// index as soon as its previous request is answered (a closed loop).
func pool(n, concurrency int, op func(i int) error) measured {
	results := make([]result, n)
	var next atomic.Int64
	var done sync.WaitGroup
	began := time.Now()
	for range min(concurrency, n) {
		done.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				err := op(i)
				results[i] = result{took: time.Since(t), err: err}
			}
		})
	}
	done.Wait()
	return measured{results: results, wall: time.Since(began)}
}

// loop runs op(worker) in concurrency closed loops for d.
func loop(d time.Duration, concurrency int, op func(worker int) error) measured {
	per := make([][]result, concurrency)
	deadline := time.Now().Add(d)
	var done sync.WaitGroup
	began := time.Now()
	for w := range concurrency {
		done.Go(func() {
			for time.Now().Before(deadline) {
				t := time.Now()
				err := op(w)
				per[w] = append(per[w], result{took: time.Since(t), err: err})
			}
		})
	}
	done.Wait()
	m := measured{wall: time.Since(began)}
	for _, rs := range per {
		m.results = append(m.results, rs...)
	}
	return m
}

// stats summarise a measurement.
type stats struct {
	n, errors     int
	firstError    error
	p50, p99, max time.Duration
	perSecond     float64
}

func (m measured) stats() stats {
	s := stats{n: len(m.results)}
	took := make([]time.Duration, 0, len(m.results))
	for _, r := range m.results {
		took = append(took, r.took)
		if r.err != nil {
			s.errors++
			if s.firstError == nil {
				s.firstError = r.err
			}
		}
	}
	slices.Sort(took)
	s.p50, s.p99 = percentile(took, 50), percentile(took, 99)
	if len(took) > 0 {
		s.max = took[len(took)-1]
	}
	if m.wall > 0 {
		s.perSecond = float64(s.n-s.errors) / m.wall.Seconds()
	}
	return s
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}
