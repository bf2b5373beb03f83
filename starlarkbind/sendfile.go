package starlarkbind

import (
	"fmt"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// loop.sendfile(transport, file, offset=0, count=None) (API.md "The loop"): sends
// count bytes of file (to its end when count is None) from offset through a
// write transport and returns a Future of the number of bytes sent. On a
// TCP or Unix stream transport it uses sendfile(2) where the system can,
// without blocking the loop; meanwhile write() fails with a RuntimeError
// and reading is paused, as in asyncio. file is the script's (os.open(),
// ...): sendfile reads a duplicate of its descriptor, so closing file right
// after the call is fine; afterwards file's position is just after the last
// byte sent.

func (lv *loopValue) sendfile(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var transport writeTransportArg
	var file fileArg
	var offsetV, countV starlark.Value = starlark.MakeInt(0), starlark.None
	if err := unpack(fnname, args, kwargs, "transport", &transport, "file", &file,
		"offset?", &offsetV, "count?", &countV); err != nil {
		return nil, err
	}
	wt, pv := transport.wt, file.pv
	if err := pv.usable(fnname, "file"); err != nil {
		return nil, err
	}
	offset, err := sendfileInt(fnname, "offset", offsetV, false)
	if err != nil {
		return nil, err
	}
	var count int64
	if countV != starlark.None {
		if count, err = sendfileInt(fnname, "count", countV, true); err != nil {
			return nil, err
		}
	}
	f := pv.file
	if f == nil {
		// A standard stream: a descriptor of its own, so that a pipe made
		// non-blocking for the copy leaves starnet's own one alone.
		if f, err = reopenStdio(pv.stdio, false); err != nil {
			return nil, failWith(NewErrorValue(fmt.Errorf("%s: %s: %w", fnname, pv.name, err)))
		}
		defer f.Close() // the transports work on a duplicate made at once
	}
	return lv.e.futureValue(transports.Sendfile(lv.l(), wt, f, offset, count)), nil
}

// writeTransportArg unpacks a write transport.
type writeTransportArg struct{ wt transports.WriteTransport }

func (a *writeTransportArg) Unpack(v starlark.Value) error {
	tv, ok := v.(*transportValue)
	if !ok {
		return bind.Want(v, "transport")
	}
	wt, ok := tv.t.(transports.WriteTransport)
	if !ok {
		return bind.Mistyped(tv.String() + " is not a write transport")
	}
	a.wt = wt
	return nil
}

// sendfileInt reads offset (a non-negative int) or count (a positive int),
// with asyncio's messages.
func sendfileInt(fnname, param string, v starlark.Value, positive bool) (int64, error) {
	want := "a non-negative integer"
	if positive {
		want = "a positive integer"
	}
	i, ok := v.(starlark.Int)
	if !ok {
		return 0, typeErrorf("%s: %s must be %s (got %s)", fnname, param, want, v.Type())
	}
	n, ok := i.Int64()
	if !ok || n < 0 || positive && n == 0 {
		return 0, valueErrorf("%s: %s must be %s (got %s)", fnname, param, want, i)
	}
	return n, nil
}
