// Echo server for starnet's benchmarks on Node's net module.
//
//   node echo_node.js [--tls CERT KEY] [PORT [HOST]]
//
// It sends back every byte it receives and closes a connection on EOF
// (allowHalfOpen is false, so Node ends the socket when the peer does).
// With --tls it serves TLS (the tls module) with the PEM certificate chain
// CERT and private key KEY; EOF is then the client's close_notify. It
// prefers TLS_AES_128_GCM_SHA256, the suite the benchmark's other servers
// negotiate with Go's client.
// TCP_NODELAY is set, as asyncio, uvloop and Go do. PORT defaults to 0 (the
// kernel chooses), HOST to 127.0.0.1. It prints "listening on HOST:PORT"
// once it accepts, and runs until killed.
'use strict';

const fs = require('fs');
const net = require('net');
const tls = require('tls');

const args = process.argv.slice(2);
let tlsOptions = null;
if (args[0] === '--tls') {
  tlsOptions = {
    cert: fs.readFileSync(args[1]),
    key: fs.readFileSync(args[2]),
    // Node picks AES-256-GCM by its own order; put AES-128-GCM first,
    // the suite Go's client prefers and the other servers end up using.
    ciphers: 'TLS_AES_128_GCM_SHA256:' + tls.DEFAULT_CIPHERS,
    honorCipherOrder: true,
  };
  args.splice(0, 3);
}
const port = args.length > 0 ? Number(args[0]) : 0;
const host = args.length > 1 ? args[1] : '127.0.0.1';

const onConnection = (sock) => {
  sock.on('data', (data) => sock.write(data));
  sock.on('error', () => {}); // a reset peer just closes the socket
};

const server = tlsOptions
  ? tls.createServer({ ...tlsOptions, noDelay: true }, onConnection)
  : net.createServer({ noDelay: true }, onConnection);

server.on('error', (err) => {
  console.error(`echo_node: listen ${host}:${port}: ${err.message}`);
  process.exit(1);
});

server.listen(port, host, () => {
  console.log(`listening on ${host}:${server.address().port}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
