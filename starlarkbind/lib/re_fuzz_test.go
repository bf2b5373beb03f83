package lib

import (
	"errors"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"go.starlark.net/starlark"
)

// FuzzRE: compiling any pattern (str or bytes, any flags) and running
// search, fullmatch, findall, split and sub on any subject never panics,
// fails only with a classed error, and gives offsets inside the subject.
func FuzzRE(f *testing.F) {
	for _, seed := range [][2]string{{`(\w+) (?P<p>\S+)`, "GET / HTTP/1.1"}, {`x*`, "abxd"}, {`[\x80-\xff]+`, "a\xff\xc3\xa9"},
		{`^(a|ab)\Z`, "ab\n"}, {"(?x) a # c\n b", "ab"}, {`\g<1>`, ""}, {`[]a]`, "]"}} {
		f.Add(seed[0], seed[1], 0, `\1-\g<p>`)
	}
	f.Fuzz(func(t *testing.T, pattern, subj string, flags int, repl string) {
		flags &= reFlagI | reFlagM | reFlagS | reFlagX | reFlagA
		thread := &starlark.Thread{}
		for _, isBytes := range []bool{false, true} {
			p, err := compilePattern("re.compile", pattern, isBytes, flags)
			if err != nil {
				requireClassed(t, err)
				continue
			}
			s := textArg{s: subj, isBytes: isBytes}
			r := replArg{tmpl: textArg{s: repl, isBytes: isBytes}}
			for _, name := range []string{"search", "fullmatch", "finditer"} {
				v, err := p.call("re."+name, name, s)
				requireClassed(t, err)
				checkSpans(t, v, len(subj))
			}
			_, err = p.split("re.split", s, 0)
			requireClassed(t, err)
			_, err = p.sub(thread, "re.sub", r, s, 0, true)
			requireClassed(t, err)
		}
	})
}

func requireClassed(t *testing.T, err error) {
	t.Helper()
	var ex loop.Exception
	if err != nil && !errors.As(err, &ex) {
		t.Fatalf("error without a class: %v", err)
	}
}

// checkSpans checks that every match (a match, or a list of them) lies
// within a subject of n bytes.
func checkSpans(t *testing.T, v starlark.Value, n int) {
	t.Helper()
	var ms []*reMatch
	switch v := v.(type) {
	case *reMatch:
		ms = append(ms, v)
	case *starlark.List:
		for i := 0; i < v.Len(); i++ {
			ms = append(ms, v.Index(i).(*reMatch))
		}
	}
	for _, m := range ms {
		for i := 0; i < len(m.idx); i += 2 {
			if m.idx[i] >= 0 && (m.idx[i] > m.idx[i+1] || m.idx[i+1] > n) {
				t.Fatalf("span %v outside a subject of %d bytes", m.idx[i:i+2], n)
			}
		}
	}
}
