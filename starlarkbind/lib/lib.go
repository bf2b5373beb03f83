package lib

import (
	"go.starlark.net/starlark"
)

// Names are the predeclared names the library adds (API.md §2), for
// `starnet check`.
var Names = []string{"bytes", "format", "string", "re", "hashlib", "hmac", "random", "secrets"}

// Modules returns the library's predeclared names with fresh values: the
// values of one loop's scripts, never shared with another loop.
func Modules() starlark.StringDict {
	return starlark.StringDict{
		"bytes":   newBytesModule(),
		"format":  starlark.NewBuiltin("format", formatBuiltin),
		"string":  newStringModule(),
		"re":      newREModule(),
		"hashlib": newHashlibModule(),
		"hmac":    newHMACModule(),
		"random":  newRandomModule(),
		"secrets": newSecretsModule(),
	}
}
