// protoo-client-session.js: a protocol test suite for a server running the conformance app
// (Sources/ProtooApps/ConformanceApp.swift), driven through the REAL protoo-client library, no shims: the
// traffic is what a browser or Node app using protoo-client sends.
//
//   NODE_PATH=$PROTOO_JS_MODULES node Tests/Interop/protoo-client-session.js ws://127.0.0.1:PORT/ [ROOM]
//
// Every connection asks for room ROOM (`roomId`, default `session`), so that copies of a recording
// of it (`protoo load --trace --copies N`) each have a room of their own.
//
// PROTOO_JS_MODULES is a node_modules folder holding protoo-client 4.0.8 and its dependencies
// (websocket, retry, debug, …). The server must start with an empty room, e.g.
// `protoo serve --app conformance` or Tests/Interop/js-conformance-server.js; the session leaves it
// empty again, so it can run many times against one server. Takes well under 1 s. Prints PASS/FAIL
// per check; exit code 0 when all pass.
//
// The order of operations is fixed by awaits; where things run concurrently (several peers at
// once, several requests in flight on one peer) each check only looks at what the protocol
// determines. Leaves the server decides (dropMe, closeMe, closeRoom) are checked at once: the
// server removes the peer before the client can see the close. The one leave the client decides
// (peer.close()) is seen by the server at a time the client cannot know: roomPeers is asked until
// it shows (normally once; a recording may hold a few more roomPeers there).
//
// Never sends an invalid frame: the JavaScript protoo-server crashes on some (a `null` frame).
'use strict';

const protooClient = require('protoo-client');

const base = process.argv[2];
if (!base) {
  console.error('usage: protoo-client-session.js ws://HOST:PORT/');
  process.exit(2);
}

// Short retry policy: refusals give up fast, reconnects after a drop are immediate anyway.
const RETRY = { retries: 2, factor: 1, minTimeout: 100, maxTimeout: 200 };
const EVENT_TIMEOUT = 5000;

const results = [];
function check(name, ok, detail) {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${!ok && detail !== undefined ? ` — ${detail}` : ''}`);
}
const json = (v) => JSON.stringify(v);
const same = (a, b) => json(a) === json(b);
function checkSame(name, actual, expected) {
  check(name, same(actual, expected), `got ${json(actual)}, expected ${json(expected)}`);
}

const room = process.argv[3] || 'session';

function urlFor(peerId) {
  const query = [`roomId=${encodeURIComponent(room)}`];
  if (peerId !== undefined) query.push(`peerId=${encodeURIComponent(peerId)}`);
  return `${base}${base.includes('?') ? '&' : '?'}${query.join('&')}`;
}

// A protoo-client Peer that records its events (for checks on what happened, and in which order).
function connect(peerId, retry = RETRY) {
  const transport = new protooClient.WebSocketTransport(urlFor(peerId), { retry });
  const peer = new protooClient.Peer(transport);
  peer.events = [];
  for (const event of ['open', 'failed', 'disconnected', 'close'])
    peer.on(event, (...args) => peer.events.push(args.length ? `${event}(${args.join(',')})` : event));
  return peer;
}

function once(emitter, event, ms = EVENT_TIMEOUT) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for '${event}'`)), ms);
    emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

async function open(peerId) {
  const peer = connect(peerId);
  await once(peer, 'open');
  return peer;
}

// The error a request failed with, or a marker when it succeeded.
async function failure(promise) {
  try {
    return { unexpectedSuccess: await promise };
  } catch (error) {
    return { code: error.code, reason: error.message };
  }
}

// peer.close() from the client, resolved with the WebSocket close event once the closing handshake
// is over (the other end, the server or a proxy in between, answered the close frame).
// protoo-client emits nothing after close() (it detaches its WebSocket's handlers first), so this
// listens on its W3CWebSocket (`transport._ws`, private) directly.
function closeAndWait(peer) {
  const ws = peer._transport._ws;
  const done = new Promise((resolve) => ws.addEventListener('close', (event) => resolve(event)));
  peer.close();
  return done;
}

