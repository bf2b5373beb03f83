package starlarkbind

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/starnet-dev/starnet/starlarkbind/lib"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Hints: the one table of advice that error reports carry for a person
// (docs/starlark-for-asyncio-users.md). A Python habit that Starlark lacks,
// or one of starnet's own rules, fails with a message that names what
// went wrong ("got import, want primary expression", "bytes has no
// .decode field or method"); the hint below the report says what to
// write instead. The runtime adds it to the reports of the default
// exception handler and to the errors of Exec and CallMain; `starnet
// check` adds it to what it finds.

// HintContext is what a hint may mention besides the error.
type HintContext struct {
	// MaxSteps is the step budget of one callback (0: no limit).
	MaxSteps uint64
	// Line returns the text of the source line at pos, or "" (a hint about
	// an f-string looks at the character before a string literal).
	Line func(pos syntax.Position) string
}

// hint is one row of the table: a message that matches re gets the advice
// text returns (which may return "" when it does not apply after all).
type hint struct {
	re   *regexp.Regexp
	text func(m []string, at syntax.Position, hc HintContext) string
}

// fixed returns a hint text that does not depend on the match.
func fixed(s string) func([]string, syntax.Position, HintContext) string {
	return func([]string, syntax.Position, HintContext) string { return s }
}

// Hint texts used both by the table and by Check.
const (
	// HintPercent is the advice for a % conversion with a width, a
	// precision or a flag.
	HintPercent = `Starlark's % has no width, precision or flags (only %s %d %r %x %o %e %f %g %c): write format(x, ".2f") or format(s, "<8"), or string.format("{:<8} {:.2f}", s, x) for several fields`
	// HintGlobal is the advice for a function that rebinds a global.
	HintGlobal = `a Starlark function cannot rebind a global (there is no global statement): keep the state in a dict or a list (state = {"n": 0} at top level, then state["n"] += 1)`
	hintEncode = `Starlark's str has no methods for bytes: bytes(s) encodes a str as UTF-8 (bytes(s, "latin-1") for another encoding)`
	hintMixed  = `bytes and str do not mix: bytes(s) encodes a str, str(b) or bytes.decode(b) decodes bytes`
	hintFuture = `this is the Future of the call, not its result: get the result with wait(fut) (or loop.run_until_complete(fut)) in main or in a task, or with fut.add_done_callback(fn) in a callback`
)

// hints is the table, tried in order.
var hints = []hint{
	{regexp.MustCompile(`^unknown conversion %[-+ #0-9.*]`), fixed(HintPercent)},
	{regexp.MustCompile(`^format spec features not supported in replacement fields: (.*)$`), func(m []string, _ syntax.Position, _ HintContext) string {
		return fmt.Sprintf(`Starlark's str.format takes no format spec: string.format(template, ...) is Python's str.format ("{:%s}"), or format(x, %q) formats one value`, m[1], m[1])
	}},
	{regexp.MustCompile(`^string has no \.encode field or method`), fixed(hintEncode)},
	{regexp.MustCompile(`^bytes has no \.(\w+) field or method`), bytesMethodHint},
	{regexp.MustCompile(`^unknown binary op: (bytes \+ string|string \+ bytes)`), fixed(hintMixed)},
	{regexp.MustCompile(`^json\.encode(_indent)?: .*cannot encode bytes as JSON`), fixed(`JSON has no bytes: encode them first, as str(b) or bytes.decode(b) for text, binary.b64encode(b) or binary.hex(b) for binary data`)},
	{regexp.MustCompile(`^Starlark computation cancelled: too many steps`), stepsHint},
	{regexp.MustCompile(`^(AttributeError: )?(future|Task) has no attribute "(\w+)"`), func(m []string, _ syntax.Position, _ HintContext) string {
		return hintFuture
	}},
	{regexp.MustCompile(`^got future in sequence assignment|^got Task in sequence assignment`), fixed(hintFuture)},
	{regexp.MustCompile(`^local variable (\w+) referenced before assignment`), func(m []string, _ syntax.Position, _ HintContext) string {
		return "if " + m[1] + " is meant to be the global: " + HintGlobal
	}},
	{regexp.MustCompile(`^undefined: isinstance$`), fixed(`Starlark has no isinstance: compare type(x) == "int" (docs/starlark-for-asyncio-users.md lists the type names)`)},
	{regexp.MustCompile(`^undefined: asyncio$`), fixed(`there is no asyncio module: its functions are the predeclared loop's (asyncio.sleep(1) is loop.sleep(1), asyncio.create_task(f(x)) is loop.create_task(f, x))`)},
	// Parser messages for Python's keywords, which Starlark reserves.
	{regexp.MustCompile(`^got (import|from), want`), fixed(`Starlark has no import: starnet's modules (json, re, os, time, ...) are predeclared, use them as they are; load("other.star", "name") loads another script's names`)},
	{regexp.MustCompile(`^got (try|except|finally|raise), want`), fixed(`Starlark has no try/except: v, err = catch(fn, *args) calls fn and returns its error instead of failing (err.kind is the exception class); fail("message") stops with an error (docs/API.md §5 "Tasks")`)},
	{regexp.MustCompile(`^got class, want`), fixed(`Starlark has no class: protocol("Name", data_received = fn, ...) makes a protocol class from functions that take self; struct(a = 1) makes a record`)},
	{regexp.MustCompile(`^got (global|nonlocal), want`), fixed(HintGlobal)},
	{regexp.MustCompile(`^got is, want`), fixed(`Starlark has no is: compare with == and != (x == None)`)},
	{regexp.MustCompile(`^got (async|await), want`), fixed(`Starlark has no async/await: every coroutine is a function returning a Future; wait(fut) in a task (or in main) is await fut (docs/API.md §5 "Tasks")`)},
	{regexp.MustCompile(`^got with, want`), fixed(`Starlark has no with: call close() (or release()) yourself, after catch(fn) if fn may fail`)},
	{regexp.MustCompile(`^got string literal, want`), fStringHint},
}

