package lib

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// BenchmarkFormat: one format(value, spec) of a float with width,
// precision and grouping.
func BenchmarkFormat(b *testing.B) {
	v := starlark.Float(1234567.891)
	for b.Loop() {
		if _, err := formatValue(v, ">16,.2f"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRESearchBytes: a header pattern searched in 4 KiB of bytes,
// ASCII (matched as it is) and with bytes ≥ 0x80 (read as latin-1 first,
// the offsets mapped back).
func BenchmarkRESearchBytes(b *testing.B) {
	p, err := compilePattern("re.compile", `(?m)^Content-Length: (\d+)\r$`, true, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, filler string }{{"ascii", "x"}, {"binary", "\xff"}} {
		data := textArg{s: strings.Repeat(c.filler, 4000) + "\r\nContent-Length: 42\r\n", isBytes: true}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data.s)))
			for b.Loop() {
				if _, err := p.call("re.search", "search", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
