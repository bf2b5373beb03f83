package bind

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"go.starlark.net/starlark"
)

// Arguments. A builtin unpacks all its arguments in one UnpackArgs call,
// into variables of the starlark.Unpacker types of this file (or of its
// own package, for its own values) and of the types starlark.UnpackArgs
// knows. An Unpacker reports a value of the wrong type with Want and a
// value out of range with Invalid; UnpackArgs puts them in the one form
// every builtin's messages have,
//
//	TypeError: loop.call_later: for parameter delay: got string, want float or int
//	ValueError: loop.create_server: for parameter port: 70000 out of range 0-65535
//
// and keeps their class (what starlark.UnpackArgs alone loses).

// Python's exception classes of a bad argument.
const (
	KindTypeError  = "TypeError"
	KindValueError = "ValueError"
)

// argError is the error of an Unpacker: the text after "for parameter X: ",
// and its class. UnpackArgs turns it into a loop.Error; it never leaves
// this package's functions.
type argError struct {
	kind, msg string
}

func (e *argError) Error() string            { return e.msg }
func (e *argError) ExceptionKind() string    { return e.kind }
func (e *argError) ExceptionMessage() string { return e.msg }

// Want is an Unpacker's TypeError for v: "got int, want future".
func Want(v starlark.Value, want string) error {
	return &argError{kind: KindTypeError, msg: "got " + v.Type() + ", want " + want}
}

// Invalid is an Unpacker's ValueError: the message says what is wrong with
// the value ("70000 out of range 0-65535").
func Invalid(msg string) error {
	return &argError{kind: KindValueError, msg: msg}
}

// Mistyped is an Unpacker's TypeError with its own message ("host is int,
// want string"), for a value whose parts have the wrong type.
func Mistyped(msg string) error {
	return &argError{kind: KindTypeError, msg: msg}
}

// UnpackArgs is starlark.UnpackArgs with the class of the failure kept: a
// TypeError, or the class of the Unpacker that refused its value. A
// refused value reads "fnname: for parameter name: why", the parameter
// unquoted whether it came by position or by keyword.
func UnpackArgs(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	err := starlark.UnpackArgs(fnname, args, kwargs, pairs...)
	if err == nil {
		return nil
	}
	// starlark.UnpackArgs keeps only the text of an Unpacker's error: run
	// it again, on this cold path, with every variable watched.
	var refused *watch
	watched := make([]any, len(pairs))
	copy(watched, pairs)
	for i := 1; i < len(watched); i += 2 {
		name, _ := watched[i-1].(string)
		watched[i] = &watch{ptr: watched[i], name: strings.TrimRight(name, "?"), refused: &refused}
	}
	if again := starlark.UnpackArgs(fnname, args, kwargs, watched...); again != nil {
		err = again
	}
	if refused != nil {
		return classed(refused.err, fnname+": for parameter "+refused.name+": "+refused.err.Error())
	}
	return classed(nil, err.Error()) // a missing or unexpected argument
}

// watch unpacks into ptr and records the first refusal.
type watch struct {
	ptr     any
	name    string
	err     error
	refused **watch
}

func (w *watch) Unpack(v starlark.Value) error {
	w.err = starlark.UnpackArg(v, w.ptr)
	if w.err != nil && *w.refused == nil {
		*w.refused = w
	}
	return w.err
}

// classed is the error with message msg, of the class refused carries
// (TypeError when it carries none).
func classed(refused error, msg string) error {
	kind := KindTypeError
	var ex loop.Exception
	if errors.As(refused, &ex) {
		kind = ex.ExceptionKind()
	}
	return &loop.Error{Kind: kind, Message: msg}
}

// UnpackArg unpacks one argument, the parameter param of fnname (a
// variadic argument: param is its position, "1" for the first), as
// UnpackArgs does.
func UnpackArg(fnname, param string, v starlark.Value, ptr any) error {
	err := starlark.UnpackArg(v, ptr)
	if err == nil {
		return nil
	}
	return classed(err, fnname+": for parameter "+param+": "+err.Error())
}

// UnpackElement unpacks element i of a sequence argument, the parameter
// param of fnname: "fnname: for parameter parts: element 1: got int, want
// bytes".
func UnpackElement(fnname, param string, i int, v starlark.Value, ptr any) error {
	return UnpackArg(fnname, param+": element "+strconv.Itoa(i), v, ptr)
}

