package binary

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// FuzzUnpack: no format and data make unpack panic, and whatever unpacks
// packs back to the same length and unpacks to the same values.
func FuzzUnpack(f *testing.F) {
	for _, seed := range []struct {
		format string
		data   []byte
	}{
		{"<hI", []byte{1, 0, 2, 0, 0, 0}},
		{"@bq0i", make([]byte, 16)},
		{"3s2p?e", []byte("abc\x05xA\x02\x00\x7c")},
		{">dfe", make([]byte, 14)},
		{"99999999999999999999x", nil},
		{"0p0s", nil},
		{"nNP", make([]byte, 24)},
		{"<2 h", nil},
	} {
		f.Add(seed.format, seed.data)
	}
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		if len(format) > 64 {
			return // long formats only repeat what short ones test
		}
		l, err := parseFormat("fuzz", format, nil)
		if err != nil {
			return
		}
		values, err := unpackValues("fuzz", &l, string(data))
		if err != nil {
			return
		}
		packed, err := packValues("fuzz", &l, values)
		require.NoErrorf(t, err, "unpack(%q, %x) = %v, but packing it back fails", format, data, values)
		require.Lenf(t, packed, len(data), "format %q: repacked", format)
		again, err := unpackValues("fuzz", &l, string(packed))
		require.NoError(t, err)
		require.Equalf(t, canon(values), canon(again), "format %q data %x: unpack->pack->unpack", format, data)
	})
}

// FuzzPack: pack never panics, whatever the format and values.
func FuzzPack(f *testing.F) {
	f.Add("<hIs", int64(1), 2.5, []byte("x"))
	f.Add("@?cp", int64(-1), 1e300, []byte(""))
	f.Fuzz(func(t *testing.T, format string, i int64, x float64, b []byte) {
		if len(format) > 64 {
			return
		}
		l, err := parseFormat("fuzz", format, nil)
		if err != nil || l.nvalues > 64 {
			return
		}
		pool := []starlark.Value{starlark.MakeInt64(i), starlark.Float(x), starlark.Bytes(b), starlark.True, starlark.None}
		values := make(starlark.Tuple, l.nvalues)
		for k := range values {
			values[k] = pool[(k+int(uint64(i)%5))%len(pool)]
		}
		out, err := packValues("fuzz", &l, values)
		if err == nil {
			require.Lenf(t, out, l.size, "format %q: packed, against calcsize", format)
		}
	})
}
