package lib

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// The logging module: Python's logging functions on the root logger,
// writing one line per record, in one Write, to the runtime's stderr (so
// that the lines of several loops never interleave). Each loop has its own
// level and format.

// Python's levels.
const (
	levelNotset   = 0
	levelDebug    = 10
	levelInfo     = 20
	levelWarning  = 30
	levelError    = 40
	levelCritical = 50
)

var levelNames = map[int]string{levelDebug: "DEBUG", levelInfo: "INFO", levelWarning: "WARNING", levelError: "ERROR", levelCritical: "CRITICAL", levelNotset: "NOTSET"}

// defaultLogFormat is starnet's default: Python's basicConfig format with
// a timestamp first.
const defaultLogFormat = "%(asctime)s %(levelname)s %(message)s"

// logger is one loop's logging state.
type logger struct {
	w      io.Writer
	loop   int
	now    func() time.Time
	mu     sync.Mutex
	level  int
	format string
}

func newLoggingModule(w io.Writer, loopIndex int, now func() time.Time) *starlarkstruct.Module {
	lg := &logger{w: w, loop: loopIndex, now: now, level: levelWarning, format: defaultLogFormat}
	members := starlark.StringDict{
		"basicConfig":  starlark.NewBuiltin("logging.basicConfig", lg.basicConfig),
		"getLevelName": starlark.NewBuiltin("logging.getLevelName", getLevelName),
		"log":          starlark.NewBuiltin("logging.log", lg.log),
		"WARN":         starlark.MakeInt(levelWarning),
		"FATAL":        starlark.MakeInt(levelCritical),
	}
	for level, name := range levelNames {
		members[name] = starlark.MakeInt(level)
		if level != levelNotset {
			fn := strings.ToLower(name)
			members[fn] = starlark.NewBuiltin("logging."+fn, lg.log)
		}
	}
	return &starlarkstruct.Module{Name: "logging", Members: members}
}

// basicConfig is logging.basicConfig(level=None, format=None): unlike
// Python's, every call applies.
func (lg *logger) basicConfig(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var level levelArg
	var format logFormatArg
	if err := unpack(b.Name(), nil, kwargs, "level??", &level, "format??", &format); err != nil {
		return nil, err
	}
	if len(args) > 0 {
		return nil, typeErrorf("%s: takes keyword arguments only (level=, format=)", b.Name())
	}
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if level.set {
		lg.level = level.n
	}
	if format.set {
		lg.format = format.s
	}
	return starlark.None, nil
}

// logFormatArg unpacks a logging format (its fields checked).
type logFormatArg struct {
	s   string
	set bool
}

// Unpack implements starlark.Unpacker.
func (a *logFormatArg) Unpack(v starlark.Value) error {
	s, ok := v.(starlark.String)
	if !ok {
		return bind.Want(v, "str")
	}
	if _, err := expandLogFormat(string(s), logRecord{}); err != nil {
		return bind.Invalid(err.Error())
	}
	a.s, a.set = string(s), true
	return nil
}

// levelArg unpacks a level: an int or a level name.
type levelArg struct {
	n   int
	set bool
}

// Unpack implements starlark.Unpacker.
func (a *levelArg) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.Int:
		n, ok := v.Int64()
		if !ok || n < 0 || n > 1<<20 {
			return bind.Invalid("level " + v.String() + " out of range")
		}
		a.n, a.set = int(n), true
		return nil
	case starlark.String:
		for level, name := range levelNames {
			if name == string(v) {
				a.n, a.set = level, true
				return nil
			}
		}
		if v == "WARN" {
			a.n, a.set = levelWarning, true
			return nil
		}
		return bind.Invalid("Unknown level: '" + string(v) + "'")
	}
	return bind.Want(v, "an int or a level name")
}

func getLevelName(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var level int
	if err := unpack(b.Name(), args, kwargs, "level", &level); err != nil {
		return nil, err
	}
	return starlark.String(levelName(level)), nil
}

func levelName(level int) string {
	if n, ok := levelNames[level]; ok {
		return n
	}
	return fmt.Sprintf("Level %d", level)
}

// log is logging.debug/info/warning/error/critical(msg, *args) and
// logging.log(level, msg, *args): msg % args, as Python's records.
func (lg *logger) log(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(kwargs) > 0 {
		return nil, typeErrorf("%s: unexpected keyword argument %s", b.Name(), kwargs[0][0])
	}
	name := shortName(b)
	var level int
	if name == "log" {
		if len(args) == 0 {
			return nil, typeErrorf("%s: missing argument for level", b.Name())
		}
		var l levelArg
		if err := bind.UnpackArg(b.Name(), "level", args[0], &l); err != nil {
			return nil, err
		}
		level, args = l.n, args[1:]
	} else {
		for l, n := range levelNames {
			if strings.ToLower(n) == name {
				level = l
			}
		}
	}
	if len(args) == 0 {
		return nil, typeErrorf("%s: missing argument for msg", b.Name())
	}
	lg.mu.Lock()
	enabled, format := level >= lg.level, lg.format
	lg.mu.Unlock()
	if !enabled {
		return starlark.None, nil
	}
	msg, err := logMessage(args[0], args[1:])
	if err != nil {
		return nil, prefixError(b.Name(), err)
	}
	line, err := expandLogFormat(format, logRecord{time: lg.now(), level: level, msg: msg, loop: lg.loop})
	if err != nil {
		return nil, err
	}
	_, _ = io.WriteString(lg.w, strings.ReplaceAll(line, "\n", "\n    ")+"\n")
	return starlark.None, nil
}

// logMessage is str(msg) % args (args a tuple, or the one mapping given).
func logMessage(msg starlark.Value, args starlark.Tuple) (string, error) {
	s := strOf(msg)
	if len(args) == 0 {
		return s, nil
	}
	var x starlark.Value = args
	if len(args) == 1 {
		if _, ok := args[0].(starlark.Mapping); ok {
			x = args[0]
		}
	}
	v, err := starlark.Binary(syntax.PERCENT, starlark.String(s), x)
	if err != nil {
		return "", err
	}
	return strOf(v), nil
}

// logRecord is what a format line can show.
type logRecord struct {
	time  time.Time
	level int
	msg   string
	loop  int
}

// expandLogFormat expands %(name)s fields (asctime, levelname, levelno,
// message, name, loop) and %%; another field is an error.
func expandLogFormat(format string, r logRecord) (string, error) {
	var out strings.Builder
	for format != "" {
		i := strings.IndexByte(format, '%')
		if i < 0 {
			out.WriteString(format)
			break
		}
		out.WriteString(format[:i])
		format = format[i:]
		if strings.HasPrefix(format, "%%") {
			out.WriteByte('%')
			format = format[2:]
			continue
		}
		end := strings.Index(format, ")")
		if !strings.HasPrefix(format, "%(") || end < 0 || end+1 >= len(format) || (format[end+1] != 's' && format[end+1] != 'd') {
			return "", fmt.Errorf("bad field at %q: want %%(name)s", format)
		}
		field := format[2:end]
		switch field {
		case "asctime":
			out.WriteString(r.time.Format("2006-01-02 15:04:05,000"))
		case "levelname":
			out.WriteString(levelName(r.level))
		case "levelno":
			fmt.Fprint(&out, r.level)
		case "message":
			out.WriteString(r.msg)
		case "name":
			out.WriteString("root")
		case "loop":
			fmt.Fprint(&out, r.loop)
		default:
			return "", fmt.Errorf("unknown field %q (have asctime, levelname, levelno, message, name, loop)", field)
		}
		format = format[end+2:]
	}
	return out.String(), nil
}
