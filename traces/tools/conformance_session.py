"""A session through the conformance app's behaviours, as a protoo client would run it:
echo, reject, throw, notifyMe, requestMe (answered, and refused by the client), client
notifications, receivedNotifications, a second peer, dropMe with the reconnect, closeMe.
Every connection asks for room `session` (so that load copies of the recording each get a room).

    python3 conformance_session.py ws://127.0.0.1:PORT/
"""
import asyncio
import json
import sys

import websockets


class Client:
    def __init__(self, url, peer):
        self.url = f"{url}?roomId=session&peerId={peer}"
        self.next_id = 1
        self.pending = {}
        self.ws = None
        self.reader = None

    async def open(self):
        self.ws = await websockets.connect(self.url, subprotocols=["protoo"])
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        try:
            async for text in self.ws:
                m = json.loads(text)
                if m.get("response"):
                    future = self.pending.pop(m["id"], None)
                    if future:
                        future.set_result(m)
                elif m.get("request"):
                    # A server request: answer "ask", refuse anything else (as a protoo-client app).
                    if m["method"] == "ask":
                        answer = {"response": True, "id": m["id"], "ok": True, "data": {"answer": 42, "echo": m["data"]}}
                    else:
                        answer = {"response": True, "id": m["id"], "ok": False, "errorCode": 418, "errorReason": "teapot"}
                    await self.ws.send(json.dumps(answer))
        except websockets.ConnectionClosed:
            pass

    async def request(self, method, data=None):
        rid = self.next_id
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        await self.ws.send(json.dumps({"request": True, "id": rid, "method": method, "data": data or {}}))
        return await asyncio.wait_for(future, 5)

    async def notify(self, method, data):
        await self.ws.send(json.dumps({"notification": True, "method": method, "data": data}))

    async def wait_closed(self):
        await self.ws.wait_closed()
        await self.reader


async def main(url):
    alice = Client(url, "alice")
    await alice.open()
    await alice.request("echo", {"nested": {"list": [1, 2.5, True, None, "héllo"]}})
    await alice.request("reject")
    await alice.request("throw")
    await alice.request("notifyMe", {"method": "hello", "data": {"x": 1}})
    await alice.request("requestMe", {"method": "ask", "data": {"q": "?"}})
    await alice.request("requestMe", {"method": "fail", "data": {}})
    await alice.notify("first", {"a": 1})
    await alice.notify("second", {"b": [True]})
    await alice.request("receivedNotifications")
    bob = Client(url, "bob")
    await bob.open()
    await bob.request("echo", {"from": "bob"})
    await alice.request("dropMe")
    await alice.wait_closed()
    alice = Client(url, "alice")   # the reconnect, as protoo-client does after a close that is not 4000
    await alice.open()
    await alice.request("echo", {"again": True})
    await bob.request("closeMe")
    await bob.wait_closed()
    await alice.ws.close()
    await alice.reader


asyncio.run(main(sys.argv[1]))
