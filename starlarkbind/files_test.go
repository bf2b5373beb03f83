package starlarkbind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestFileFunctions runs testdata/files/*.star with read and write allowed
// in the subtest's temporary directory (predeclared as tmpdir) only.
func TestFileFunctions(t *testing.T) {
	t.Parallel()
	runStarFiles(t, "testdata/files/*.star", func(tmp string) Permissions {
		return Permissions{Read: []string{tmp}, Write: []string{tmp}}
	}, false)
}

// fileCall runs one os.* call in an env with perms and returns its error
// message ("" when it succeeded) and its result.
func fileCall(t *testing.T, perms Permissions, call string) (string, starlark.Value) {
	t.Helper()
	te := newTestEnv(t, Options{Permissions: perms})
	g := te.exec("result = []\ndef f():\n    result.append(" + call + ")\nerr = catch(f)\n")
	msg := ""
	if s, ok := g["err"].(starlark.String); ok {
		msg = string(s)
	}
	var v starlark.Value = starlark.None
	if l := g["result"].(*starlark.List); l.Len() > 0 {
		v = l.Index(0)
	}
	return msg, v
}

// TestFileFunctionsNeedTheirFlag: without --allow-read/--allow-write every
// file function fails with a PermissionError naming the flag, and nothing
// was read, written or removed.
func TestFileFunctionsNeedTheirFlag(t *testing.T) {
	t.Parallel()
	root := sandboxTree(t)
	ok := filepath.Join(root, "pub/ok.txt")
	made := filepath.Join(root, "pub/made.txt")
	readOnly := Permissions{Read: []string{root}}
	for _, c := range []struct {
		call  string
		perms Permissions
		flag  string
	}{
		{`os.read_file("` + ok + `")`, Permissions{}, "--allow-read=" + ok},
		{`os.stat("` + ok + `")`, Permissions{}, "--allow-read=" + ok},
		{`os.listdir("` + root + `")`, Permissions{}, "--allow-read=" + root},
		{`os.path.exists("` + ok + `")`, Permissions{}, "--allow-read=" + ok},
		{`os.path.exists("` + made + `")`, Permissions{}, "--allow-read=" + made},
		{`os.path.isdir("` + root + `")`, Permissions{}, "--allow-read=" + root},
		{`os.path.getsize("` + ok + `")`, Permissions{}, "--allow-read=" + ok},
		{`os.write_file("` + made + `", "x")`, readOnly, "--allow-write=" + made},
		{`os.write_file("` + ok + `", "x", append = True)`, readOnly, "--allow-write=" + ok},
		{`os.remove("` + ok + `")`, readOnly, "--allow-write=" + ok},
		{`os.read_file("` + ok + `")`, Permissions{Write: []string{root}}, "--allow-read=" + ok},
	} {
		msg, _ := fileCall(t, c.perms, c.call)
		assert.Regexp(t, `^PermissionError: (read|write) access to ".*" denied; run with `+regexpQuote(c.flag)+`$`, msg, c.call)
	}
	// By effect: nothing made, nothing changed, nothing removed.
	assert.NoFileExists(t, made)
	content, err := os.ReadFile(ok)
	require.NoError(t, err)
	assert.Equal(t, "public", string(content))
}

func regexpQuote(s string) string {
	return strings.NewReplacer(".", `\.`, "+", `\+`, "(", `\(`, ")", `\)`).Replace(s)
}

// TestFileFunctionsFollowLinksBeforeTheCheck: with --allow-read and
// --allow-write on pub, paths that links or ".." lead out of pub are
// refused (the message says where they lead), the files outside are left
// as they were, and os.remove of a link removes the link, not its target.
func TestFileFunctionsFollowLinksBeforeTheCheck(t *testing.T) {
	t.Parallel()
	root := sandboxTree(t)
	pub := filepath.Join(root, "pub")
	secret := filepath.Join(root, "outside/secret.txt")
	perms := Permissions{Read: []string{pub}, Write: []string{pub}}
	for _, c := range []struct{ call, resolves string }{
		{`os.read_file("` + pub + `/etc/secret.txt")`, secret},
		{`os.read_file("` + pub + `/lnk/../secret.txt")`, secret},
		{`os.stat("` + pub + `/etc/secret.txt")`, secret},
		{`os.path.exists("` + pub + `/lnk/../secret.txt")`, secret},
		{`os.listdir("` + pub + `/etc")`, filepath.Join(root, "outside")},
		{`os.write_file("` + pub + `/etc/secret.txt", "pwned")`, secret},
		{`os.write_file("` + pub + `/lnk/../secret.txt", "pwned", append = True)`, secret},
		{`os.remove("` + pub + `/etc/secret.txt")`, secret},
		{`os.remove("` + pub + `/lnk/../secret.txt")`, secret},
		{`os.read_file("/proc/self/root` + secret + `")`, secret},
	} {
		msg, _ := fileCall(t, perms, c.call)
		assert.Contains(t, msg, `(which resolves to "`+c.resolves+`") denied`, c.call)
		assert.True(t, strings.HasPrefix(msg, "PermissionError: "), "%s: %s", c.call, msg)
	}
	content, err := os.ReadFile(secret)
	require.NoError(t, err)
	assert.Equal(t, "secret", string(content), "the file outside pub changed")
	assert.NoFileExists(t, filepath.Join(root, "outside/new"))

	// Allowed: a file really in pub, and the links themselves.
	msg, v := fileCall(t, perms, `os.read_file("`+pub+`/ok.txt")`)
	require.Empty(t, msg)
	assert.Equal(t, starlark.Bytes("public"), v)
	msg, v = fileCall(t, perms, `os.listdir("`+pub+`")`)
	require.Empty(t, msg)
	assert.Equal(t, `["dangling", "etc", "lnk", "ok.txt"]`, v.String())
	msg, _ = fileCall(t, perms, `os.remove("`+pub+`/etc")`)
	require.Empty(t, msg, "removing the link pub/etc")
	_, err = os.Lstat(filepath.Join(pub, "etc"))
	assert.True(t, os.IsNotExist(err), "the link is gone")
	assert.DirExists(t, filepath.Join(root, "outside"), "its target stays")
	assert.FileExists(t, secret)
	// A dangling link is not followed to make a file where it leads (as
	// os.open), and does not exist (as in Python).
	msg, _ = fileCall(t, perms, `os.write_file("`+pub+`/dangling", "pwned")`)
	assert.Equal(t, "OSError: [Errno 40] Too many levels of symbolic links: '"+pub+"/dangling'", msg)
	assert.NoFileExists(t, filepath.Join(root, "outside/new"))
	msg, v = fileCall(t, perms, `os.path.exists("`+pub+`/dangling")`)
	require.Empty(t, msg)
	assert.Equal(t, starlark.False, v)
}