// Errorf is the error of a builtin that is not about one parameter's
// value (a combination of arguments): "loop.create_connection: host and
// port was not specified", with kind KindTypeError or KindValueError.
func Errorf(kind, format string, args ...any) error {
	return loop.Errorf(kind, format, args...)
}

// ---- unpackers ----

// Seconds unpacks a time in seconds, an int or a float (asyncio's delay
// and timeout). Huge values are clamped rather than overflow; nan is a
// ValueError.
type Seconds time.Duration

// Unpack implements starlark.Unpacker.
func (s *Seconds) Unpack(v starlark.Value) error {
	secs, ok := starlark.AsFloat(v)
	if !ok {
		return Want(v, "float or int")
	}
	if math.IsNaN(secs) {
		return Invalid("got nan")
	}
	const maxSecs = float64(math.MaxInt64/int64(time.Second)) - 1
	secs = max(-maxSecs, min(secs, maxSecs))
	*s = Seconds(secs * float64(time.Second))
	return nil
}

// Duration returns the time.
func (s Seconds) Duration() time.Duration { return time.Duration(s) }

// OptionalSeconds is Seconds or None. Set says a time was given; V is the
// value as given, for messages.
type OptionalSeconds struct {
	Seconds
	Set bool
	V   starlark.Value
}

// Unpack implements starlark.Unpacker.
func (s *OptionalSeconds) Unpack(v starlark.Value) error {
	if v == starlark.None {
		*s = OptionalSeconds{}
		return nil
	}
	if err := s.Seconds.Unpack(v); err != nil {
		if !isArgType(err) {
			return err
		}
		return Want(v, "float, int or None")
	}
	s.Set, s.V = true, v
	return nil
}

// isArgType reports whether err is Want's TypeError.
func isArgType(err error) bool {
	var ae *argError
	return errors.As(err, &ae) && ae.kind == KindTypeError
}

// Port unpacks a port: an int in 0..65535 or a string of digits (as
// Python's socket functions take a service), or None. Set says one was
// given.
type Port struct {
	N   int
	Set bool
}

// Unpack implements starlark.Unpacker.
func (p *Port) Unpack(v starlark.Value) error {
	switch x := v.(type) {
	case starlark.NoneType:
		*p = Port{}
		return nil
	case starlark.Int:
		n, ok := x.Int64()
		if !ok || n < 0 || n > 65535 {
			return Invalid(x.String() + " out of range 0-65535")
		}
		*p = Port{N: int(n), Set: true}
		return nil
	case starlark.String:
		n, err := strconv.Atoi(string(x))
		if err != nil || n < 0 || n > 65535 {
			return Invalid(strconv.Quote(string(x)) + " is not a port number")
		}
		*p = Port{N: n, Set: true}
		return nil
	}
	return Want(v, "int")
}

// OptionalInt unpacks an int or None. Any integer is taken, as Python
// takes it: one beyond int's range saturates (a limit of 2**100 bytes is
// as good as no limit).
type OptionalInt struct {
	N   int
	Set bool
}

// Unpack implements starlark.Unpacker.
func (o *OptionalInt) Unpack(v starlark.Value) error {
	if v == starlark.None {
		*o = OptionalInt{}
		return nil
	}
	i, ok := v.(starlark.Int)
	if !ok {
		return Want(v, "int or None")
	}
	n := math.MaxInt
	if x, ok := i.Int64(); ok {
		n = int(x)
	} else if i.Sign() < 0 {
		n = math.MinInt
	}
	*o = OptionalInt{N: n, Set: true}
	return nil
}

// Ptr returns the int, or nil when none was given.
func (o OptionalInt) Ptr() *int {
	if !o.Set {
		return nil
	}
	n := o.N
	return &n
}

// OptionalString unpacks a string or None. Set says a string was given
// (even "").
type OptionalString struct {
	S   string
	Set bool
}

// Unpack implements starlark.Unpacker.
func (o *OptionalString) Unpack(v starlark.Value) error {
	switch x := v.(type) {
	case starlark.NoneType:
		*o = OptionalString{}
		return nil
	case starlark.String:
		*o = OptionalString{S: string(x), Set: true}
		return nil
	}
	return Want(v, "string or None")
}

// OptionalBool unpacks a bool or None. Set says a bool was given.
type OptionalBool struct {
	B   bool
	Set bool
}

