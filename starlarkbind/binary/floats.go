package binary

import "math"

// IEEE 754 conversions between binary64 (Starlark's float) and the narrower
// binary16 ('e') and binary32 ('f') formats, as CPython 3.14's
// PyFloat_Pack2/Pack4 and Unpack2/Unpack4 do them:
//
//   - finite values round to nearest, ties to even;
//   - a finite value that rounds beyond the largest finite value is an
//     overflow (OverflowError); infinities pack as infinities;
//   - NaNs keep their sign, their quiet/signalling bit and the top bits of
//     their payload. A signalling NaN whose kept payload bits are all zero
//     becomes quiet, since an all-zero payload would read back as infinity.

const (
	f64MantBits = 52
	f64QuietBit = uint64(1) << (f64MantBits - 1)
	f64MantMask = uint64(1)<<f64MantBits - 1
)

// narrowNaN packs a binary64 NaN into a format with mantBits of mantissa
// (and expMask set for the exponent field at mantBits), keeping sign, quiet
// bit and the top payload bits.
func narrowNaN(bits uint64, mantBits uint, signShift uint) uint64 {
	sign := bits >> 63
	mant := (bits & f64MantMask) >> (f64MantBits - mantBits)
	if mant == 0 {
		mant = uint64(1) << (mantBits - 1) // quiet
	}
	expMask := (uint64(1)<<(signShift-mantBits) - 1) << mantBits
	return sign<<signShift | expMask | mant
}

// widenNaN turns a narrow NaN's sign and mantissa into a binary64 NaN.
func widenNaN(sign, mant uint64, mantBits uint) float64 {
	return math.Float64frombits(sign<<63 | uint64(0x7ff)<<f64MantBits | mant<<(f64MantBits-mantBits))
}

// float64ToSingle returns the binary32 bits of x; ok is false when a finite
// x is too large for binary32.
func float64ToSingle(x float64) (bits uint32, ok bool) {
	if math.IsNaN(x) {
		return uint32(narrowNaN(math.Float64bits(x), 23, 31)), true
	}
	y := float32(x) // IEEE round to nearest even
	if math.IsInf(float64(y), 0) && !math.IsInf(x, 0) {
		return 0, false
	}
	return math.Float32bits(y), true
}

// singleToFloat64 converts binary32 bits to a float64 exactly (NaN payloads,
// signalling or not, are kept).
func singleToFloat64(bits uint32) float64 {
	if bits&0x7f800000 == 0x7f800000 && bits&0x007fffff != 0 {
		return widenNaN(uint64(bits>>31), uint64(bits&0x007fffff), 23)
	}
	return float64(math.Float32frombits(bits))
}

// Binary16 limits.
const (
	halfMaxFinite  = 65504.0
	halfOverflowAt = 65520.0 // ties-to-even rounds this and above to infinity
)

// float64ToHalf returns the binary16 bits of x; ok is false when a finite x
// is too large for binary16.
func float64ToHalf(x float64) (bits uint16, ok bool) {
	b := math.Float64bits(x)
	sign := uint16(b>>63) << 15
	switch {
	case math.IsNaN(x):
		return uint16(narrowNaN(b, 10, 15)), true
	case math.IsInf(x, 0):
		return sign | 0x7c00, true
	}
	a := math.Abs(x)
	if a >= halfOverflowAt {
		return 0, false
	}
	if a < 0x1p-14 { // subnormal (or zero): units of 2**-24
		return sign | uint16(math.RoundToEven(a*0x1p24)), true
	}
	frac, exp := math.Frexp(a) // a = frac * 2**exp, frac in [0.5, 1)
	e := exp - 1               // a = (2*frac) * 2**e, 2*frac in [1, 2)
	m := math.RoundToEven((2*frac - 1) * 1024)
	if m == 1024 { // rounded up to the next power of two
		m, e = 0, e+1
	}
	return sign | uint16(e+15)<<10 | uint16(m), true
}

// halfToFloat64 converts binary16 bits to a float64 exactly.
func halfToFloat64(h uint16) float64 {
	sign := uint64(h >> 15)
	exp := int(h>>10) & 0x1f
	mant := uint64(h & 0x3ff)
	var v float64
	switch exp {
	case 0x1f:
		if mant != 0 {
			return widenNaN(sign, mant, 10)
		}
		v = math.Inf(1)
	case 0:
		v = math.Ldexp(float64(mant), -24)
	default:
		v = math.Ldexp(float64(mant|0x400), exp-25)
	}
	if sign != 0 {
		v = -v
	}
	return v
}
