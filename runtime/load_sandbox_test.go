package runtime

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// loadTree makes app/main.star's neighbours: app/lib/util.star (inside the
// script's tree), outside/secret.star (a file whose text is a secret, as a
// .env file or /etc/hostname would be), outside/values.star (valid
// Starlark), and the link app/lnk -> outside. It returns the directory.
func loadTree(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	files := map[string]string{
		"app/lib/util.star":    "def twice(x):\n    return 2 * x\n",
		"outside/secret.star":  "sk_live_TOPSECRET\n",
		"outside/values.star":  "token = 'tok-123'\n",
		"app/lib/escape.star":  "load('../../outside/values.star', 'token')\n",
		"app/lib/through.star": "load('../lnk/values.star', 'token')\n",
	}
	for name, text := range files {
		path := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	require.NoError(t, os.Symlink(filepath.Join(root, "outside"), filepath.Join(root, "app/lnk")))
	return root
}

// execMain runs src as app/main.star with --allow-read set to read, and
// returns the module's globals or the error.
func execMain(t *testing.T, root string, read []string, src string) (starlark.StringDict, error) {
	t.Helper()
	rt, err := New(Config{Permissions: Permissions{Read: read}, Stdout: &discard{}, Stderr: &discard{}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rt.Close() })
	main := filepath.Join(root, "app/main.star")
	require.NoError(t, os.WriteFile(main, []byte(src), 0o644))
	m, err := rt.ExecFile(main)
	if err != nil {
		return nil, err
	}
	return m.Globals(), nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestLoadIsConfinedToTheScriptTree: load() reads files below the main
// script's directory, and refuses, before reading them, files outside it
// (by an absolute path, by "..", through a link) unless --allow-read allows
// them; the refusal never shows what the file holds.
func TestLoadIsConfinedToTheScriptTree(t *testing.T) {
	root := loadTree(t)
	outside := filepath.Join(root, "outside")

	g, err := execMain(t, root, nil, "load('lib/util.star', 'twice')\nx = twice(21)\n")
	require.NoError(t, err)
	assert.Equal(t, starlark.MakeInt(42), g["x"])

	for name, src := range map[string]string{
		"absolute":      "load('" + outside + "/secret.star', 'x')\n",
		"dotdot":        "load('../outside/secret.star', 'x')\n",
		"link":          "load('lnk/secret.star', 'x')\n",
		"nested dotdot": "load('lib/escape.star', 'token')\n",
		"nested link":   "load('lib/through.star', 'token')\n",
		"proc":          "load('/proc/self/environ', 'x')\n",
	} {
		_, err := execMain(t, root, nil, src)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "outside the script's directory and --allow-read", name)
		assert.NotContains(t, err.Error(), "sk_live_TOPSECRET", name)
		assert.NotContains(t, err.Error(), "tok-123", name)
	}

	_, err = execMain(t, root, nil, "load('lnk/secret.star', 'x')\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "(it resolves to "+outside+"/secret.star); run with --allow-read="+outside+"/secret.star")

	g, err = execMain(t, root, []string{outside}, "load('lnk/values.star', 'token')\nt = token\n")
	require.NoError(t, err, "--allow-read allows loading from there")
	assert.Equal(t, starlark.String("tok-123"), g["t"])
}

// TestNewRefusesBadNetEntries: a Permissions.Net entry that does not parse
// is an error from New, naming the entry.
func TestNewRefusesBadNetEntries(t *testing.T) {
	_, err := New(Config{Permissions: Permissions{Net: []string{"127.0.0.1", "bogus:port"}}})
	require.Error(t, err)
	assert.Equal(t, `starnet: bad Permissions.Net entry: "bogus:port": port "port" is not a number from 0 to 65535`, err.Error())
}
