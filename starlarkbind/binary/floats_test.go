package binary

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHalfRoundTrip: every binary16 value, NaNs included, survives
// unpack then pack bit for bit.
func TestHalfRoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got, ok := float64ToHalf(halfToFloat64(h))
		if !ok || got != h {
			t.Fatalf("half %#04x -> %v -> %#04x (ok=%v)", h, halfToFloat64(h), got, ok)
		}
	}
}

// TestHalfRoundsToNearestEven checks every midpoint between adjacent finite
// positive halfs: exactly half-way goes to the even one, a hair off goes to
// the nearer one.
func TestHalfRoundsToNearestEven(t *testing.T) {
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
			if got, ok := float64ToHalf(c.x); !ok || got != c.want {
				t.Fatalf("float64ToHalf(%v) = %#04x (ok=%v), want %#04x", c.x, got, ok, c.want)
			}
		}
	}
	// Above the largest finite half: rounds down until the midpoint with
	// infinity, which (ties to even) overflows.
	if got, ok := float64ToHalf(math.Nextafter(halfOverflowAt, 0)); !ok || got != 0x7bff {
		t.Fatalf("just below 65520: %#04x ok=%v", got, ok)
	}
	for _, x := range []float64{halfOverflowAt, -halfOverflowAt, 1e300} {
		if _, ok := float64ToHalf(x); ok {
			t.Fatalf("float64ToHalf(%v) did not overflow", x)
		}
	}
}

// TestSingleRoundTrip: random binary32 bit patterns, NaNs (signalling ones
// too) included, survive unpack then pack.
func TestSingleRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	patterns := []uint32{0, 0x80000000, 1, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffbfffff}
	for i := 0; i < 200000; i++ {
		patterns = append(patterns, rng.Uint32())
	}
	for _, p := range patterns {
		got, ok := float64ToSingle(singleToFloat64(p))
		if !ok || got != p {
			t.Fatalf("single %#08x -> %#08x (ok=%v)", p, got, ok)
		}
	}
}

// TestNaNNarrowing pins how NaNs lose payload bits when packed narrower.
func TestNaNNarrowing(t *testing.T) {
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
		if got, _ := float64ToSingle(x); got != c.single {
			t.Errorf("float64ToSingle(%#016x) = %#08x, want %#08x", c.f64, got, c.single)
		}
		if got, _ := float64ToHalf(x); got != c.half {
			t.Errorf("float64ToHalf(%#016x) = %#04x, want %#04x", c.f64, got, c.half)
		}
	}
	if got := math.Float64bits(canonicalNaN(math.NaN())); got != 0x7ff8000000000000 {
		t.Errorf("canonicalNaN(math.NaN()) = %#016x, want Python's 0x7ff8000000000000", got)
	}
	if got := math.Float64bits(canonicalNaN(-math.NaN())); got != 0xfff8000000000000 {
		t.Errorf("canonicalNaN(-math.NaN()) = %#016x, want Python's 0xfff8000000000000", got)
	}
	if got := math.Float64bits(canonicalNaN(math.Float64frombits(0x7ff4000000000000))); got != 0x7ff4000000000000 {
		t.Errorf("canonicalNaN changed another NaN: %#016x", got)
	}
}
