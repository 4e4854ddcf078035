#!/usr/bin/env python3
"""Raw WebSocket checks against a protoo server running the conformance app.

Usage: raw_client.py PORT OUTBOUND_LIMIT_BYTES
Exits 0 when every check passes; otherwise prints what failed and exits 1.
Needs the `websockets` package (pip install websockets).
"""
import asyncio
import json
import socket
import sys
import time

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

PORT = int(sys.argv[1])
OUTBOUND_LIMIT = int(sys.argv[2])
BASE = f"ws://127.0.0.1:{PORT}/"
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


async def expect_status(url, status, subprotocols=("protoo",), reason=None):
    try:
        async with websockets.connect(url, subprotocols=list(subprotocols) or None, open_timeout=5):
            check(False, f"{url} should be refused with HTTP {status}, but it opened")
    except InvalidStatus as e:
        got = e.response.status_code
        check(got == status, f"{url} refused with HTTP {got} (expected {status})")
        if reason is not None:
            header = e.response.headers.get("X-WebSocket-Reject-Reason")
            check(header == reason, f"{url} reject reason {header!r} (expected {reason!r})")


async def echo_works(ws, request_id):
    await ws.send(json.dumps({"request": True, "id": request_id, "method": "echo", "data": {"n": request_id}}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return reply == {"response": True, "id": request_id, "ok": True, "data": {"n": request_id}}


async def handshake_refusals():
    await expect_status(BASE + "?peerId=nosub", 403, subprotocols=())
    await expect_status(BASE + "?peerId=wrongsub", 403, subprotocols=("chat",))
    await expect_status(BASE + "?peerId=reject", 403, reason="Sorry!")
    await expect_status(BASE + "?roomId=x", 400)
    await expect_status(BASE + "?peerId=", 400)
    async with websockets.connect(BASE + "?peerId=dup", subprotocols=["protoo"]) as ws:
        check(ws.subprotocol == "protoo", f"subprotocol selected in the 101: {ws.subprotocol!r}")
        await expect_status(BASE + "?peerId=dup", 409)
        check(await echo_works(ws, 1), "first peer with a duplicated id still answers")


INVALID = [
    "not json",
    "{\"request\": true",
    "null",
    "[1, 2, 3]",
    "[]",
    "42",
    "\"a string\"",
    "{}",
    "{\"foo\": true}",
    "{\"request\": true, \"id\": \"7\", \"method\": \"echo\", \"data\": {}}",
    "{\"request\": true, \"method\": \"echo\", \"data\": {}}",
    "{\"request\": true, \"id\": 7, \"method\": 5, \"data\": {}}",
    "{\"notification\": true, \"data\": {}}",
    "{\"notification\": true, \"method\": 1}",
    "{\"response\": true, \"id\": 123456, \"ok\": true, \"data\": {}}",
    "{\"response\": true, \"id\": \"x\", \"ok\": true, \"data\": {}}",
]


async def invalid_messages_are_ignored():
    async with websockets.connect(BASE + "?peerId=raw", subprotocols=["protoo"]) as ws:
        for index, text in enumerate(INVALID):
            await ws.send(text)
            try:
                reply = await asyncio.wait_for(ws.recv(), 0.15)
                check(False, f"no reply to invalid message {text!r} (got {reply!r})")
            except asyncio.TimeoutError:
                pass
            check(await echo_works(ws, 100 + index), f"still answers after {text!r}")
        await ws.send(b"\x00\x01binary")
        try:
            reply = await asyncio.wait_for(ws.recv(), 0.15)
            check(False, f"no reply to a binary frame (got {reply!r})")
        except asyncio.TimeoutError:
            pass
        check(await echo_works(ws, 999), "still answers after a binary frame")
        # A text message in several frames is reassembled.
        big = json.dumps({"request": True, "id": 5, "method": "echo", "data": {"s": "y" * 150_000}})
        await ws.send([big[i:i + 40_000] for i in range(0, len(big), 40_000)])
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        check(reply.get("data") == {"s": "y" * 150_000}, "fragmented 150 kB message reassembled and echoed")


async def expect_close_code(ws, code, what):
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except ConnectionClosed:
        pass
    except asyncio.TimeoutError:
        check(False, f"{what}: the server did not close the connection")
        return
    got = ws.close_code
    check(got == code, f"{what}: close code {got} (expected {code})")


async def oversize_is_refused_with_1009():
    async with websockets.connect(BASE + "?peerId=bystander", subprotocols=["protoo"], max_size=None) as bystander:
        async with websockets.connect(BASE + "?peerId=big1", subprotocols=["protoo"]) as ws:
            await ws.send("x" * 70_000)  # one frame above the 64 KiB frame limit
            await expect_close_code(ws, 1009, "frame of 70000 bytes")
        async with websockets.connect(BASE + "?peerId=big2", subprotocols=["protoo"]) as ws:
            chunk = "y" * 60_000
            try:
                await ws.send([chunk] * 20)  # 1.2 MB message in frames under the limit
            except ConnectionClosed:
                pass
            await expect_close_code(ws, 1009, "message of 1.2 MB in 60 kB frames")
        check(await echo_works(bystander, 7), "other connections unaffected by an oversize frame")


def non_reading_client_is_dropped():
    """Sends echo requests without ever reading: the server must close us once its outbound
    buffer for this connection passes the limit, instead of buffering without bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", PORT))
    sock.sendall((
        "GET /?peerId=sleeper HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{PORT}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: protoo\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    status_line = response.split(b"\r\n")[0]
    check(response.startswith(b"HTTP/1.1 101"), f"raw upgrade answered {status_line!r}")
    payload = json.dumps({"request": True, "id": 1, "method": "echo", "data": {"s": "z" * 60_000}}).encode()
    # Masked text frame with an all-zero key (payload unchanged), 16-bit extended length.
    frame = bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big") + b"\x00\x00\x00\x00" + payload
    sent = 0
    budget = max(64 * OUTBOUND_LIMIT, 64 * 1024 * 1024)
    started = time.monotonic()
    closed = False
    try:
        while sent < budget and time.monotonic() - started < 30:
            sock.sendall(frame)
            sent += len(frame)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    except socket.timeout:
        check(False, f"server stopped reading after {sent} bytes but did not close the connection")
        return
    finally:
        sock.close()
    check(closed, f"non-reading client dropped after sending {sent // 1024} KiB (outbound limit {OUTBOUND_LIMIT // 1024} KiB)")


async def main():
    await handshake_refusals()
    await invalid_messages_are_ignored()
    await oversize_is_refused_with_1009()
    await asyncio.to_thread(non_reading_client_is_dropped)
    async with websockets.connect(BASE + "?peerId=after", subprotocols=["protoo"]) as ws:
        check(await echo_works(ws, 42), "server still serves new connections at the end")


asyncio.run(main())
if failures:
    print(f"{len(failures)} check(s) failed:", *failures, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print("all raw checks passed")
