// Stand-in for `websocket`'s w3cwebsocket on Node's built-in WebSocket (--experimental-websocket).
// Like the real package, a failed handshake gives an error then a close (1006); Node 20's
// WebSocket only reports the error, so the close is synthesized here.
class W3CWebSocket {
  constructor(url, protocol) {
    this._ws = new WebSocket(url, protocol);
    this._opened = false;
    this._closed = false;
    this._ws.onopen = (e) => { this._opened = true; this.onopen && this.onopen(e); };
    this._ws.onclose = (e) => this._close({ code: e.code, reason: e.reason, wasClean: e.wasClean });
    this._ws.onerror = (e) => {
      this.onerror && this.onerror(e);
      if (!this._opened) this._close({ code: 1006, reason: 'connection failed', wasClean: false });
    };
    this._ws.onmessage = (e) => this.onmessage && this.onmessage({ data: e.data });
  }
  _close(event) { if (this._closed) return; this._closed = true; this.onclose && this.onclose(event); }
  send(data) { this._ws.send(data); }
  close() { this._ws.close(); }
}
exports.w3cwebsocket = W3CWebSocket;
