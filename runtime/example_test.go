package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"

	starnet "github.com/starnet-dev/starnet/runtime"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// handlerStar is the script a host embeds: a Starlark protocol, and a
// server that uses the host's Go protocol.
const handlerStar = `
def connection_made(self, transport):
    self.transport = transport
    transport.write(host_tag + ":")

def data_received(self, data):
    self.transport.write(data)

Handler = protocol("Handler", connection_made = connection_made, data_received = data_received)

# A script can serve a Go protocol that the host predeclared.
server = loop.run_until_complete(loop.create_unix_server(go_echo, sock_path))
`

// echo is a Go protocol: it writes back what it receives. Embedding
// transports.StreamBase gives it the callbacks it does not need, and its
// transport, typed.
type echo struct{ transports.StreamBase }

func (p *echo) DataReceived(data []byte) { _ = p.Transport().Write(data) }

// ExampleNew embeds starnet as API.md "Go embedding" shows: a host value and a Go
// protocol factory predeclared for the script, a Starlark protocol served by
// the host, then Run until the context is cancelled.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "starnet-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "echo.sock")

	rt, err := starnet.New(starnet.Config{Permissions: starnet.AllowAll()})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close()
	rt.Predeclare("host_tag", starlark.String("H"))
	rt.Predeclare("go_echo", starnet.GoFactory(func() (transports.BaseProtocol, error) { return &echo{}, nil }))
	rt.Predeclare("sock_path", starlark.String(sock))
	mod, err := rt.Exec("handler.star", []byte(handlerStar))
	if err != nil {
		log.Fatal(starnet.FormatError(err))
	}
	factory, err := mod.ProtocolFactory("Handler")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()

	fmt.Println(exchange("tcp", ln.Addr().String(), "hello")) // the Starlark protocol
	fmt.Println(exchange("unix", sock, "ping"))               // the Go protocol
	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// H:hello
	// ping
	// run: <nil>
}

// exchange sends msg, half-closes, and returns everything the server sent
// before closing.
func exchange(network, addr, msg string) string {
	conn, err := net.Dial(network, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(msg)); err != nil {
		log.Fatal(err)
	}
	if err := conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		log.Fatal(err)
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		log.Fatal(err)
	}
	return string(reply)
}

// mainStar is a script with a main: Exec and ExecFile run only the top
// level, so the host calls main itself.
const mainStar = `
def main(argv):
    wait(loop.create_unix_server(go_echo, argv[0]))
    print("serving")
`

// ExampleModule_CallMain runs a script's main(argv) as `starnet run`
// does: ExecFile (or Exec) runs the top level only, CallMain calls main
// (with Config.Args when its argument is nil), Run serves until the
// context is cancelled, and Close aborts whatever is left and releases the
// loop.
func ExampleModule_CallMain() {
	dir, err := os.MkdirTemp("", "starnet-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "echo.sock")

	rt, err := starnet.New(starnet.Config{Permissions: starnet.AllowAll(), Args: []string{sock}})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close()
	rt.Predeclare("go_echo", starnet.GoFactory(func() (transports.BaseProtocol, error) { return &echo{}, nil }))
	mod, err := rt.Exec("main.star", []byte(mainStar))
	if err != nil {
		log.Fatal(starnet.FormatError(err))
	}
	err = mod.CallMain(nil)
	if err != nil {
		log.Fatal(starnet.FormatError(err))
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	fmt.Println(exchange("unix", sock, "ping"))
	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// serving
	// ping
	// run: <nil>
}
