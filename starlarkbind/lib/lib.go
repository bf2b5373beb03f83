package lib

import (
	"io"
	"time"

	"go.starlark.net/starlark"
)

// Names are the predeclared names the library adds (API.md §2), for
// `starnet check`.
var Names = []string{"bytes", "format", "string", "re", "hashlib", "hmac", "random", "secrets", "logging"}

// Options configure the modules of one loop.
type Options struct {
	// Stderr receives the logging module's lines, one Write per line.
	Stderr io.Writer
	// Loop is the loop's number (loop.index), which a logging format can show.
	Loop int
	// Now is the clock of the logging module's timestamps (time.Now if nil).
	Now func() time.Time
}

// Modules returns the library's predeclared names with fresh values: the
// values of one loop's scripts, never shared with another loop.
func Modules(opts Options) starlark.StringDict {
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return starlark.StringDict{
		"bytes":   newBytesModule(),
		"format":  starlark.NewBuiltin("format", formatBuiltin),
		"string":  newStringModule(),
		"re":      newREModule(),
		"hashlib": newHashlibModule(),
		"hmac":    newHMACModule(),
		"random":  newRandomModule(),
		"secrets": newSecretsModule(),
		"logging": newLoggingModule(opts.Stderr, opts.Loop, opts.Now),
	}
}
