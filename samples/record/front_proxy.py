#!/usr/bin/env python3
"""TLS front for the redirect scenario: one port, two host names.

* Host `store.regauth.test:PORT`      -> forwarded to a distribution registry on
  http://127.0.0.1:BACKEND (TLS terminated here, like an ingress).
* Host `cdn.store.regauth.test:PORT`  -> serves blob files straight from the
  registry's filesystem storage, the way a CDN in front of object storage
  would, for the registry's `redirect` storage middleware
  (baseurl https://cdn.store.regauth.test:PORT/). It logs whether the client
  sent an Authorization header (it should not get one).

Only GET/HEAD are needed (pull scenario). Test harness tooling.
"""
import argparse
import http.client
import os
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    args = None

    def log_message(self, fmt, *a):
        sys.stderr.write("front-proxy: " + (fmt % a) + "\n")

    def _cdn(self, head):
        auth = self.headers.get("Authorization")
        sys.stderr.write(f"front-proxy: CDN {self.path} Authorization={'PRESENT ' + auth[:16] if auth else 'absent'}\n")
        path = os.path.normpath(self.path.split("?", 1)[0]).lstrip("/")
        full = os.path.join(self.args.storage, path)
        if not full.startswith(self.args.storage) or not os.path.isfile(full):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        data = open(full, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Server", "regauth-cdn/1.0")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _forward(self, head):
        c = http.client.HTTPConnection("127.0.0.1", self.args.backend, timeout=30)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():  # keeps repeated headers (several Accept lines)
            if k.lower() not in HOP:
                c.putheader(k, v)
        c.putheader("X-Forwarded-Proto", "https")
        c.endheaders()
        r = c.getresponse()
        data = r.read()
        self.send_response_only(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)
        c.close()

    def _dispatch(self, head):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        if host.startswith("cdn."):
            self._cdn(head)
        else:
            self._forward(head)

    def do_GET(self):
        self._dispatch(False)

    def do_HEAD(self):
        self._dispatch(True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=5005)
    p.add_argument("--backend", type=int, default=5006)
    p.add_argument("--storage", required=True)
    p.add_argument("--tls", nargs=2, required=True)
    a = p.parse_args()
    a.storage = os.path.abspath(a.storage)
    Handler.args = a
    httpd = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*a.tls)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
