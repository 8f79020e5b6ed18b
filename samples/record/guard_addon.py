"""mitmproxy addon: keep the recording on loopback.

Any request (or CONNECT) whose host is not *.regauth.test or loopback is answered 403 by
mitmproxy itself, without resolving or connecting upstream (browsers phone
home even with background networking disabled).
"""
from mitmproxy import http

ALLOWED_SUFFIX = ".regauth.test"


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _allowed(host):
    h = (host or "").lower().rstrip(".")
    return h.endswith(ALLOWED_SUFFIX) or h in LOOPBACK


class LoopbackOnly:
    def http_connect(self, flow):
        if not _allowed(flow.request.host):
            flow.response = http.Response.make(403, b"blocked by regauth recorder\n")

    def request(self, flow):
        if not _allowed(flow.request.host) and flow.response is None:
            flow.response = http.Response.make(403, b"blocked by regauth recorder\n")


addons = [LoopbackOnly()]
