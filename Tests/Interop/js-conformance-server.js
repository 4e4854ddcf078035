// js-conformance-server.js: a JavaScript twin of `protoo serve --app conformance`, built on the
// real protoo-server 4.0.8 (WebSocketServer + Room), for comparing our Swift server with the
// reference implementation on the same client traffic.
//
//   NODE_PATH=$PROTOO_JS_MODULES node Tests/Interop/js-conformance-server.js [port]
//
// PROTOO_JS_MODULES is a node_modules folder holding protoo-server 4.0.8 and its dependencies
// (websocket 1.0.x, debug, …). Listens on 127.0.0.1, port 0 (ephemeral) by default, and prints one
// line on stderr: `js-conformance-server listening on ws://127.0.0.1:PORT/`. SIGTERM/SIGINT close
// the room (every peer gets 4000) and exit.
//
// Behaviour: the conformance app's specification, and, where that leaves freedom, exactly what our
// Sources/ProtooApps/ConformanceApp.swift answers (same HTTP statuses and reasons, same error
// codes and reasons, same close codes).
//
// Known facts of protoo-server 4.0.8 itself, left as they are:
// - a `null` JSON text frame crashes the whole process (Message.parse reads `null.request`, and
//   the exception escapes websocket-node's 'message' handler), so never send one to this twin;
// - outgoing `data` is `data || {}`: notifyMe/requestMe with a falsy `data.data` (null, 0, "",
//   false) send `{}`;
// - a peer that closes its own connection leaves the room only once the TCP connection is gone
//   (websocket-node emits 'close' at socket close, not when the close frame arrives): a bit later
//   than on our server, which removes it when the close frame arrives.
'use strict';

const http = require('http');
const protoo = require('protoo-server');

const port = Number(process.argv[2] || 0);

// protoo-server answers a handler that throws with 500 and `String(error)`, "Error: BOOM!!!" for
// a plain Error; our server sends the error's own text. This toString makes them the same.
class Boom extends Error {
  toString() { return this.message; }
}

// The rooms by `roomId` ('' for connections without one), as our conformance app keeps them: a
// named room goes with its last peer; `closeRoom` replaces a room with a new empty one.
const rooms = new Map();
function roomFor(roomId) {
  if (!rooms.has(roomId)) rooms.set(roomId, new protoo.Room());
  return rooms.get(roomId);
}

const httpServer = http.createServer();
const wsServer = new protoo.WebSocketServer(httpServer);

wsServer.on('connectionrequest', (info, accept, reject) => {
  // First `peerId` of the query, `+` and %XX decoded (as our server's ConnectionRequest.queryValue).
  const target = info.request.url;
  const q = target.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  const peerId = params.get('peerId');
  const roomId = params.get('roomId') || '';

  if (!peerId) return reject(400, 'missing peerId in the URL query');
  if (peerId === 'reject') return reject(403, 'Sorry!');
  const room = roomFor(roomId);
  if (room.hasPeer(peerId)) return reject(409, 'peerId already in the room');

  const peer = room.createPeer(peerId, accept());
  if (roomId !== '') {
    peer.on('close', () => {
      if (room.peers.length === 0 && rooms.get(roomId) === room) rooms.delete(roomId);
    });
  }
  setUp(peer, room, roomId);
});

function setUp(peer, peerRoom, roomId) {
  // Every notification this connection sent, in arrival order.
  const received = [];

  peer.on('notification', (notification) => {
    received.push({ method: notification.method, data: notification.data });
  });
  peer.on('request', (request, accept, reject) => {
    handle(request, accept, reject, peer, peerRoom, roomId, received);
  });
}

function handle(request, accept, reject, peer, peerRoom, roomId, received) {
  const data = request.data;

  switch (request.method) {
    case 'echo':
      return accept(data);
    case 'reject':
      return reject(503, 'WHO KNOWS!');
    case 'throw':
      throw new Boom('BOOM!!!');
    case 'notifyMe':
      if (typeof data.method !== 'string')
        return reject(400, 'notifyMe needs data.method (a string)');
      peer.notify(data.method, data.data).catch(() => {});
      return accept();
    case 'requestMe':
      if (typeof data.method !== 'string')
        return reject(400, 'requestMe needs data.method (a string)');
      // protoo-server's own failures (timeout) carry no code; our server answers 408 for a timeout.
      peer.request(data.method, data.data).then(
        (response) => accept(response),
        (error) => reject(error.code === undefined ? 408 : error.code, error.message));
      return;
    case 'receivedNotifications':
      return accept({ notifications: received });
    case 'roomPeers':
      return accept({ peers: peerRoom.peers.map((p) => p.id) });
    case 'dropMe':
      // Answer first: once the peer is closed nothing more can be sent.
      accept();
      return closeWithout4000(peer, data.how === 'tcp');
    case 'closeMe':
      accept();
      return peer.close();
    case 'closeRoom':
      accept();
      if (rooms.get(roomId) === peerRoom) rooms.set(roomId, new protoo.Room());
      return peerRoom.close();
    default:
      return reject(404, 'unknown method');
  }
}

// Closes `peer` like Peer.close() (pending requests fail, the room forgets it at once, so an
// immediate reconnect with the same id is accepted) but ends its connection with close frame
// 1000 "dropped on request", or with no close frame at all (`tcp`), instead of 4000.
//
// protoo-server has no public way to do that: Peer.close() → WebSocketTransport.close() →
// connection.close(4000, 'closed by protoo-server'). So for that one call the transport's private
// `_connection` (the websocket-node WebSocketConnection) is swapped for one whose close() does
// what we want. (Removing the peer from room._peers and closing the connection by hand would not
// do: the room's 'close' listener deletes by peerId when the old connection finally closes, which
// could remove the new peer that reconnected with the same id in the meantime.)
function closeWithout4000(peer, tcp) {
  const transport = peer._transport;
  const connection = transport._connection;

  transport._connection = {
    close() {
      if (!tcp) return connection.close(1000, 'dropped on request');
      // Let the response already written reach the socket, then destroy it: no close frame.
      connection.socket.write(Buffer.alloc(0), () => connection.drop(1006, 'dropped on request', true));
    }
  };
  try {
    peer.close();
  } finally {
    transport._connection = connection;
  }
}

httpServer.listen(port, '127.0.0.1', () => {
  process.stderr.write(`js-conformance-server listening on ws://127.0.0.1:${httpServer.address().port}/\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    for (const room of rooms.values()) room.close();
    wsServer.stop();
    // Let the 4000 close frames go out before exiting.
    setTimeout(() => process.exit(0), 100);
  });
}
