package starlarkbind

import (
	"errors"
	"sort"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// streamMethod is a method of a reader or writer value.
type streamMethod func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// streamValue is the shared shape of StreamReader and StreamWriter values:
// methods made on lookup from a fixed table.
type streamValue struct {
	e       *Env
	typ     string
	methods map[string]streamMethod
}

func (v *streamValue) Type() string         { return v.typ }
func (v *streamValue) Freeze()              {}
func (v *streamValue) Truth() starlark.Bool { return starlark.True }
func (v *streamValue) AttrNames() []string  { return sortedKeys(v.methods) }
func (v *streamValue) String() string       { return "<" + v.typ + ">" }

func (v *streamValue) attr(self starlark.Value, name string) (starlark.Value, error) {
	m, ok := v.methods[name]
	if !ok {
		return nil, noAttr(self, name)
	}
	fnname := v.typ + "." + name
	e := v.e
	return starlark.NewBuiltin(name, func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return m(e, fnname, args, kwargs)
	}), nil
}

func sortedKeys(m map[string]streamMethod) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readerValue is asyncio.StreamReader.
type readerValue struct {
	streamValue
	r *transports.StreamReader
}

// Hash hashes the identity.
func (v *readerValue) Hash() (uint32, error) { return identityHash(v), nil }

// Attr returns a method.
func (v *readerValue) Attr(name string) (starlark.Value, error) { return v.attr(v, name) }

func (e *Env) readerValue(r *transports.StreamReader) *readerValue {
	rv := &readerValue{r: r}
	rv.streamValue = streamValue{e: e, typ: "StreamReader", methods: map[string]streamMethod{
		"read": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			n := -1
			if err := unpack(fnname, args, kwargs, "n?", &n); err != nil {
				return nil, err
			}
			return e.bytesFuture(r.Read(n)), nil
		},
		"readline": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return e.bytesFuture(r.Readline()), nil
		},
		"readexactly": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var n int
			if err := unpack(fnname, args, kwargs, "n", &n); err != nil {
				return nil, err
			}
			return e.bytesFuture(r.ReadExactly(n)), nil
		},
		"readuntil": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var sepV starlark.Value = starlark.Bytes("\n")
			if err := unpack(fnname, args, kwargs, "separator?", &sepV); err != nil {
				return nil, err
			}
			sep, ok := bytesOf(sepV)
			if !ok {
				return nil, typeErrorf("%s: for parameter separator: got %s, want bytes", fnname, sepV.Type())
			}
			return e.bytesFuture(r.ReadUntil(sep)), nil
		},
		"at_eof": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return starlark.Bool(r.AtEOF()), nil
		},
		"feed_eof": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			r.FeedEOF()
			return starlark.None, nil
		},
		"feed_data": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var dataV starlark.Value
			if err := unpack(fnname, args, kwargs, "data", &dataV); err != nil {
				return nil, err
			}
			data, ok := bytesOf(dataV)
			if !ok {
				return nil, typeErrorf("%s: for parameter data: got %s, want bytes", fnname, dataV.Type())
			}
			r.FeedData(data)
			return starlark.None, nil
		},
		"exception": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return e.fromGo(r.Exception()), nil
		},
	}}
	return rv
}

// bytesFuture maps a Future of []byte to a Future of bytes.
func (e *Env) bytesFuture(f *loop.Future) *futureValue {
	out := e.loop.NewFuture()
	done := func(f *loop.Future) {
		v, err := f.Result()
		b, ok := v.([]byte)
		if err != nil || !ok {
			copyOutcome(out, f)
			return
		}
		_ = out.SetResult(starlark.Bytes(b))
	}
	if f.Done() {
		done(f)
	} else {
		f.AddDoneCallback(done)
	}
	return e.futureValue(out)
}

// writerValue is asyncio.StreamWriter.
type writerValue struct {
	streamValue
	w *transports.StreamWriter
}

// Hash hashes the identity.
func (v *writerValue) Hash() (uint32, error) { return identityHash(v), nil }

// Attr returns a method, or the transport.
func (v *writerValue) Attr(name string) (starlark.Value, error) {
	if name == "transport" {
		return v.e.transportValue(v.w.Transport()), nil
	}
	return v.attr(v, name)
}

// AttrNames lists the methods and transport.
func (v *writerValue) AttrNames() []string {
	names := append(v.streamValue.AttrNames(), "transport")
	sort.Strings(names)
	return names
}

func (e *Env) writerValue(w *transports.StreamWriter) *writerValue {
	wv := &writerValue{w: w}
	none := func(f func()) streamMethod {
		return func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			f()
			return starlark.None, nil
		}
	}
	fut := func(f func() *loop.Future) streamMethod {
		return func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return e.futureValue(f()), nil
		}
	}
	wv.streamValue = streamValue{e: e, typ: "StreamWriter", methods: map[string]streamMethod{
		"write": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var dataV starlark.Value
			if err := unpack(fnname, args, kwargs, "data", &dataV); err != nil {
				return nil, err
			}
			data, ok := bytesOf(dataV)
			if !ok {
				return nil, typeErrorf("%s: for parameter data: got %s, want bytes", fnname, dataV.Type())
			}
			return starlark.None, writeErr(w.Write(data))
		},
		"writelines": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var it starlark.Iterable
			if err := unpack(fnname, args, kwargs, "data", &it); err != nil {
				return nil, err
			}
			var bufs [][]byte
			iter := it.Iterate()
			defer iter.Done()
			var x starlark.Value
			for iter.Next(&x) {
				b, ok := bytesOf(x)
				if !ok {
					return nil, typeErrorf("%s: for parameter data: got an element of type %s, want bytes", fnname, x.Type())
				}
				bufs = append(bufs, b)
			}
			return starlark.None, writeErr(w.Writelines(bufs))
		},
		"write_eof": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return starlark.None, writeErr(w.WriteEOF())
		},
		"can_write_eof": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return starlark.Bool(w.CanWriteEOF()), nil
		},
		"is_closing": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return starlark.Bool(w.IsClosing()), nil
		},
		"get_extra_info": func(e *Env, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			b, err := e.transportValue(w.Transport()).Attr("get_extra_info")
			if err != nil {
				return nil, err
			}
			return starlark.Call(e.thread, b, args, kwargs)
		},
		"close":       none(w.Close),
		"drain":       fut(w.Drain),
		"wait_closed": fut(w.WaitClosed),
	}}
	return wv
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
