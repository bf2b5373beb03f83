package starlarkbind

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.starlark.net/starlark"
)

// bytesOf reads bytes and strings alike, in both builds (a view of the
// string by default, a copy with -tags starnet_nounsafe), and refuses
// anything else.
func TestBytesOf(t *testing.T) {
	t.Parallel()
	for _, v := range []starlark.Value{starlark.Bytes("b\x00ytes"), starlark.String("héllo")} {
		b, ok := bytesOf(v)
		assert.True(t, ok, "%v", v)
		assert.Equal(t, []byte(goString(v)), b, "%v", v)
	}
	b, ok := bytesOf(starlark.Bytes(""))
	assert.True(t, ok)
	assert.Nil(t, b, "empty is nil")
	_, ok = bytesOf(starlark.MakeInt(1))
	assert.False(t, ok)
}

// goString is the Go string a bytes or str value holds.
func goString(v starlark.Value) string {
	if b, ok := v.(starlark.Bytes); ok {
		return string(b)
	}
	return string(v.(starlark.String))
}
