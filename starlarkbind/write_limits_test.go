package starlarkbind

import "testing"

// TestWriteBufferLimitsTakeAnyInteger: as asyncio, set_write_buffer_limits
// takes any non-negative integer (1 << 31 and beyond; a value past Go's int
// saturates), and refuses negative ones and high < low with its ValueError.
func TestWriteBufferLimitsTakeAnyInteger(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.exec(`
t, _ = loop.run_until_complete(loop.create_datagram_endpoint(protocol("P"), local_addr = ("127.0.0.1", 0)))
t.set_write_buffer_limits(high = (1 << 31))
assert.eq(t.get_write_buffer_limits(), ((1 << 31) // 4, (1 << 31)))
t.set_write_buffer_limits(high = (1 << 40), low = (1 << 33))
assert.eq(t.get_write_buffer_limits(), ((1 << 33), (1 << 40)))
t.set_write_buffer_limits(low = (1 << 62))
assert.eq(t.get_write_buffer_limits(), ((1 << 62), (1 << 63) - 1))
t.set_write_buffer_limits(high = (1 << 100))
assert.eq(t.get_write_buffer_limits()[1], (1 << 63) - 1)
assert.fails(lambda: t.set_write_buffer_limits(high = -1), "ValueError: high \\(-1\\) must be >= low \\(-1\\) must be >= 0")
assert.fails(lambda: t.set_write_buffer_limits(high = 1, low = 2), "ValueError: high \\(1\\) must be >= low \\(2\\) must be >= 0")
t.close()
`)
	te.run()
}
