package main

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: every power of two is split into
// 2^subBits buckets of equal width, so a bucket is at most 1/32 of the values
// it holds wide, and its midpoint is within 1/64 of any of them.
const (
	subBits     = 5
	subCount    = 1 << subBits
	bucketCount = (64 - subBits + 1) * subCount
)

// Histogram counts durations in log-linear buckets (as HdrHistogram does):
// values below 2^subBits nanoseconds each have their own bucket; above that,
// each power-of-two range is split into 2^subBits equal buckets. Recording
// is a few instructions and never allocates; the memory is fixed (15 KiB).
// A Histogram is not safe for concurrent use: give each goroutine its own and
// Merge them.
type Histogram struct {
	counts   [bucketCount]uint64
	total    uint64
	sum      uint64
	min, max uint64
}

// Record adds one duration; a negative one counts as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += v
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sum += o.sum
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the exact mean of the recorded values, or 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}

// Quantile returns the value at quantile q (0 < q ≤ 1): the midpoint of the
// bucket holding the ceil(q·n)-th smallest value, clamped to the exact
// minimum and maximum. It is within 1/64 of the exact value. An empty
// histogram gives 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(1, min(rank, h.total))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(max(bucketMid(i), h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// bucketOf returns the index of the bucket that holds v.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - subBits
	sub := int(v>>uint(shift)) - subCount
	return (shift+1)*subCount + sub
}

// bucketLow returns the smallest value bucket i holds, and its width.
func bucketLow(i int) (low, width uint64) {
	if i < subCount {
		return uint64(i), 1
	}
	shift := uint(i/subCount - 1)
	sub := uint64(i % subCount)
	return (subCount + sub) << shift, 1 << shift
}

// bucketMid returns the middle of bucket i's range.
func bucketMid(i int) uint64 {
	low, width := bucketLow(i)
	return low + (width-1)/2
}
