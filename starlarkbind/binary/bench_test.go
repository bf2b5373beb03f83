package binary

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// callBuiltin calls a module member from Go, as a script's call would.
func callBuiltin(b *testing.B, thread *starlark.Thread, fn starlark.Value, args ...starlark.Value) starlark.Value {
	v, err := starlark.Call(thread, fn, args, nil)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkPack: binary.pack("<HIq", ...) from Starlark.
func BenchmarkPack(b *testing.B) {
	thread := &starlark.Thread{}
	pack := NewModule().Members["pack"]
	args := []starlark.Value{starlark.String("<HIq"), starlark.MakeInt(7), starlark.MakeInt(1 << 20), starlark.MakeInt(-5)}
	b.ReportAllocs()
	for b.Loop() {
		callBuiltin(b, thread, pack, args...)
	}
}

// BenchmarkUnpack: binary.unpack("<HIq", data) from Starlark.
func BenchmarkUnpack(b *testing.B) {
	thread := &starlark.Thread{}
	unpack := NewModule().Members["unpack"]
	data := starlark.Bytes(strings.Repeat("\x01", 14))
	b.ReportAllocs()
	for b.Loop() {
		callBuiltin(b, thread, unpack, starlark.String("<HIq"), data)
	}
}

// BenchmarkBufferReadline: a chat server's loop — append a 4 KiB chunk of
// 64-byte lines, then readline until None — through the Starlark methods.
// Reported per line.
func BenchmarkBufferReadline(b *testing.B) {
	thread := &starlark.Thread{}
	buf := NewBuffer(0)
	appendFn, _ := buf.Attr("append")
	readline, _ := buf.Attr("readline")
	chunk := starlark.Bytes(strings.Repeat(strings.Repeat("m", 63)+"\n", 64))
	b.ReportAllocs()
	lines := 0
	for b.Loop() {
		if lines%64 == 0 {
			callBuiltin(b, thread, appendFn, chunk)
		}
		if callBuiltin(b, thread, readline) == starlark.None {
			b.Fatal("no line")
		}
		lines++
	}
}

// BenchmarkBufferReadlineTrickle: a 64 KiB line arriving one byte at a time,
// readline after every byte. Amortised scanning keeps this linear: the cost
// per byte stays flat as the line grows. Reported per byte.
func BenchmarkBufferReadlineTrickle(b *testing.B) {
	buf := NewBuffer(0)
	const lineLen = 64 << 10
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		if n%lineLen == 0 {
			buf.appendString("\n")
			if buf.lineEnd("\n") < 0 {
				b.Fatal("no line")
			}
			buf.take(buf.Len())
			continue
		}
		buf.appendString("x")
		if buf.lineEnd("\n") >= 0 {
			b.Fatal("unexpected line")
		}
	}
}

// BenchmarkBufferTake: append 4 KiB, take it back in 16-byte records.
// Reported per take.
func BenchmarkBufferTake(b *testing.B) {
	buf := NewBuffer(0)
	chunk := []byte(strings.Repeat("r", 4096))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%256 == 0 {
			if err := buf.Append(chunk); err != nil {
				b.Fatal(err)
			}
		}
		buf.take(16)
		i++
	}
}
