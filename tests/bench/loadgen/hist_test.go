package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketHoldsItsValues(t *testing.T) {
	values := []uint64{0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 4095, 4096,
		123456789, 1<<40 + 12345, math.MaxUint64 >> 1, math.MaxUint64}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= bucketCount {
			t.Fatalf("bucketOf(%d) = %d, outside [0, %d)", v, i, bucketCount)
		}
		low, width := bucketLow(i)
		if v < low || v-low >= width {
			t.Errorf("value %d in bucket %d = [%d, %d+%d)", v, i, low, low, width)
		}
		if i >= subCount && width*subCount > low {
			t.Errorf("bucket %d: width %d is more than 1/%d of %d", i, width, subCount, low)
		}
	}
}

func TestBucketsAreContiguous(t *testing.T) {
	for i := 1; i < bucketCount; i++ {
		prevLow, prevWidth := bucketLow(i - 1)
		low, _ := bucketLow(i)
		if prevLow+prevWidth != low {
			t.Fatalf("bucket %d starts at %d, bucket %d ends before %d", i, low, i-1, prevLow+prevWidth)
		}
	}
}

// exactQuantile is the reference: the ceil(q·n)-th smallest value.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func TestQuantilesMatchSortedValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	distributions := map[string]func() time.Duration{
		"uniform-small": func() time.Duration { return time.Duration(rng.IntN(200)) },
		"lognormal":     func() time.Duration { return time.Duration(math.Exp(rng.NormFloat64()*1.5 + 11)) },
		"bimodal": func() time.Duration {
			if rng.IntN(100) == 0 {
				return 50*time.Millisecond + time.Duration(rng.IntN(1e6))
			}
			return 80*time.Microsecond + time.Duration(rng.IntN(20000))
		},
	}
	for name, draw := range distributions {
		t.Run(name, func(t *testing.T) {
			var h Histogram
			values := make([]time.Duration, 100000)
			for i := range values {
				values[i] = draw()
				h.Record(values[i])
			}
			slices.Sort(values)
			for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
				got, want := h.Quantile(q), exactQuantile(values, q)
				if diff := math.Abs(float64(got - want)); diff > float64(want)/64+1 {
					t.Errorf("q=%v: got %v, exact %v (error %.2f%%)", q, got, want, 100*diff/float64(want))
				}
			}
			if h.Max() != values[len(values)-1] {
				t.Errorf("max %v, want %v", h.Max(), values[len(values)-1])
			}
			if h.Count() != uint64(len(values)) {
				t.Errorf("count %d, want %d", h.Count(), len(values))
			}
		})
	}
}

func TestMergeEqualsRecordingTogether(t *testing.T) {
	var a, b, all Histogram
	for i := range 5000 {
		d := time.Duration(i*i) * time.Nanosecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&b)
	merged.Merge(&Histogram{})
	if merged != all {
		t.Fatalf("merged histogram differs: count %d/%d, mean %v/%v, p99 %v/%v",
			merged.Count(), all.Count(), merged.Mean(), all.Mean(), merged.Quantile(0.99), all.Quantile(0.99))
	}
}

func TestEmptyAndNegative(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 || h.Max() != 0 {
		t.Fatalf("empty histogram: p50 %v mean %v max %v, want zeros", h.Quantile(0.5), h.Mean(), h.Max())
	}
	h.Record(-time.Second)
	h.Record(3)
	if got := h.Quantile(0.5); got != 0 {
		t.Errorf("p50 of {0, 3} = %v, want 0 (a negative duration counts as zero)", got)
	}
	if got := h.Quantile(1); got != 3 {
		t.Errorf("p100 of {0, 3} = %v, want 3", got)
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	h := new(Histogram)
	allocs := testing.AllocsPerRun(1000, func() { h.Record(1234567) })
	if allocs != 0 {
		t.Fatalf("Record allocates %v times per call", allocs)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := new(Histogram)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i&0xfffff) * 97)
	}
}
