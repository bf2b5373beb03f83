package starlarkbind

import (
	"errors"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// StreamReader and StreamWriter values (API.md "Streams"): asyncio's, whose
// coroutine methods return Futures. Each is made once per connection and
// keeps its bound methods.

// readerValue is asyncio.StreamReader.
type readerValue struct {
	e     *Env
	r     *transports.StreamReader
	bound bind.Bound
}

var _ starlark.HasAttrs = (*readerValue)(nil)

func (e *Env) readerValue(r *transports.StreamReader) *readerValue {
	return &readerValue{e: e, r: r}
}

func (v *readerValue) String() string        { return "<StreamReader>" }
func (v *readerValue) Type() string          { return "StreamReader" }
func (v *readerValue) Freeze()               {}
func (v *readerValue) Truth() starlark.Bool  { return starlark.True }
func (v *readerValue) Hash() (uint32, error) { return identityHash(v), nil }

// Attr returns a method.
func (v *readerValue) Attr(name string) (starlark.Value, error) {
	return readerMethods.Attr(v, &v.bound, name)
}

// AttrNames lists the methods.
func (v *readerValue) AttrNames() []string { return readerMethods.AttrNames(v) }

// readerMethods are asyncio.StreamReader's methods.
var readerMethods = bind.NewMethods("StreamReader", map[string]bind.Method[*readerValue]{
	"at_eof":      {Fn0: (*readerValue).atEOF},
	"exception":   {Fn0: (*readerValue).exception},
	"feed_data":   {Fn: (*readerValue).feedData},
	"feed_eof":    {Fn0: (*readerValue).feedEOF},
	"read":        {Fn: (*readerValue).read},
	"readexactly": {Fn: (*readerValue).readExactly},
	"readline":    {Fn0: (*readerValue).readline},
	"readuntil":   {Fn: (*readerValue).readUntil},
})

func (v *readerValue) read(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	n := -1
	if err := unpack(fnname, args, kwargs, "n?", &n); err != nil {
		return nil, err
	}
	return v.e.futureValue(v.r.Read(n)), nil
}

func (v *readerValue) readline() (starlark.Value, error) {
	return v.e.futureValue(v.r.Readline()), nil
}

func (v *readerValue) readExactly(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n int
	if err := unpack(fnname, args, kwargs, "n", &n); err != nil {
		return nil, err
	}
	return v.e.futureValue(v.r.ReadExactly(n)), nil
}

func (v *readerValue) readUntil(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	sep := bytesArg{b: []byte("\n")}
	if err := unpack(fnname, args, kwargs, "separator?", &sep); err != nil {
		return nil, err
	}
	return v.e.futureValue(v.r.ReadUntil(sep.b)), nil
}

func (v *readerValue) atEOF() (starlark.Value, error) { return starlark.Bool(v.r.AtEOF()), nil }

func (v *readerValue) feedEOF() (starlark.Value, error) {
	v.r.FeedEOF()
	return starlark.None, nil
}

func (v *readerValue) feedData(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	if err := unpack(fnname, args, kwargs, "data", &data); err != nil {
		return nil, err
	}
	v.r.FeedData(data.b) // copied
	return starlark.None, nil
}

func (v *readerValue) exception() (starlark.Value, error) {
	return v.e.fromGo(v.r.Exception()), nil
}

// bytesArg unpacks bytes (readuntil's separator, feed_data's data),
// without copying (see bytesOf).
type bytesArg struct{ b []byte }

func (a *bytesArg) Unpack(v starlark.Value) error {
	b, ok := v.(starlark.Bytes)
	if !ok {
		return bind.Want(v, "bytes")
	}
	a.b, _ = bytesOf(b)
	return nil
}

// writerValue is asyncio.StreamWriter.
type writerValue struct {
	e     *Env
	w     *transports.StreamWriter
	bound bind.Bound
	// drained is the value of the done Future drain() returns while
	// nothing is to be waited for (StreamWriter.Drain), made once.
	drained *futureValue
}

var _ starlark.HasAttrs = (*writerValue)(nil)

func (e *Env) writerValue(w *transports.StreamWriter) *writerValue {
	return &writerValue{e: e, w: w}
}

func (v *writerValue) String() string        { return "<StreamWriter>" }
func (v *writerValue) Type() string          { return "StreamWriter" }
func (v *writerValue) Freeze()               {}
func (v *writerValue) Truth() starlark.Bool  { return starlark.True }
func (v *writerValue) Hash() (uint32, error) { return identityHash(v), nil }

// Attr returns a method, or the transport.
func (v *writerValue) Attr(name string) (starlark.Value, error) {
	return writerMethods.Attr(v, &v.bound, name)
}

// AttrNames lists the methods and transport.
func (v *writerValue) AttrNames() []string { return writerMethods.AttrNames(v) }

// writerMethods are asyncio.StreamWriter's methods, and its transport.
var writerMethods = bind.NewMethods("StreamWriter", map[string]bind.Method[*writerValue]{
	"can_write_eof":  {Fn0: (*writerValue).canWriteEOF},
	"close":          {Fn0: (*writerValue).close},
	"drain":          {Fn0: (*writerValue).drain},
	"get_extra_info": {Fn: (*writerValue).getExtraInfo},
	"is_closing":     {Fn0: (*writerValue).isClosing},
	"start_tls":      {Fn: (*writerValue).startTLS}, // streams_tls.go
	"transport":      {Get: (*writerValue).transport},
	"wait_closed":    {Fn0: (*writerValue).waitClosed},
	"write":          {Fn: (*writerValue).write},
	"write_eof":      {Fn0: (*writerValue).writeEOF},
	"writelines":     {Fn: (*writerValue).writelines},
})

func (v *writerValue) transport() (starlark.Value, error) {
	return v.e.transportValue(v.w.Transport()), nil
}

// write is the hot path of a stream: one bytes argument skips UnpackArgs,
// as transport.write does.
func (v *writerValue) write(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	data, ok := []byte(nil), false
	if len(args) == 1 && len(kwargs) == 0 {
		data, ok = bytesOf(args[0]) // what dataArg takes
	}
	if !ok {
		var arg dataArg
		if err := unpack(fnname, args, kwargs, "data", &arg); err != nil {
			return nil, err
		}
		data = arg.b
	}
	return starlark.None, writeErr(v.w.Write(data))
}

func (v *writerValue) writelines(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var seq starlark.Iterable
	if err := unpack(fnname, args, kwargs, "data", &seq); err != nil {
		return nil, err
	}
	var bufs [][]byte
	it := seq.Iterate()
	defer it.Done()
	var x starlark.Value
	for i := 0; it.Next(&x); i++ {
		var d dataArg
		if err := bind.UnpackElement(fnname, "data", i, x, &d); err != nil {
			return nil, err
		}
		bufs = append(bufs, d.b)
	}
	return starlark.None, writeErr(v.w.Writelines(bufs))
}

func (v *writerValue) writeEOF() (starlark.Value, error) {
	return starlark.None, writeErr(v.w.WriteEOF())
}

func (v *writerValue) canWriteEOF() (starlark.Value, error) {
	return starlark.Bool(v.w.CanWriteEOF()), nil
}

func (v *writerValue) isClosing() (starlark.Value, error) {
	return starlark.Bool(v.w.IsClosing()), nil
}

func (v *writerValue) close() (starlark.Value, error) {
	v.w.Close()
	return starlark.None, nil
}

func (v *writerValue) drain() (starlark.Value, error) {
	f := v.w.Drain()
	if v.drained != nil && v.drained.f == f {
		return v.drained, nil
	}
	fv := v.e.futureValue(f)
	if f.Done() && f.Exception() == nil {
		v.drained = fv
	}
	return fv, nil
}

func (v *writerValue) waitClosed() (starlark.Value, error) {
	return v.e.futureValue(v.w.WaitClosed()), nil
}

// getExtraInfo is the transport's get_extra_info (asyncio's writer
// delegates to it).
func (v *writerValue) getExtraInfo(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return tGetExtraInfo(v.e.transportValue(v.w.Transport()), fnname, args, kwargs)
}

// writeErr makes a write's Go error a Starlark failure.
func writeErr(err error) error {
	if err == nil {
		return nil
	}
	return failWith(NewErrorValue(err))
}

// streamErrorAttr returns IncompleteReadError's partial and expected, and
// LimitOverrunError's consumed.
func streamErrorAttr(err error, name string) (starlark.Value, bool) {
	var ire *transports.IncompleteReadError
	var loe *transports.LimitOverrunError
	switch {
	case errors.As(err, &ire) && name == "partial":
		return starlark.Bytes(ire.Partial), true
	case errors.As(err, &ire) && name == "expected":
		if ire.Expected < 0 {
			return starlark.None, true
		}
		return starlark.MakeInt(ire.Expected), true
	case errors.As(err, &loe) && name == "consumed":
		return starlark.MakeInt(loe.Consumed), true
	}
	return nil, false
}

// streamErrorAttrNames lists the attributes streamErrorAttr adds.
func streamErrorAttrNames(err error) []string {
	var ire *transports.IncompleteReadError
	var loe *transports.LimitOverrunError
	switch {
	case errors.As(err, &ire):
		return []string{"expected", "partial"}
	case errors.As(err, &loe):
		return []string{"consumed"}
	}
	return nil
}
