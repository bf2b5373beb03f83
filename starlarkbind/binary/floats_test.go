package binary

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHalfRoundTrip: every binary16 value, NaNs included, survives
// unpack then pack bit for bit.
func TestHalfRoundTrip(t *testing.T) {
	t.Parallel()
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got, ok := float64ToHalf(halfToFloat64(h))
		if !ok || got != h { // checked first: testify on every value would be most of the test's time
			require.Truef(t, ok, "half %#04x -> %v overflows", h, halfToFloat64(h))
			require.Equalf(t, h, got, "half %#04x -> %v -> %#04x", h, halfToFloat64(h), got)
		}
	}
}

// TestHalfRoundsToNearestEven checks every midpoint between adjacent finite
// positive halfs: exactly half-way goes to the even one, a hair off goes to
// the nearer one.
func TestHalfRoundsToNearestEven(t *testing.T) {
	t.Parallel()
	for h := uint16(0); h < 0x7bff; h++ {
		lo, hi := halfToFloat64(h), halfToFloat64(h+1)
		mid := (lo + hi) / 2 // exact in float64
		even := h
		if h&1 == 1 {
			even = h + 1
		}
		cases := []struct {
			x    float64
			want uint16
		}{
			{mid, even},
			{math.Nextafter(mid, 0), h},
			{math.Nextafter(mid, math.Inf(1)), h + 1},
			{-mid, even | 0x8000},
		}
		for _, c := range cases {
			got, ok := float64ToHalf(c.x)
			if !ok || got != c.want { // checked first, as in TestHalfRoundTrip
				require.Truef(t, ok, "float64ToHalf(%v) overflows", c.x)
				require.Equalf(t, c.want, got, "float64ToHalf(%v) = %#04x, want %#04x", c.x, got, c.want)
			}
		}
	}
	// Above the largest finite half: rounds down until the midpoint with
	// infinity, which (ties to even) overflows.
	got, ok := float64ToHalf(math.Nextafter(halfOverflowAt, 0))
	require.True(t, ok, "just below 65520 overflows")
	require.Equal(t, uint16(0x7bff), got, "just below 65520")
	for _, x := range []float64{halfOverflowAt, -halfOverflowAt, 1e300} {
		_, ok := float64ToHalf(x)
		require.Falsef(t, ok, "float64ToHalf(%v) did not overflow", x)
	}
}

// TestSingleRoundTrip: random binary32 bit patterns, NaNs (signalling ones
// too) included, survive unpack then pack.
func TestSingleRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	patterns := []uint32{0, 0x80000000, 1, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffbfffff}
	for i := 0; i < 200000; i++ {
		patterns = append(patterns, rng.Uint32())
	}
	for _, p := range patterns {
		got, ok := float64ToSingle(singleToFloat64(p))
		if !ok || got != p { // checked first, as in TestHalfRoundTrip
			require.Truef(t, ok, "single %#08x overflows", p)
			require.Equalf(t, p, got, "single %#08x -> %#08x", p, got)
		}
	}
}

// TestNaNNarrowing pins how NaNs lose payload bits when packed narrower.
func TestNaNNarrowing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f64    uint64
		single uint32
		half   uint16
	}{
		{0x7ff8000000000000, 0x7fc00000, 0x7e00}, // Python's float("nan")
		{0xfff8000000000000, 0xffc00000, 0xfe00}, // x86's default NaN (inf - inf)
		{0x7ff4000000000000, 0x7fa00000, 0x7d00}, // signalling, top payload bit kept
		{0x7ff0000000080001, 0x7fc00000, 0x7e00}, // signalling, kept bits all zero: becomes quiet
		{0x7fffffffffffffff, 0x7fffffff, 0x7fff},
	}
	for _, c := range cases {
		x := math.Float64frombits(c.f64)
		single, _ := float64ToSingle(x)
		assert.Equalf(t, c.single, single, "float64ToSingle(%#016x) = %#08x, want %#08x", c.f64, single, c.single)
		half, _ := float64ToHalf(x)
		assert.Equalf(t, c.half, half, "float64ToHalf(%#016x) = %#04x, want %#04x", c.f64, half, c.half)
	}
	assert.Equal(t, uint64(0x7ff8000000000000), math.Float64bits(canonicalNaN(math.NaN())), "canonicalNaN(math.NaN()): Python's NaN")
	assert.Equal(t, uint64(0xfff8000000000000), math.Float64bits(canonicalNaN(-math.NaN())), "canonicalNaN(-math.NaN()): Python's")
	assert.Equal(t, uint64(0x7ff4000000000000), math.Float64bits(canonicalNaN(math.Float64frombits(0x7ff4000000000000))), "canonicalNaN changed another NaN")
}
