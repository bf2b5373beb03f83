package starlarkbind

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestCharacterDevices writes to and reads /dev/null through pipe
// transports (epoll refuses /dev/null: the transports poll it instead).
func TestCharacterDevices(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: Permissions{Read: []string{os.DevNull}, Write: []string{os.DevNull}}, MaxSteps: 10_000_000})
	g := te.exec(`
events = []
w, _ = loop.run_until_complete(loop.connect_write_pipe(
    lambda: struct(connection_lost = lambda exc: events.append(("w lost", exc))), os.open("/dev/null", "w")))
w.write(b"x" * 1000000)
assert.eq(w.get_write_buffer_size(), 0)
w.close()
loop.run_until_complete(loop.connect_read_pipe(lambda: struct(
    data_received = lambda d: events.append("data"),
    eof_received = lambda: events.append("eof"),
    connection_lost = lambda exc: events.append(("r lost", exc))), os.open("/dev/null", "r")))
`)
	te.run()
	got := g["events"].String()
	for _, want := range []string{`("w lost", None)`, `"eof", ("r lost", None)`} {
		assert.Contains(t, got, want, "events")
	}
	assert.NotContains(t, got, `"data"`, "data from /dev/null")
}

// TestOpenPermissions checks --allow-read and --allow-write on os.open.
func TestOpenPermissions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o600))
	for _, c := range []struct {
		perms Permissions
		mode  string
		want  string
	}{
		{Permissions{}, "r", `PermissionError: read access to "` + path + `" denied; run with --allow-read=` + path},
		{Permissions{Write: []string{dir}}, "r", `PermissionError: read access to "` + path + `" denied`},
		{Permissions{Read: []string{dir}}, "w", `PermissionError: write access to "` + path + `" denied; run with --allow-write=` + path},
		{Permissions{Read: []string{dir}}, "a", `PermissionError: write access to "` + path + `" denied`},
		{Permissions{Read: []string{path}}, "r", ""},
		{Permissions{Write: []string{dir}}, "a", ""},
		{Permissions{Read: []string{"*"}}, "r", ""},
	} {
		te := newTestEnv(t, Options{Permissions: c.perms})
		te.e.Predeclare("path", starlark.String(path))
		te.e.Predeclare("mode", starlark.String(c.mode))
		g := te.exec(`err = catch(lambda: os.open(path, mode).close())`)
		got := g["err"]
		if c.want == "" {
			assert.Equalf(t, starlark.Value(starlark.None), got, "%+v %s", c.perms, c.mode)
		} else if assert.IsTypef(t, starlark.String(""), got, "%+v %s: %s", c.perms, c.mode, got) {
			assert.Containsf(t, string(got.(starlark.String)), c.want, "%+v %s", c.perms, c.mode)
		}
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "x", string(b), "a denied open changed the file")
}
