package starlarkbind

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// FuzzJSONDecode feeds json.decode, as scripts get it, what a peer could
// send: it must return a value or an error, never crash, and must refuse
// every document that nests deeper than MaxNesting. A value it returns must
// print and encode again (str and json.encode walk it too).
func FuzzJSONDecode(f *testing.F) {
	for _, seed := range []string{
		`{"a": [1, 2.5, "x\"]", null, true]}`,
		`[[[[[[[[]]]]]]]]`,
		`"\u00e9\ud83d\ude00"`,
		`{"k": {"k": {"k": {}}}}`,
		strings.Repeat("[", MaxNesting+1),
		strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting),
		`["\\", "[[[", {"}": "{"}]`,
		"\x00\xff[",
	} {
		f.Add(seed)
	}
	mod := guardedJSONModule()
	decode := mod.Members["decode"]
	encode := mod.Members["encode"]
	str := guardedUniverse()["str"]
	f.Fuzz(func(t *testing.T, doc string) {
		thread := &starlark.Thread{Name: "fuzz"}
		v, err := starlark.Call(thread, decode, starlark.Tuple{starlark.String(doc)}, nil)
		if jsonDepthExceeds(doc, MaxNesting) {
			require.Error(t, err, "a document nested past the limit was decoded")
			return
		}
		if err != nil {
			return
		}
		_, err = starlark.Call(thread, str, starlark.Tuple{v}, nil)
		require.NoError(t, err)
		_, err = starlark.Call(thread, encode, starlark.Tuple{v}, nil)
		if err != nil {
			// A decoded float such as 1e999 is inf, which json.encode refuses.
			require.Contains(t, err.Error(), "cannot encode non-finite float")
		}
	})
}
