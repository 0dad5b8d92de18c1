// Package heapgrowth measures how far the live heap rises while a function
// runs: the benchmarks of streaming code report it, since that memory must
// not grow with the journal. It imports nothing of firebreak, so every
// package's benchmarks can use it.
package heapgrowth

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Measure runs fn while sampling the live heap every 5 ms and returns
// how far the heap in use rose above where it was before, in MiB: the
// memory a streaming pass should keep flat, whatever the journal's length.
// A sampler, not an exact peak: figures under a MiB are noise, and
// ReadMemStats stops the world, so sampling more often slows what it
// measures.
func Measure(fn func()) float64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	fn()
	close(stop)
	<-done
	// One more sample: a run shorter than the ticker's period is measured too.
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	if end.HeapInuse > peak.Load() {
		peak.Store(end.HeapInuse)
	}
	return float64(int64(peak.Load())-int64(base.HeapInuse)) / (1 << 20)
}