// bytesMethodHint names the bytes module's function for Python's b.name().
func bytesMethodHint(m []string, _ syntax.Position, _ HintContext) string {
	name := m[1]
	switch {
	case name == "decode":
		return `Starlark's bytes have no methods: bytes.decode(b) (or str(b)) makes a str of UTF-8 bytes, bytes.decode(b, "latin-1") of others`
	case name == "join":
		return `Starlark's bytes have no methods: bytes.join(sep, parts) is Python's sep.join(parts)`
	case lib.IsBytesFunction(name):
		return fmt.Sprintf(`Starlark's bytes have no methods: bytes.%s(b, ...) is Python's b.%s(...); str(b) makes a str, which has Starlark's str methods`, name, name)
	}
	return `Starlark's bytes have no methods: the bytes module has Python's as functions that take the bytes first (bytes.partition(b, sep), bytes.decode(b)); str(b) makes a str`
}

// stepsHint names the budget a callback ran out of and how to change it.
func stepsHint(_ []string, _ syntax.Position, hc HintContext) string {
	limit := "the --max-steps"
	if hc.MaxSteps > 0 {
		limit = fmt.Sprintf("--max-steps=%d", hc.MaxSteps)
	}
	return fmt.Sprintf("the code exceeded %s steps in one callback (or top level, or slice of a task); raise it with --max-steps=N (0: no limit), or split the work with loop.call_soon or a task that waits now and then (wait(loop.sleep(0)))", limit)
}

// fStringRe finds an f-string prefix: f"...", rf'...', F"...".
var fStringRe = regexp.MustCompile(`(^|[^\w])([rR]?[fF]|[fF][rR])["']`)

// fStringHint recognises f"..." (and rf"...", fr"..."), which the parser
// sees as a name followed by a string literal, on the line of the error.
func fStringHint(_ []string, at syntax.Position, hc HintContext) string {
	if hc.Line == nil || !fStringRe.MatchString(hc.Line(at)) {
		return ""
	}
	return `Starlark has no f-strings: write "%s:%d" % (host, port), "{}:{}".format(host, port), or string.format("{:>8}", x) for a format spec`
}

// Hint returns the advice for a person who met err, or "" when the table
// has none.
func Hint(err error, hc HintContext) string {
	msg, at := hintSubject(err)
	if msg == "" {
		return ""
	}
	return HintForMessage(msg, at, hc)
}

// HintForMessage returns the advice for an error message (a Starlark
// error's, without its position), found at pos, or "".
func HintForMessage(msg string, at syntax.Position, hc HintContext) string {
	for _, h := range hints {
		if m := h.re.FindStringSubmatch(msg); m != nil {
			if text := h.text(m, at, hc); text != "" {
				return text
			}
		}
	}
	return ""
}

// hintSubject is the message a hint is looked up by, and where it was met.
func hintSubject(err error) (string, syntax.Position) {
	var ee *starlark.EvalError
	var se syntax.Error
	var list resolve.ErrorList
	switch {
	case errors.As(err, &ee):
		return ee.Msg, syntax.Position{}
	case errors.As(err, &se):
		return se.Msg, se.Pos
	case errors.As(err, &list) && len(list) > 0:
		return list[0].Msg, list[0].Pos
	case err != nil:
		return err.Error(), syntax.Position{}
	}
	return "", syntax.Position{}
}
