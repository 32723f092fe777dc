"""WebSocket client for uwsgi-edge's e2e tests (python3-websockets). Usage:
    ws_client.py URL SCENARIO      (prints one JSON line of results)
Scenarios: echo (1000 messages each way + server push of 1000 + a 10 MB message + close),
kill (waits for the session to be cut: the test kills the backend), rate (echo for 2 s)."""
import asyncio
import hashlib
import json
import ssl
import sys
import time

import websockets


async def main(url, scenario):
    context = None
    if url.startswith("wss:"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    out = {}
    async with websockets.connect(url, ssl=context, max_size=None, close_timeout=3) as ws:
        out["hello"] = await ws.recv()
        if scenario == "echo":
            for i in range(1000):
                await ws.send("m%d" % i)
            out["echoed"] = sum([await ws.recv() == "m%d" % i for i in range(1000)])
            await ws.send("push 1000")
            out["pushed"] = sum([await ws.recv() == "push %d" % i for i in range(1000)])
            big = b"\0" + bytes(range(256)) * 40960
            await ws.send(big)
            back = await ws.recv()
            out["big"] = len(back)
            out["big_same"] = hashlib.sha256(back).hexdigest() == hashlib.sha256(big).hexdigest()
            started = time.time()
            await ws.close()
            out["closed_in"] = round(time.time() - started, 2)
        elif scenario == "kill":
            print(json.dumps({"ready": True}), flush=True)
            started = time.time()
            try:
                await asyncio.wait_for(ws.recv(), 20)
                out["cut"] = False
            except websockets.ConnectionClosed:
                out["cut"] = True
            out["cut_after"] = round(time.time() - started, 2)
        elif scenario == "rate":
            n, started = 0, time.time()
            while time.time() - started < 2:
                await ws.send("x")
                await ws.recv()
                n += 1
            out["per_second"] = round(n / (time.time() - started))
    print(json.dumps(out), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2]))
