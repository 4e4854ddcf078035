// Drives the unmodified protoo-client 4.x library (PROTOO_CLIENT_DIR) against `protoo serve --app conformance`; see run.sh.
const protooClient = require(process.env.PROTOO_CLIENT_DIR + '/lib');
const port = process.argv[2];
const results = [];
function check(name, ok, detail) { results.push([name, ok]); console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ' — ' + detail : ''}`); }
function connect(peerId, retry) {
  const transport = new protooClient.WebSocketTransport(`ws://127.0.0.1:${port}/?peerId=${peerId}`,
    { retry: retry || { retries: 3, factor: 2, minTimeout: 100, maxTimeout: 400 } });
  return new protooClient.Peer(transport);
}
function once(peer, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), ms);
    peer.once(event, (...args) => { clearTimeout(t); resolve(args); });
  });
}
(async () => {
  const a = connect('alice');
  await once(a, 'open');
  check('open', a.connected);
  const data = { n: 1, s: 'héllo ✓', nested: { arr: [1, 2.5, null, true] } };
  check('echo', JSON.stringify(await a.request('echo', data)) === JSON.stringify(data));
  try { await a.request('reject'); check('reject', false); }
  catch (e) { check('reject', e.code === 503 && e.message === 'WHO KNOWS!', `${e.code} ${e.message}`); }
  try { await a.request('throw'); check('throw', false); }
  catch (e) { check('throw', e.code === 500 && e.message.includes('BOOM!!!'), `${e.code} ${e.message}`); }
  const gotNotification = once(a, 'notification');
  await a.request('notifyMe', { method: 'hello', data: { x: 1 } });
  const [n] = await gotNotification;
  check('notifyMe', n.method === 'hello' && n.data.x === 1);
  a.on('request', (request, accept, reject) => {
    if (request.method === 'ping') accept({ pong: request.data.v });
    else reject(418, 'teapot');
  });
  check('requestMe accepted', (await a.request('requestMe', { method: 'ping', data: { v: 7 } })).pong === 7);
  try { await a.request('requestMe', { method: 'other', data: {} }); check('requestMe rejected', false); }
  catch (e) { check('requestMe rejected', e.code === 418 && e.message === 'teapot', `${e.code} ${e.message}`); }
  await a.notify('clientSaid', { k: 'v' });
  const received = await a.request('receivedNotifications');
  check('receivedNotifications', received.notifications.length === 1 && received.notifications[0].method === 'clientSaid');
  check('roomPeers', JSON.stringify((await a.request('roomPeers')).peers) === '["alice"]');
  const disconnected = once(a, 'disconnected');
  const reopened = new Promise((resolve) => { disconnected.then(() => once(a, 'open').then(resolve)); });
  await a.request('dropMe', { how: 'tcp' });
  await disconnected; check('dropMe → disconnected', true);
  await reopened; check('reconnected after drop', a.connected);
  const closed = once(a, 'close');
  await a.request('closeMe');
  await closed; check('closeMe → close (4000, no reconnect)', a.closed);
  const r = connect('reject', { retries: 1, factor: 2, minTimeout: 100, maxTimeout: 100 });
  const failures = [];
  r.on('failed', (attempt) => failures.push(attempt));
  await once(r, 'close', 5000);
  check('peerId=reject → failed(1), failed(2), close', JSON.stringify(failures) === '[1,2]', JSON.stringify(failures));
  const failed = results.filter(([, ok]) => !ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log('FAIL', e.message); process.exit(1); });
