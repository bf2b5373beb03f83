package starlarkbind

import "testing"

// TestProtocolRefusesMisspeltCallbacksAndWrongArities: protocol() fails
// where the class is made, with `starnet check`'s messages, for a member
// that misspells a callback or a callback function the loop could not call;
// helpers with other names, defaults, *args and builtins pass.
func TestProtocolRefusesMisspeltCallbacksAndWrongArities(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{})
	te.exec(`
def data_received(self, data):
    pass
def no_self(data):
    pass
def kw_only(self, data, *, extra):
    pass

assert.fails(lambda: protocol("P", data_recieved = data_received),
             'protocol P: unknown callback "data_recieved"; did you mean "data_received"\\?')
assert.fails(lambda: protocol("P", conection_lost = data_received),
             'did you mean "connection_lost"')
assert.fails(lambda: protocol("P", data_received = no_self),
             "protocol P: the loop calls data_received\\(self, data\\) with 2 arguments, but no_self \\(test.star:4:1\\) takes 1")
assert.fails(lambda: protocol("P", connection_made = lambda self: None),
             "the loop calls connection_made\\(self, transport\\) with 2 arguments, but lambda \\(test.star:[0-9:]+\\) takes 1")
assert.fails(lambda: protocol("P", pause_writing = lambda self, x, y: None),
             "the loop calls pause_writing\\(self\\) with 1 argument, but lambda \\(test.star:[0-9:]+\\) takes 3")
assert.fails(lambda: protocol("P", data_received = kw_only),
             'requires keyword-only parameter "extra"')

# What the loop can call is fine, and so are helpers with other names.
protocol("P", data_received = data_received, send_line = lambda self, s: None, init = lambda self: None)
protocol("P", data_received = lambda self, data, more = 1: None)
protocol("P", data_received = lambda self, *rest: None)
protocol("P", datagram_received = lambda *args: None)
protocol("P", eof_received = lambda self, **kw: None)
protocol("P", data_received = print)
protocol("P", x = 1, y = None)
`)
}
