"""mitmproxy addon: when mitmproxy cannot speak TLS to the server, drop the client's connection.

mitmproxy completes the TLS handshake with the client even when its own TLS
handshake with the server failed, and then answers the request 502 (flow error
"The remote server does not speak TLS."). Without mitmproxy in the path the
client's handshake itself would have failed. dockerd falls back from https:// to
http:// for an `insecure-registries` entry only on such a connection error: a
502 tells it the endpoint speaks HTTPS, and its pull stops there (the
insecure-docker-pull-recorder-502 sample shows that). This addon kills such a
flow instead of letting mitmproxy answer, so the client sees a dropped
connection as it would directly. The flow keeps mitmproxy's own error text:
the hook is added at the end of mitmproxy's addon chain, after the `-w` writer
has saved the flow, and the error is put back for the HAR (written at exit).
"""
import asyncio

from mitmproxy import ctx
from mitmproxy import flow as mflow


class FailClosedOnServerTls:
    def error(self, f):
        if f.response is not None or f.error is None or not f.killable:
            return
        if f.request.scheme != "https" or f.server_conn.tls_established:
            return
        original = f.error
        f.kill()  # the client's connection is reset instead of getting a 502
        # After mitmproxy has acted on the kill (it does so right after this hook chain),
        # put the original error back for the HAR, which is written at exit.
        asyncio.get_running_loop().call_later(0.05, setattr, f, "error", mflow.Error(original.msg, original.timestamp))


class AddLast:
    """Puts FailClosedOnServerTls after the built-in addons (the flow writer among them)."""

    def running(self):
        ctx.master.addons.add(FailClosedOnServerTls())


addons = [AddLast()]
