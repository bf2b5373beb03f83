// Package runtime embeds starnet in a Go program: it runs Starlark scripts
// that use asyncio's transports and protocols on one event loop, and lets the
// host predeclare values, pass Go protocol factories to scripts, listen with
// Starlark or Go protocols, and run the loop.
//
// The package is named runtime, which clashes with Go's own package; import
// it under an alias:
//
//	import starnet "github.com/starnet-dev/starnet/runtime"
//
//	rt, err := starnet.New(starnet.Config{Permissions: starnet.AllowAll()})
//	rt.Predeclare("host_tag", starlark.String("H"))
//	rt.Predeclare("go_echo", starnet.GoFactory(f))
//	mod, err := rt.ExecFile("handler.star")
//	factory, err := mod.ProtocolFactory("Handler")
//	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
//	err = rt.Run(ctx)
//
// # Threads
//
// Every Runtime, Module and Listener method is safe to call from any
// goroutine, including from inside a Go protocol's callbacks. Starlark code
// only ever runs on the runtime's own goroutine, which is locked to its OS
// thread and owns the event loop: a module's top level runs there while the
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
package runtime
