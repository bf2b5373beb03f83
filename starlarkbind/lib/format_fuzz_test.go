package lib

import (
	"errors"
	"math"
	"regexp"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"go.starlark.net/starlark"
)

// FuzzFormat: format(value, spec) and string.format never panic, fail
// only with a classed error, and return no more than the width asks for
// beyond the value's own text.
func FuzzFormat(f *testing.F) {
	for _, s := range formatSpecs {
		f.Add(s, int64(42), 3.25, "abc")
	}
	f.Add("{:>{}}{0!r:^{w}}", int64(-1), math.Inf(1), "x")
	f.Fuzz(func(t *testing.T, spec string, i int64, x float64, s string) {
		if longNumber.MatchString(spec) {
			t.Skip("widths of megabytes are slow, not wrong")
		}
		for _, v := range []starlark.Value{starlark.MakeInt64(i), starlark.Float(x), starlark.String(s), starlark.True, starlark.None} {
			got, err := formatValue(v, spec)
			checkFormatResult(t, got, err, spec)
		}
		fm := &formatter{args: starlark.Tuple{starlark.MakeInt64(i), starlark.Float(x), starlark.String(s)},
			kwargs: map[string]starlark.Value{"w": starlark.MakeInt(5)}}
		got, err := fm.format(spec, 2)
		checkFormatResult(t, got, err, spec)
	})
}

// longNumber matches a width or precision of a million or more.
var longNumber = regexp.MustCompile(`[0-9]{7}`)

func checkFormatResult(t *testing.T, got string, err error, spec string) {
	t.Helper()
	if err != nil {
		var ex loop.Exception
		if !errors.As(err, &ex) {
			t.Fatalf("%q: error without a class: %v", spec, err)
		}
		return
	}
	if len(got) > 1<<16+len(spec)*1000 && len(spec) < 6 {
		t.Fatalf("%q: %d bytes", spec, len(got))
	}
}
