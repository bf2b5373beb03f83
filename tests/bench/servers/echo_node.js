// Echo server for starnet's benchmarks on Node's net module.
//
//   node echo_node.js [PORT [HOST]]
//
// It sends back every byte it receives and closes a connection on EOF
// (allowHalfOpen is false, so Node ends the socket when the peer does).
// TCP_NODELAY is set, as asyncio, uvloop and Go do. PORT defaults to 0 (the
// kernel chooses), HOST to 127.0.0.1. It prints "listening on HOST:PORT"
// once it accepts, and runs until killed.
'use strict';

const net = require('net');

const port = process.argv.length > 2 ? Number(process.argv[2]) : 0;
const host = process.argv.length > 3 ? process.argv[3] : '127.0.0.1';

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.on('data', (data) => sock.write(data));
  sock.on('error', () => {}); // a reset peer just closes the socket
});

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
