// Package runtime embeds starnet in a Go program: it runs Starlark scripts
// that use asyncio's transports and protocols on an event loop (or on
// several, one per thread), and lets the host predeclare values, pass Go
// protocol factories to scripts, listen with Starlark or Go protocols, and
// run the loop.
//
// The package is named runtime, which clashes with Go's own package; import
// it under an alias:
//
//	import starnet "github.com/starnet-dev/starnet/runtime"
//
//	rt, err := starnet.New(starnet.Config{Permissions: starnet.AllowAll()})
//	rt.Predeclare("host_tag", starlark.String("H"))
//	rt.Predeclare("go_echo", starnet.GoFactory(f))
//	defer rt.Close()
//	mod, err := rt.ExecFile("handler.star") // the top level only
//	err = mod.CallMain(nil)                  // main(Config.Args), as `starnet run` does
//	factory, err := mod.ProtocolFactory("Handler")
//	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
//	err = rt.Run(ctx)
//
// # Threads
//
// Every Runtime, Module and Listener method is safe to call from any
// goroutine, including from inside a Go protocol's callbacks. Starlark code
// only ever runs on the runtime's own goroutine (one per loop), which owns the event loop
// (tasks run on goroutines of their own, but only while the loop's goroutine
// waits for them): a module's top level runs there while the
// loop is not running (so `loop.run_until_complete` works at top level and in
// main), and everything else runs there as a loop callback.
//
// # Running
//
// Run runs the loop until no work is left (no serving server, open transport,
// pending timer or subprocess), until the script calls loop.stop() or exit(),
// or until its context is done, which shuts down gracefully: servers stop
// accepting, every transport is closed with its buffer flushed and
// connection_lost(None) called, then Run returns. Close aborts everything at
// once and releases the loop.
//
// # Several loops
//
// With Config.Loops = N > 1 the runtime runs N loops, each on its own
// goroutine, and each with its own copy of the
// scripts: its own Starlark thread, predeclared names and module globals.
// Every method applies to every loop. Exec and CallMain run loop 0's copy
// first, then the other copies at the same time; loop.index tells a copy its
// number. Servers, the scripts' and Listen's, bind with SO_REUSEPORT so that
// the copies share their ports; with port 0, every copy binds the port that
// loop 0's copy got for the same host, in call order. Run returns once every
// loop is out of work; a loop.stop() in any copy stops every loop, and an
// exit() in any copy ends them all with its status. Stdout and Stderr are
// written by one loop at a time, a whole line per print. With HandleSignals,
// the runtime subscribes to SIGINT and SIGTERM once and hands each signal to
// every loop.
//
// Host calls made from a loop callback wait for the other loops too; while
// one waits, its own loop runs the jobs other goroutines hand to it, so two
// loops calling the runtime at once do not wait for each other forever.
package runtime
