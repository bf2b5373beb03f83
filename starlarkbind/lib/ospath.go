package lib

import (
	"errors"
	"strings"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"golang.org/x/sys/unix"
)

// The os.path module: Python's posixpath for str paths. join, split,
// basename, dirname, splitext, normpath and isabs only compute; exists,
// isfile, isdir and getsize look, under --allow-read.

func (f *files) pathModule() *starlarkstruct.Module {
	pure := func(name string, fn func(string) starlark.Value) *starlark.Builtin {
		return starlark.NewBuiltin("os.path."+name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			if err := unpack(b.Name(), args, kwargs, "path", &p); err != nil {
				return nil, err
			}
			return fn(p), nil
		})
	}
	str := func(fn func(string) string) func(string) starlark.Value {
		return func(p string) starlark.Value { return starlark.String(fn(p)) }
	}
	return &starlarkstruct.Module{
		Name: "os.path",
		Members: starlark.StringDict{
			"sep":      starlark.String("/"),
			"join":     starlark.NewBuiltin("os.path.join", pathJoin),
			"basename": pure("basename", str(pathBasename)),
			"dirname":  pure("dirname", str(pathDirname)),
			"normpath": pure("normpath", str(pathNormpath)),
			"isabs":    pure("isabs", func(p string) starlark.Value { return starlark.Bool(strings.HasPrefix(p, "/")) }),
			"split": pure("split", func(p string) starlark.Value {
				return starlark.Tuple{starlark.String(pathDirname(p)), starlark.String(pathBasename(p))}
			}),
			"splitext": pure("splitext", func(p string) starlark.Value {
				root, ext := pathSplitext(p)
				return starlark.Tuple{starlark.String(root), starlark.String(ext)}
			}),
			"exists":  starlark.NewBuiltin("os.path.exists", f.look),
			"isfile":  starlark.NewBuiltin("os.path.isfile", f.look),
			"isdir":   starlark.NewBuiltin("os.path.isdir", f.look),
			"getsize": starlark.NewBuiltin("os.path.getsize", f.look),
		},
	}
}

// pathJoin is os.path.join(path, *paths).
func pathJoin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(kwargs) > 0 {
		return nil, typeErrorf("%s: unexpected keyword argument", b.Name())
	}
	if len(args) == 0 {
		return nil, typeErrorf("%s: missing argument for path", b.Name())
	}
	path := ""
	for i, a := range args {
		var part string
		if err := bind.UnpackArg(b.Name(), itoa(i+1), a, &part); err != nil {
			return nil, err
		}
		switch {
		case strings.HasPrefix(part, "/"):
			path = part
		case path == "" || strings.HasSuffix(path, "/"):
			path += part
		default:
			path += "/" + part
		}
	}
	return starlark.String(path), nil
}

func pathBasename(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

func pathDirname(p string) string {
	head := p[:strings.LastIndexByte(p, '/')+1]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// pathSplitext is Python's splitext: leading dots of the name are not an
// extension.
func pathSplitext(p string) (string, string) {
	sep := strings.LastIndexByte(p, '/')
	dot := strings.LastIndexByte(p, '.')
	if dot > sep {
		for i := sep + 1; i < dot; i++ {
			if p[i] != '.' {
				return p[:dot], p[dot:]
			}
		}
	}
	return p, ""
}

// pathNormpath is Python's posixpath.normpath (lexical: links are not
// followed).
func pathNormpath(p string) string {
	if p == "" {
		return "."
	}
	initial := 0
	if strings.HasPrefix(p, "/") {
		initial = 1
		if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
			initial = 2
		}
	}
	var comps []string
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "" || c == ".":
		case c != ".." || (initial == 0 && len(comps) == 0) || (len(comps) > 0 && comps[len(comps)-1] == ".."):
			comps = append(comps, c)
		case len(comps) > 0:
			comps = comps[:len(comps)-1]
		}
	}
	out := strings.Repeat("/", initial) + strings.Join(comps, "/")
	if out == "" {
		return "."
	}
	return out
}

// look is os.path.exists, isfile, isdir and getsize: under --allow-read
// (a denied path fails, it is not reported missing). A missing path is
// False for the first three, FileNotFoundError for getsize.
func (f *files) look(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := unpack(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	name := shortName(b)
	resolved, err := f.resolve("read", path)
	var st *unix.Stat_t
	if err == nil {
		st, err = f.lstatChecked(path, resolved)
	}
	if err != nil {
		if name != "getsize" && isMissing(err) {
			return starlark.False, nil
		}
		return nil, err
	}
	switch name {
	case "isfile":
		return starlark.Bool(st.Mode&unix.S_IFMT == unix.S_IFREG), nil
	case "isdir":
		return starlark.Bool(st.Mode&unix.S_IFMT == unix.S_IFDIR), nil
	case "getsize":
		return starlark.MakeInt64(st.Size), nil
	}
	return starlark.True, nil
}

// isMissing reports whether err says a path does not exist (or cannot:
// a file on the way), which exists() answers with False.
func isMissing(err error) bool {
	var ex loop.Exception
	if !errors.As(err, &ex) {
		return false
	}
	switch ex.ExceptionKind() {
	case "FileNotFoundError", "NotADirectoryError":
		return true
	}
	return false
}
