"""mitmproxy addon: delay blob-upload requests to simulate a slow push.

REGAUTH_SLOW_DELAY=<seconds> (default 0 = off). Only POST/PATCH/PUT on
/v2/<name>/blobs/uploads/ are delayed, before they are forwarded upstream,
so the registry sees them late (as on a slow uplink).
"""
import asyncio
import os

DELAY = float(os.environ.get("REGAUTH_SLOW_DELAY", "0") or 0)


class SlowUploads:
    async def request(self, flow):
        req = flow.request
        if DELAY and req.method in ("POST", "PATCH", "PUT") and "/blobs/uploads" in req.path:
            await asyncio.sleep(DELAY)


addons = [SlowUploads()]
