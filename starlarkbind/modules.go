package starlarkbind

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/starnet-dev/starnet/starlarkbind/binary"
	"go.starlark.net/lib/json"
	"go.starlark.net/lib/math"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// The modules of API.md §6 that live in this package: ssl (constants only
// for now: TLS arrives later), subprocess and signal constants, os, and the
// library modules.

// Python's values for the ssl constants.
const (
	sslProtocolTLSClient = 16
	sslProtocolTLSServer = 17
	sslCertNone          = 0
	sslCertOptional      = 1
	sslCertRequired      = 2
	sslTLSv1_2           = 0x0303
	sslTLSv1_3           = 0x0304
)

func newSSLModule() *starlarkstruct.Module {
	notYet := func(name string) *starlark.Builtin {
		return starlark.NewBuiltin(name, func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return nil, fmt.Errorf("ssl.%s: %w", name, errSSLNotSupported)
		})
	}
	return &starlarkstruct.Module{
		Name: "ssl",
		Members: starlark.StringDict{
			"PROTOCOL_TLS_CLIENT":    starlark.MakeInt(sslProtocolTLSClient),
			"PROTOCOL_TLS_SERVER":    starlark.MakeInt(sslProtocolTLSServer),
			"CERT_NONE":              starlark.MakeInt(sslCertNone),
			"CERT_OPTIONAL":          starlark.MakeInt(sslCertOptional),
			"CERT_REQUIRED":          starlark.MakeInt(sslCertRequired),
			"create_default_context": notYet("create_default_context"),
			"SSLContext":             notYet("SSLContext"),
			"Purpose": &starlarkstruct.Module{Name: "Purpose", Members: starlark.StringDict{
				"SERVER_AUTH": starlark.String("SERVER_AUTH"),
				"CLIENT_AUTH": starlark.String("CLIENT_AUTH"),
			}},
			"TLSVersion": &starlarkstruct.Module{Name: "TLSVersion", Members: starlark.StringDict{
				"TLSv1_2": starlark.MakeInt(sslTLSv1_2),
				"TLSv1_3": starlark.MakeInt(sslTLSv1_3),
			}},
		},
	}
}

// Python's subprocess constants.
const (
	subprocessPIPE    = -1
	subprocessSTDOUT  = -2
	subprocessDEVNULL = -3
)

func newSubprocessModule() *starlarkstruct.Module {
	return &starlarkstruct.Module{
		Name: "subprocess",
		Members: starlark.StringDict{
			"PIPE":    starlark.MakeInt(subprocessPIPE),
			"STDOUT":  starlark.MakeInt(subprocessSTDOUT),
			"DEVNULL": starlark.MakeInt(subprocessDEVNULL),
		},
	}
}

func newSignalModule() *starlarkstruct.Module {
	sig := func(s syscall.Signal) starlark.Value { return starlark.MakeInt(int(s)) }
	return &starlarkstruct.Module{
		Name: "signal",
		Members: starlark.StringDict{
			"SIGINT":  sig(syscall.SIGINT),
			"SIGTERM": sig(syscall.SIGTERM),
			"SIGHUP":  sig(syscall.SIGHUP),
			"SIGKILL": sig(syscall.SIGKILL),
			"SIGUSR1": sig(syscall.SIGUSR1),
			"SIGUSR2": sig(syscall.SIGUSR2),
			"SIGCHLD": sig(syscall.SIGCHLD),
		},
	}
}

func newBinaryModule() starlark.Value { return binary.NewModule() }
func jsonModule() starlark.Value      { return json.Module }
func timeModule() starlark.Value      { return time.Module }
func mathModule() starlark.Value      { return math.Module }

// newOSModule makes the os module: stdin/stdout/stderr, getenv, getpid,
// listen_fds.
func (e *Env) newOSModule() *starlarkstruct.Module {
	return &starlarkstruct.Module{
		Name: "os",
		Members: starlark.StringDict{
			"stdin":      &stdioValue{name: "<stdin>", fd: 0},
			"stdout":     &stdioValue{name: "<stdout>", fd: 1},
			"stderr":     &stdioValue{name: "<stderr>", fd: 2},
			"getenv":     starlark.NewBuiltin("getenv", e.getenv),
			"getpid":     starlark.NewBuiltin("getpid", getpid),
			"listen_fds": starlark.NewBuiltin("listen_fds", e.listenFDsBuiltin),
		},
	}
}

// getenv implements os.getenv(name, default=None), under --allow-env.
func (e *Env) getenv(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var def starlark.Value = starlark.None
	if err := unpack("os.getenv", args, kwargs, "name", &name, "default?", &def); err != nil {
		return nil, err
	}
	if err := e.perms.checkEnv(name); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	if v, ok := os.LookupEnv(name); ok {
		return starlark.String(v), nil
	}
	return def, nil
}

func getpid(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("os.getpid", args, kwargs); err != nil {
		return nil, err
	}
	return starlark.MakeInt(os.Getpid()), nil
}

// listenFDsStart is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// listenFDsBuiltin implements os.listen_fds(): the sockets passed by
// systemd socket activation (LISTEN_PID is this process, LISTEN_FDS says
// how many, from fd 3), as socket values usable as `sock=`. The list is
// made once per env; the descriptors are marked close-on-exec. Reading
// LISTEN_* needs no --allow-env: they describe what the host handed over.
func (e *Env) listenFDsBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("os.listen_fds", args, kwargs); err != nil {
		return nil, err
	}
	if !e.fdsRead {
		e.fdsRead = true
		e.listenFDs = listenFDs()
	}
	return starlark.NewList(append([]starlark.Value(nil), e.listenFDs...)), nil
}

func listenFDs() []starlark.Value {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 {
		return nil
	}
	socks := make([]starlark.Value, 0, n)
	for fd := listenFDsStart; fd < listenFDsStart+n; fd++ {
		syscall.CloseOnExec(fd)
		if s, ok := newFDSocket(fd); ok {
			socks = append(socks, &socketValue{s: s})
		}
	}
	return socks
}

// stdioValue is os.stdin, os.stdout or os.stderr: for now only fileno()
// (the pipe transports come later).
type stdioValue struct {
	name string
	fd   int
}

var _ starlark.HasAttrs = (*stdioValue)(nil)

func (s *stdioValue) String() string        { return fmt.Sprintf("<file %s fd=%d>", s.name, s.fd) }
func (s *stdioValue) Type() string          { return "file" }
func (s *stdioValue) Freeze()               {}
func (s *stdioValue) Truth() starlark.Bool  { return starlark.True }
func (s *stdioValue) Hash() (uint32, error) { return uint32(s.fd), nil }
func (s *stdioValue) AttrNames() []string   { return []string{"fileno", "name"} }

func (s *stdioValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(s.name), nil
	case "fileno":
		return starlark.NewBuiltin("fileno", func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := unpack("file.fileno", args, kwargs); err != nil {
				return nil, err
			}
			return starlark.MakeInt(s.fd), nil
		}), nil
	}
	return nil, noAttr(s, name)
}