async function roomPeers(peer) {
  return (await peer.request('roomPeers')).peers;
}

async function main() {
  // Five peers join one after the other: the room lists them in join order.
  const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const peers = {};
  for (const name of names) peers[name] = await open(name);
  const { alice, bob, carol, dave, erin } = peers;
  check('5 peers open', names.every((n) => peers[n].connected));
  checkSame('roomPeers after 5 joins', await roomPeers(erin), names);

  // echo: data survives exactly (nested, unicode, numbers, booleans, nulls, empty).
  const rich = {
    text: 'héllo ✓ 日本語 😀 "quoted" \\ / \n\t\u0000\u001f\u2028',
    numbers: [0, -1, 42, 2.5, -0.125, 0.1, 1 / 3, 1e21, 1.5e300, 5e-324, 9007199254740991, 123456789012],
    small: [0.00001, 1e-7, 0.000123],
    huge: [12345678901234567890, 1e20],
    flags: [true, false, null],
    nested: { a: { b: { c: [1, [2, [3, { d: null }]]] } }, empty: {}, none: [] },
    '': 'empty key',
    'ключ': 'значение'
  };
  checkSame('echo nested/unicode/numbers/null', await alice.request('echo', rich), rich);
  checkSame('echo without data → {}', await alice.request('echo'), {});

  // Several requests in flight on one peer at once, every kind of answer mixed.
  const inFlight = await Promise.all([
    alice.request('echo', { i: 1 }),
    failure(alice.request('reject')),
    alice.request('echo', { i: 2 }),
    failure(alice.request('throw')),
    alice.request('roomPeers'),
    failure(alice.request('noSuchMethod', { x: 1 })),
    alice.request('echo', { i: 3 }),
    alice.request('receivedNotifications')
  ]);
  checkSame('8 in flight on one peer: echoes', [inFlight[0], inFlight[2], inFlight[6]], [{ i: 1 }, { i: 2 }, { i: 3 }]);
  checkSame('8 in flight on one peer: reject → 503 "WHO KNOWS!"', inFlight[1], { code: 503, reason: 'WHO KNOWS!' });
  check('8 in flight on one peer: throw → 500 "…BOOM!!!…"', inFlight[3].code === 500 && String(inFlight[3].reason).includes('BOOM!!!'), json(inFlight[3]));
  checkSame('8 in flight on one peer: roomPeers', inFlight[4], { peers: names });
  check('8 in flight on one peer: unknown method → error', inFlight[5].code >= 400, json(inFlight[5]));
  checkSame('8 in flight on one peer: receivedNotifications', inFlight[7], { notifications: [] });
  checkSame('reject → 503 "WHO KNOWS!"', await failure(bob.request('reject')), { code: 503, reason: 'WHO KNOWS!' });
  const boom = await failure(bob.request('throw'));
  check('throw → 500, reason contains "BOOM!!!"', boom.code === 500 && /BOOM!!!/.test(boom.reason), json(boom));
  const unknown = await failure(bob.request('noSuchMethod'));
  check('unknown method → error response', typeof unknown.code === 'number' && unknown.code >= 400, json(unknown));

  // Concurrent traffic on all five peers: 20 echoes each, all in flight together.
  const burst = await Promise.all(names.map((name) =>
    Promise.all(Array.from({ length: 20 }, (_, i) => peers[name].request('echo', { from: name, i })))));
  check('100 echoes in flight on 5 peers', burst.every((answers, p) =>
    answers.every((data, i) => same(data, { from: names[p], i }))));

  // notifyMe: the notification arrives before the response (server order), with its data.
  const bobNotifications = [];
  bob.on('notification', (n) => bobNotifications.push({ method: n.method, data: n.data }));
  checkSame('notifyMe answers {}', await bob.request('notifyMe', { method: 'hello', data: { x: 1, y: ['ü'] } }), {});
  await bob.request('notifyMe', { method: 'bare' });
  await bob.request('notifyMe', { method: 'nullData', data: null });
  checkSame('notifyMe notifications, data default {}', bobNotifications, [
    { method: 'hello', data: { x: 1, y: ['ü'] } },
    { method: 'bare', data: {} },
    { method: 'nullData', data: {} }
  ]);

  // requestMe: the server's request to this peer, answered (accept, reject, reject(Error)) by
  // the client; several at once.
  carol.on('request', (request, accept, reject) => {
    if (request.method === 'ping') accept({ pong: request.data.v, seen: request.data });
    else if (request.method === 'teapot') reject(418, 'I am a teapot');
    else if (request.method === 'fail') reject(new Error('client failed'));
    else if (request.method === 'empty') accept();
  });
  const requestMe = await Promise.all([
    carol.request('requestMe', { method: 'ping', data: { v: 7, s: 'ß' } }),
    failure(carol.request('requestMe', { method: 'teapot', data: {} })),
    failure(carol.request('requestMe', { method: 'fail' })),
    carol.request('requestMe', { method: 'empty', data: null })
  ]);
  checkSame('requestMe accepted / rejected / rejected(Error) / null data', requestMe, [
    { pong: 7, seen: { v: 7, s: 'ß' } },
    { code: 418, reason: 'I am a teapot' },
    { code: 500, reason: 'client failed' },
    {}
  ]);

  // receivedNotifications: the notifications this connection sent, in order (dave), and none
  // from other connections (erin).
  await dave.notify('first', { n: 1 });
  await dave.notify('second');
  await dave.notify('third', { nested: { list: [1, 'two', null] } });
  await erin.notify('erinSaid', { e: true });
  checkSame('receivedNotifications after 3 notifications', await dave.request('receivedNotifications'), {
    notifications: [
      { method: 'first', data: { n: 1 } },
      { method: 'second', data: {} },
      { method: 'third', data: { nested: { list: [1, 'two', null] } } }
    ]
  });
  checkSame('receivedNotifications per connection', await erin.request('receivedNotifications'),
    { notifications: [{ method: 'erinSaid', data: { e: true } }] });

  // A duplicate peerId is refused (409): the new client fails each try and gives up; the first
  // alice is untouched.
  const dup = connect('alice', { retries: 1, factor: 1, minTimeout: 100, maxTimeout: 100 });
  await once(dup, 'close');
  checkSame('duplicate peerId refused: failed(1), failed(2), close', dup.events, ['failed(1)', 'failed(2)', 'close']);
  checkSame('first alice untouched', await alice.request('echo', { still: 'here' }), { still: 'here' });

  // peerId=reject is refused (403), a missing or empty peerId too (400).
  const rejected = connect('reject');
  await once(rejected, 'close');
  checkSame('peerId=reject refused: failed(1..3), close', rejected.events, ['failed(1)', 'failed(2)', 'failed(3)', 'close']);
  const missing = connect(undefined, { retries: 0 });
  await once(missing, 'close');
  checkSame('missing peerId refused: failed(1), close', missing.events, ['failed(1)', 'close']);
  const empty = connect('', { retries: 0 });
  await once(empty, 'close');
  checkSame('empty peerId refused: failed(1), close', empty.events, ['failed(1)', 'close']);
  checkSame('roomPeers unchanged by refusals', await roomPeers(alice), names);

  // dropMe {how:"tcp"}: no close frame; protoo-client sees 'disconnected' and reconnects with the
  // same peerId at once (the server removed the old peer first); the new connection starts with
  // no notifications and joins the room last.
  await bob.request('notifyMe', { method: 'beforeDrop' });
  await bob.notify('beforeDrop');
  const bobDisconnected = once(bob, 'disconnected');
  checkSame('dropMe tcp answers {}', await bob.request('dropMe', { how: 'tcp' }), {});
  await bobDisconnected;
  await once(bob, 'open');
  checkSame('dropMe tcp → disconnected, open', bob.events, ['open', 'disconnected', 'open']);
  checkSame('reconnected bob: fresh notification log', await bob.request('receivedNotifications'), { notifications: [] });
  checkSame('roomPeers: bob rejoined last', await roomPeers(alice), ['alice', 'carol', 'dave', 'erin', 'bob']);

  // dropMe {}: close frame 1000, same reconnect.
  const carolDisconnected = once(carol, 'disconnected');
  checkSame('dropMe answers {}', await carol.request('dropMe', {}), {});
  await carolDisconnected;
  await once(carol, 'open');
  checkSame('dropMe → disconnected, open', carol.events, ['open', 'disconnected', 'open']);
  checkSame('reconnected carol still answers requestMe',
    await carol.request('requestMe', { method: 'ping', data: { v: 8 } }), { pong: 8, seen: { v: 8 } });
  checkSame('roomPeers: carol rejoined last', await roomPeers(alice), ['alice', 'dave', 'erin', 'bob', 'carol']);

  // closeMe: 4000, protoo-client closes for good; the same peerId can join again at once.
  const daveClosed = once(dave, 'close');
  checkSame('closeMe answers {}', await dave.request('closeMe'), {});
  await daveClosed;
  checkSame('closeMe → close, no reconnect', dave.events, ['open', 'close']);
  checkSame('roomPeers without dave', await roomPeers(alice), ['alice', 'erin', 'bob', 'carol']);
  const dave2 = await open('dave');
  checkSame('dave rejoins at once after closeMe', dave2.events, ['open']);

  // peer.close() on the client side: its pending request fails with "peer closed"; the server
  // forgets the peer. When it does is up to the server (protoo-server: once the TCP connection
  // has closed after the close handshake; with a proxy in between, later still), and nothing the
  // client gets tells it: so roomPeers is asked until frank is gone (normally the first answer).
  const frank = await open('frank');
  checkSame('roomPeers with frank', await roomPeers(erin), ['alice', 'erin', 'bob', 'carol', 'dave', 'frank']);
  const frankAsked = once(frank, 'request');
  const frankPending = failure(frank.request('requestMe', { method: 'neverAnswered' }));
  await frankAsked;
  const closeEvent = await closeAndWait(frank);
  checkSame('client close(): pending request fails', await frankPending, { code: undefined, reason: 'peer closed' });
  checkSame('client close(): events', frank.events, ['open', 'close']);
  check('client close(): close handshake code 1000', closeEvent.code === 1000, closeEvent.code);
  let afterFrank;
  for (let i = 0; i < 100; i++) {
    afterFrank = await roomPeers(erin);
    if (!afterFrank.includes('frank')) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  checkSame('roomPeers without frank', afterFrank, ['alice', 'erin', 'bob', 'carol', 'dave']);

  // closeRoom: every peer closed with 4000 (no reconnect); a new empty room serves later
  // connections. The session ends with a closeRoom of that room too, leaving the server empty.
  const everyone = [alice, erin, bob, carol, dave2];
  const allClosed = Promise.all(everyone.map((p) => once(p, 'close')));
  checkSame('closeRoom answers {}', await alice.request('closeRoom'), {});
  await allClosed;
  check('closeRoom → every peer closed, none reconnects',
    everyone.every((p) => p.closed && p.events[p.events.length - 1] === 'close' && !p.events.includes('failed')),
    json(everyone.map((p) => p.events)));
  const later = await open('alice');
  checkSame('new room after closeRoom', await roomPeers(later), ['alice']);
  const laterClosed = once(later, 'close');
  checkSame('closeRoom of the new room answers {}', await later.request('closeRoom'), {});
  await laterClosed;
  checkSame('closeRoom of the new room → close', later.events, ['open', 'close']);
}

main()
  .catch((error) => check('session ran to the end', false, error.stack || String(error)))
  .finally(() => {
    const failed = results.filter((ok) => !ok).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
