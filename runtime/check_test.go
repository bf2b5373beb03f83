package runtime

import (
	"sort"
	"strings"
	"testing"
)

// checkMessages runs Check and returns its errors as strings.
func checkMessages(t *testing.T, src string, extra ...string) []string {
	t.Helper()
	var out []string
	for _, err := range Check("t.star", []byte(src), extra...) {
		out = append(out, err.Error())
	}
	return out
}

func TestCheckAcceptsGoodScript(t *testing.T) {
	src := `
def connection_made(self, transport):
    self.transport = transport

def data_received(self, data, *rest):
    self.transport.write(data)

def eof_received(self, extra = None):
    return True

def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)

n = 0
while n < 3:
    n += 1
n = fact(n)
s = set([1, 2])
if n > 1:
    print(len(s))

Echo = protocol("Echo", connection_made = connection_made, data_received = data_received,
                eof_received = eof_received, connection_lost = lambda self, exc: None,
                helper = lambda self, a, b, c: None, init = lambda self, x, y: None)
def main(argv):
    srv = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
    print(json.encode(argv), time.now(), math.pi, host_value)
`
	if errs := checkMessages(t, src, "host_value"); len(errs) != 0 {
		t.Fatalf("Check found problems in a good script:\n%s", strings.Join(errs, "\n"))
	}
}

func TestCheckReportsWrongArity(t *testing.T) {
	src := `def on_data(self):
    pass

def made(self, transport, extra):
    pass

P = protocol("P",
    data_received = on_data,
    connection_made = made,
    datagram_received = lambda self, data: None,
    pause_writing = lambda self, *, now: None)
`
	errs := checkMessages(t, src)
	want := []string{
		"t.star:8:5: protocol P: the loop calls data_received(self, data) with 2 arguments, but on_data (t.star:1:5) takes 1",
		"t.star:9:5: protocol P: the loop calls connection_made(self, transport) with 2 arguments, but made (t.star:4:5) takes 3",
		"t.star:10:5: protocol P: the loop calls datagram_received(self, data, addr) with 3 arguments, but lambda (t.star:10:25) takes 2",
		`t.star:11:5: protocol P: the loop calls pause_writing(self), but lambda (t.star:11:21) requires keyword-only parameter "now"`,
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckReportsTypoedCallback(t *testing.T) {
	src := `P = protocol("P", data_recieved = lambda self, data: None, on_line = lambda self, l: None)`
	errs := checkMessages(t, src)
	want := `t.star:1:19: protocol P: unknown callback "data_recieved"; did you mean "data_received"?`
	if len(errs) != 1 || errs[0] != want {
		t.Fatalf("got %q, want [%q]", errs, want)
	}
}

func TestCheckSkipsAmbiguousBindings(t *testing.T) {
	src := `def cb(self):
    pass
cb = lambda self, data: None
P = protocol("P", data_received = cb)
`
	if errs := checkMessages(t, src); len(errs) != 0 {
		t.Fatalf("a name bound twice must not be checked, got %q", errs)
	}
}

func TestCheckReportsResolveAndSyntaxErrors(t *testing.T) {
	errs := checkMessages(t, "x = undefined_name + 1\ny = other\n")
	want := []string{"t.star:1:5: undefined: undefined_name", "t.star:2:5: undefined: other"}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", errs, want)
	}
	errs = checkMessages(t, "def f(:\n")
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "t.star:1:") {
		t.Fatalf("syntax error: got %q", errs)
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "abd", 1}, {"data_recieved", "data_received", 2}, {"", "ab", 2}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestCheckKnowsEveryPredeclaredName(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{})
	var actual []string
	c := rt.copies[0]
	err := c.do(func() error {
		for name := range c.env.Predeclared() {
			actual = append(actual, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), predeclaredNames...)
	sort.Strings(actual)
	sort.Strings(want)
	if strings.Join(actual, " ") != strings.Join(want, " ") {
		t.Fatalf("the env predeclares %q, Check knows %q", actual, want)
	}
}
