package permissions

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// tree makes, in a fresh directory: pub/ with pub/ok.txt, pub/etc -> the
// outside directory, pub/lnk -> outside/sub, pub/dangling -> outside/new,
// and outside/secret.txt; it returns the resolved root.
func tree(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	for _, d := range []string{"pub", "outside/sub"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "pub/ok.txt"), []byte("ok"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "outside/secret.txt"), []byte("secret"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(root, "outside"), filepath.Join(root, "pub/etc")))
	require.NoError(t, os.Symlink(filepath.Join(root, "outside/sub"), filepath.Join(root, "pub/lnk")))
	require.NoError(t, os.Symlink(filepath.Join(root, "outside/new"), filepath.Join(root, "pub/dangling")))
	return root
}

// TestResolveFollowsLinksAsTheKernel: links are followed and ".." steps back
// from where a link led, not lexically; a missing tail is appended.
func TestResolveFollowsLinksAsTheKernel(t *testing.T) {
	root := tree(t)
	cases := map[string]string{
		"pub/ok.txt":              "pub/ok.txt",
		"pub/etc/secret.txt":      "outside/secret.txt",
		"pub/lnk/../secret.txt":   "outside/secret.txt",
		"pub/./lnk/../../pub/etc": "outside",
		"pub/new/file.txt":        "pub/new/file.txt",
		"pub/new/../ok.txt":       "pub/ok.txt",
		"pub/dangling":            "pub/dangling",
		"pub/ok.txt/x":            "pub/ok.txt/x",
	}
	for in, want := range cases {
		got, err := Resolve(root + "/" + in)
		require.NoError(t, err, in)
		assert.Equal(t, filepath.Join(root, want), got, in)
	}
}

// TestResolveRelativeAndProc: a relative path is taken from the working
// directory, and /proc/self/root leads to "/".
func TestResolveRelativeAndProc(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	wd, err = filepath.EvalSymlinks(wd)
	require.NoError(t, err)
	got, err := Resolve("paths_test.go")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(wd, "paths_test.go"), got)

	if _, err := os.Stat("/proc/self/root"); err != nil {
		t.Skipf("SKIP: no /proc here: %v", err)
	}
	got, err = Resolve("/proc/self/root/etc/hostname")
	require.NoError(t, err)
	assert.Equal(t, "/etc/hostname", got)
	_, err = Resolve("")
	assert.Error(t, err)
}

// TestPathListContains: entries are resolved too, cover what is below them,
// and a sibling with a common prefix is not below.
func TestPathListContains(t *testing.T) {
	root := tree(t)
	l := NewPathList([]string{filepath.Join(root, "pub"), ""})
	check := func(p string) bool {
		r, err := Resolve(root + "/" + p) // not filepath.Join: it would clean ".." away
		require.NoError(t, err)
		return l.Contains(r)
	}
	assert.True(t, check("pub/ok.txt"))
	assert.True(t, check("pub"))
	assert.True(t, check("pub/new.txt"))
	assert.False(t, check("pub/etc/secret.txt"), "a link out of the entry")
	assert.False(t, check("pub/lnk/../secret.txt"), "'..' after a link")
	assert.False(t, check("pub2"))
	assert.False(t, check("outside"))

	viaLink := NewPathList([]string{filepath.Join(root, "pub/etc")})
	assert.True(t, viaLink.Contains(filepath.Join(root, "outside/secret.txt")), "an entry that is a link allows its target")
	assert.False(t, viaLink.Contains(filepath.Join(root, "pub/etc/secret.txt")), "unresolved paths are never passed to Contains")

	all := NewPathList([]string{All})
	assert.True(t, all.Contains("/etc/shadow"))
	assert.True(t, all.AllowsAll())
	assert.False(t, PathList{}.Contains("/"))
	assert.True(t, Within("/a/b/c", "/a/b"))
	assert.False(t, Within("/a/bc", "/a/b"))
	assert.True(t, Within("/x", "/"))
}

// TestOpenRefusesLinks: Open opens a resolved path, but fails with ELOOP when
// a link stands anywhere on the way (a link swapped in after the check, or
// a dangling link that O_CREAT would follow), and creates nothing outside.
func TestOpenRefusesLinks(t *testing.T) {
	root := tree(t)
	fd, err := Open(filepath.Join(root, "pub/ok.txt"), unix.O_RDONLY, 0)
	require.NoError(t, err)
	require.NoError(t, unix.Close(fd))

	_, err = Open(filepath.Join(root, "pub/etc/secret.txt"), unix.O_RDONLY, 0)
	assert.ErrorIs(t, err, unix.ELOOP)

	_, err = Open(filepath.Join(root, "pub/dangling"), unix.O_WRONLY|unix.O_CREAT, 0o644)
	assert.ErrorIs(t, err, unix.ELOOP)
	_, statErr := os.Lstat(filepath.Join(root, "outside/new"))
	assert.True(t, os.IsNotExist(statErr), "the dangling link's target was not created")

	b, err := ReadFile(filepath.Join(root, "pub/ok.txt"))
	require.NoError(t, err)
	assert.Equal(t, "ok", string(b))
	_, err = ReadFile(root + "/pub/lnk/../secret.txt")
	assert.ErrorIs(t, err, unix.ELOOP)
}
