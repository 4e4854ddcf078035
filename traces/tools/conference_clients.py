#!/usr/bin/env python3
"""Browser-like protoo clients for the conference app, over real WebSockets.

Usage: conference_clients.py ws://127.0.0.1:PORT ROOM PEERS SECONDS

Each client runs the mediasoup-demo join sequence (getRouterRtpCapabilities, two
createWebRtcTransport, join, two connectWebRtcTransport, produce audio+video, two produceData),
answers every server request with {}, toggles its microphone, polls stats a few times, and
leaves after SECONDS. Exits non-zero if any request fails unexpectedly.
"""
import asyncio
import json
import random
import sys

import websockets


class Client:
    def __init__(self, url, room, peer_id, seconds, rng):
        self.url = f"{url}/?roomId={room}&peerId={peer_id}"
        self.peer_id = peer_id
        self.seconds = seconds
        self.rng = rng
        self.pending = {}
        self.ws = None
        self.notifications = 0

    async def request(self, method, data=None):
        rid = self.rng.randint(0, 10_000_000)
        while rid in self.pending:
            rid = self.rng.randint(0, 10_000_000)
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        await self.ws.send(json.dumps({"request": True, "id": rid, "method": method, "data": data or {}},
                                      separators=(",", ":")))
        msg = await asyncio.wait_for(fut, 22.5)
        if not msg.get("ok"):
            raise RuntimeError(f"{self.peer_id}: {method} failed: {msg}")
        return msg.get("data", {})

    async def reader(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            if msg.get("response"):
                fut = self.pending.pop(msg["id"], None)
                if fut and not fut.done():
                    fut.set_result(msg)
            elif msg.get("request"):
                # newConsumer / newDataConsumer: a browser answers after creating the consumer.
                await asyncio.sleep(self.rng.uniform(0.002, 0.03))
                await self.ws.send(json.dumps({"response": True, "id": msg["id"], "ok": True, "data": {}},
                                              separators=(",", ":")))
            elif msg.get("notification"):
                self.notifications += 1

    async def run(self):
        async with websockets.connect(self.url, subprotocols=["protoo"], max_size=2**20) as ws:
            self.ws = ws
            reader = asyncio.create_task(self.reader())
            caps = await self.request("getRouterRtpCapabilities")
            sctp = {"numStreams": {"OS": 1024, "MIS": 1024}}
            send = await self.request("createWebRtcTransport",
                                      {"forceTcp": False, "producing": True, "consuming": False, "sctpCapabilities": sctp})
            recv = await self.request("createWebRtcTransport",
                                      {"forceTcp": False, "producing": False, "consuming": True, "sctpCapabilities": sctp})
            await self.request("join", {"displayName": f"Real {self.peer_id}",
                                        "device": {"flag": "python", "name": "websockets", "version": websockets.__version__},
                                        "rtpCapabilities": caps, "sctpCapabilities": sctp})
            dtls = {"role": "client", "fingerprints": [{"algorithm": "sha-256", "value": ":".join(
                f"{self.rng.randrange(256):02X}" for _ in range(32))}]}
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))
            await self.request("connectWebRtcTransport", {"transportId": recv["id"], "dtlsParameters": dtls})
            await self.request("connectWebRtcTransport", {"transportId": send["id"], "dtlsParameters": dtls})
            codecs = caps.get("codecs", [])
            audio = await self.request("produce", {"transportId": send["id"], "kind": "audio", "appData": {"source": "mic"},
                                                   "rtpParameters": {"codecs": codecs[:1], "encodings": [{"ssrc": self.rng.randrange(2**32)}], "mid": "0"}})
            await self.request("produce", {"transportId": send["id"], "kind": "video", "appData": {"source": "webcam"},
                                           "rtpParameters": {"codecs": codecs[1:3], "encodings": [
                                               {"ssrc": self.rng.randrange(2**32), "rid": f"r{i}"} for i in range(3)], "mid": "1"}})
            for label in ("chat", "bot"):
                await self.request("produceData", {"transportId": send["id"], "label": label, "protocol": "",
                                                   "sctpStreamParameters": {"streamId": 0, "ordered": True}, "appData": {}})
            deadline = asyncio.get_running_loop().time() + self.seconds
            muted = False
            while asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(self.rng.uniform(1.0, 2.5))
                action = self.rng.random()
                if action < 0.4:
                    muted = not muted
                    await self.request("pauseProducer" if muted else "resumeProducer", {"producerId": audio["id"]})
                elif action < 0.7:
                    await self.request("getTransportStats", {"transportId": send["id"]})
            reader.cancel()
        return self.notifications


async def main():
    url, room, peers, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    rng = random.Random(4443)
    clients = []
    tasks = []
    for i in range(peers):
        c = Client(url, room, f"real{i:04d}", seconds - i * 0.7, random.Random(rng.random()))
        clients.append(c)
        tasks.append(asyncio.create_task(c.run()))
        await asyncio.sleep(0.7)  # staggered arrivals
    counts = await asyncio.gather(*tasks)
    print(f"{peers} clients done; notifications received: {counts}")


if __name__ == "__main__":
    asyncio.run(main())
