package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBucketHoldsItsValues: each value falls in its bucket, and a bucket is
// at most 1/subCount of its lower bound wide.
func TestBucketHoldsItsValues(t *testing.T) {
	t.Parallel()
	values := []uint64{0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 4095, 4096,
		123456789, 1<<40 + 12345, math.MaxUint64 >> 1, math.MaxUint64}
	for _, v := range values {
		i := bucketOf(v)
		require.True(t, i >= 0 && i < bucketCount, "bucketOf(%d) = %d, outside [0, %d)", v, i, bucketCount)
		low, width := bucketLow(i)
		assert.True(t, v >= low && v-low < width, "value %d in bucket %d = [%d, %d+%d)", v, i, low, low, width)
		if i >= subCount {
			assert.LessOrEqual(t, width*subCount, low, "bucket %d: width %d is more than 1/%d of %d", i, width, subCount, low)
		}
	}
}

// TestBucketsAreContiguous: each bucket starts where the previous ends.
func TestBucketsAreContiguous(t *testing.T) {
	t.Parallel()
	for i := 1; i < bucketCount; i++ {
		prevLow, prevWidth := bucketLow(i - 1)
		low, _ := bucketLow(i)
		require.Equal(t, prevLow+prevWidth, low, "bucket %d's start: where bucket %d ends", i, i-1)
	}
}

// exactQuantile is the reference: the ceil(q·n)-th smallest value.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// TestQuantilesMatchSortedValues: quantiles are within 1/64 of the exact
// ones, for three distributions; max and count are exact.
func TestQuantilesMatchSortedValues(t *testing.T) {
	t.Parallel()
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
				diff := math.Abs(float64(got - want))
				assert.LessOrEqual(t, diff, float64(want)/64+1, "q=%v: got %v, exact %v (error %.2f%%)", q, got, want, 100*diff/float64(want))
			}
			assert.Equal(t, values[len(values)-1], h.Max(), "max")
			assert.Equal(t, uint64(len(values)), h.Count(), "count")
		})
	}
}

// TestMergeEqualsRecordingTogether: merging histograms equals recording
// all their values in one.
func TestMergeEqualsRecordingTogether(t *testing.T) {
	t.Parallel()
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
	require.True(t, merged == all, "merged histogram differs: count %d/%d, mean %v/%v, p99 %v/%v",
		merged.Count(), all.Count(), merged.Mean(), all.Mean(), merged.Quantile(0.99), all.Quantile(0.99))
}

// TestEmptyAndNegative: an empty histogram reads zeros, and a negative
// duration counts as zero.
func TestEmptyAndNegative(t *testing.T) {
	t.Parallel()
	var h Histogram
	require.Zero(t, h.Quantile(0.5), "p50 of an empty histogram")
	require.Zero(t, h.Mean(), "mean of an empty histogram")
	require.Zero(t, h.Max(), "max of an empty histogram")
	h.Record(-time.Second)
	h.Record(3)
	assert.Equal(t, time.Duration(0), h.Quantile(0.5), "p50 of {0, 3} (a negative duration counts as zero)")
	assert.Equal(t, time.Duration(3), h.Quantile(1), "p100 of {0, 3}")
}

// TestRecordDoesNotAllocate: Record does not allocate. AllocsPerRun counts
// the allocations of the whole process: not parallel.
func TestRecordDoesNotAllocate(t *testing.T) {
	h := new(Histogram)
	allocs := testing.AllocsPerRun(1000, func() { h.Record(1234567) })
	require.Zero(t, allocs, "allocations per Record")
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := new(Histogram)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i&0xfffff) * 97)
	}
}
