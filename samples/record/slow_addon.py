"""mitmproxy addon: delay blob-upload requests to simulate a slow push.

REGAUTH_SLOW_DELAY=<seconds> (default 0 = off): every POST/PATCH/PUT on
/v2/<name>/blobs/uploads/ waits that long before it is forwarded upstream, so
the registry sees it late (as on a slow uplink).

REGAUTH_SLOW_RATE=<bytes per second> (default 0 = off): a bandwidth-limited
link instead: each such request waits len(body)/RATE seconds, so large bodies
arrive late, small ones soon after, and body-less requests (POST, the final PUT
of a chunked upload, a re-sent empty body) are not delayed. Both may be set
(the delays add up).

A delayed request whose client disconnects stops waiting at once (an upload on a
slow link ends when its sender goes away), so mitmproxy records it then with its
"Client disconnected." error.
"""
import asyncio
import os

DELAY = float(os.environ.get("REGAUTH_SLOW_DELAY", "0") or 0)
RATE = float(os.environ.get("REGAUTH_SLOW_RATE", "0") or 0)


class SlowUploads:
    async def request(self, flow):
        req = flow.request
        if req.method not in ("POST", "PATCH", "PUT") or "/blobs/uploads" not in req.path:
            return
        wait = DELAY
        if RATE:
            wait += len(req.raw_content or b"") / RATE
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while loop.time() < deadline and flow.client_conn.timestamp_end is None:
            await asyncio.sleep(min(0.25, deadline - loop.time()))


addons = [SlowUploads()]
