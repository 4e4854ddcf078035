// js-broken-echo-server.js: a small app on the real protoo-server 4.0.8 with a bug a JS app can
// have: its `echo` handler forgets a `return` after answering from a shortcut, so every fifth echo
// (data.seq a multiple of 5) is answered twice. protoo-server does not stop a second accept().
// `protoo load URL --scenario echo` must fail naming `request-answered-twice`.
//
//   NODE_PATH=$PROTOO_JS_MODULES node Tests/Interop/js-broken-echo-server.js [port]
//
// Prints `js-broken-echo-server listening on ws://127.0.0.1:PORT/` on stderr.
'use strict';

const http = require('http');
const protoo = require('protoo-server');

const port = Number(process.argv[2] || 0);
const rooms = new Map();
const httpServer = http.createServer();
const wsServer = new protoo.WebSocketServer(httpServer);

wsServer.on('connectionrequest', (info, accept, reject) => {
  const target = info.request.url;
  const q = target.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  const peerId = params.get('peerId');
  const roomId = params.get('roomId') || '';
  if (!peerId) return reject(400, 'missing peerId in the URL query');
  if (!rooms.has(roomId)) rooms.set(roomId, new protoo.Room());
  const room = rooms.get(roomId);
  if (room.hasPeer(peerId)) return reject(409, 'peerId already in the room');
  const peer = room.createPeer(peerId, accept());
  peer.on('request', (request, accept, reject) => {
    if (request.method !== 'echo') return reject(404, 'unknown method');
    const data = request.data || {};
    if (typeof data.seq === 'number' && data.seq % 5 === 0) {
      accept({ seq: data.seq, shortcut: true });
      // BUG: a missing `return` here
    }
    accept(data);
  });
});

httpServer.listen(port, '127.0.0.1', () => {
  process.stderr.write(`js-broken-echo-server listening on ws://127.0.0.1:${httpServer.address().port}/\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => { httpServer.close(); process.exit(0); });
}