// Unpack implements starlark.Unpacker.
func (o *OptionalBool) Unpack(v starlark.Value) error {
	switch x := v.(type) {
	case starlark.NoneType:
		*o = OptionalBool{}
		return nil
	case starlark.Bool:
		*o = OptionalBool{B: bool(x), Set: true}
		return nil
	}
	return Want(v, "bool or None")
}

// OptionalCallable unpacks a callable or None (nil then).
type OptionalCallable struct {
	F starlark.Callable
}

// Unpack implements starlark.Unpacker.
func (o *OptionalCallable) Unpack(v starlark.Value) error {
	if v == starlark.None {
		o.F = nil
		return nil
	}
	f, ok := v.(starlark.Callable)
	if !ok {
		return Want(v, "callable or None")
	}
	o.F = f
	return nil
}

// HostPort unpacks a (host, port) tuple, or None. Set says a tuple was
// given.
type HostPort struct {
	Host string
	Port int
	Set  bool
}

// Unpack implements starlark.Unpacker.
func (a *HostPort) Unpack(v starlark.Value) error {
	if v == starlark.None {
		*a = HostPort{}
		return nil
	}
	t, ok := v.(starlark.Tuple)
	if s, isStr := v.(starlark.String); isStr {
		if host, port, ok := hostPortString(string(s)); ok {
			return Mistyped(fmt.Sprintf("got %q, a string; want a (host, port) tuple: (%q, %s)", string(s), host, port))
		}
	}
	if !ok || len(t) < 2 {
		return Want(v, "a (host, port) tuple")
	}
	host, ok := t[0].(starlark.String)
	if !ok {
		return Mistyped("host is " + t[0].Type() + ", want string")
	}
	var port int
	if err := starlark.AsInt(t[1], &port); err != nil {
		return Mistyped("port is " + t[1].Type() + ", want int")
	}
	if port < 0 || port > 65535 {
		return Invalid("port " + strconv.Itoa(port) + " out of range 0-65535")
	}
	*a = HostPort{Host: string(host), Port: port, Set: true}
	return nil
}

// SockAddr unpacks a socket address: a (host, port) tuple, a path (a Unix
// socket; Path is set), or None (Set is false).
type SockAddr struct {
	HostPort
	Path bool
}

// Unpack implements starlark.Unpacker.
func (a *SockAddr) Unpack(v starlark.Value) error {
	if s, ok := v.(starlark.String); ok {
		if s == "" {
			return Invalid("empty path")
		}
		if host, port, ok := hostPortString(string(s)); ok {
			return Invalid(fmt.Sprintf("%q is a string, which would be a Unix socket path; for a host and port pass a (host, port) tuple: (%q, %s) (for a file of that name, write \"./%s\")", string(s), host, port, string(s)))
		}
		*a = SockAddr{HostPort: HostPort{Host: string(s), Set: true}, Path: true}
		return nil
	}
	a.Path = false
	return a.HostPort.Unpack(v)
}

// Number unpacks a float or an int, as a float (loop.call_at's when).
type Number float64

// Unpack implements starlark.Unpacker.
func (n *Number) Unpack(v starlark.Value) error {
	f, ok := starlark.AsFloat(v)
	if !ok {
		return Want(v, "float or int")
	}
	*n = Number(f)
	return nil
}

// Count unpacks a non-negative int (a size, a backlog). One beyond int's
// range saturates at math.MaxInt.
type Count struct{ N int }

// Unpack implements starlark.Unpacker.
func (c *Count) Unpack(v starlark.Value) error {
	i, ok := v.(starlark.Int)
	if !ok {
		return Want(v, "int")
	}
	if i.Sign() < 0 {
		return Invalid("must not be negative, got " + i.String())
	}
	c.N = math.MaxInt
	if n, ok := i.Int64(); ok && n <= math.MaxInt {
		c.N = int(n)
	}
	return nil
}

// hostPortString reports whether s reads as "host:port" ("127.0.0.1:9000",
// "[::1]:53", "localhost:80"), a mistake for a (host, port) tuple, and
// returns its parts. A path with a slash never does.
func hostPortString(s string) (host, port string, ok bool) {
	if strings.ContainsAny(s, "/") {
		return "", "", false
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "", "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", false
	}
	return host, port, true
}
