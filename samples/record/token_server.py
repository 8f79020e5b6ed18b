#!/usr/bin/env python3
"""Minimal Docker/distribution token service for recording regauth samples.

Follows distribution's docs/spec/auth/token.md, jwt.md and oauth.md:

* GET  <realm>?service=&scope=&scope=&account=&client_id=&offline_token=
  optional "Authorization: Basic"; no credentials = anonymous.
* POST <realm> form: grant_type=password|refresh_token, service, scope, client_id,
  username/password or refresh_token, access_type=offline.
* 200 {"token","access_token","expires_in","issued_at"[,"refresh_token"]}
* wrong password -> 401 with a JSON error body.

Tokens are JWTs signed ES256 with an x5c header (signing cert + CA).
Knobs for the scenarios: --lifetime (expires_in and exp-iat), --lifetime-as-string, --clock-offset
(the service pretends its clock is off by N seconds: iat/nbf/exp, issued_at and
the Date header all move), --no-issued-at, --port, --tls.

Test harness tooling, not product code. Test passwords only.
"""
import argparse
import base64
import datetime
import email.utils
import fnmatch
import json
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

DEFAULT_USERS = {
    # user: password, acl = {repo glob: [actions]}
    "writer": {"password": "writer-pass-1", "acl": {"*": ["pull", "push", "delete"]}},
    "reader": {"password": "reader-pass-1", "acl": {"private/app": ["pull"], "public/*": ["pull"]}},
}
DEFAULT_ANONYMOUS_ACL = {"public/*": ["pull"]}


class TokenService:
    def __init__(self, args):
        self.args = args
        cfg = {}
        if args.config:
            with open(args.config) as f:
                cfg = json.load(f)
        self.users = cfg.get("users", DEFAULT_USERS)
        self.anonymous_acl = cfg.get("anonymous_acl", DEFAULT_ANONYMOUS_ACL)
        with open(args.key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        self.x5c = []
        for path in args.chain:
            with open(path, "rb") as f:
                for cert in x509.load_pem_x509_certificates(f.read()):
                    self.x5c.append(base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode())
        self.refresh_tokens = {}
        self.lock = threading.Lock()

    def now(self):
        return time.time() + self.args.clock_offset

    def acl_for(self, user):
        if user is None:
            return self.anonymous_acl
        return self.users[user].get("acl", {})

    def check_password(self, user, password):
        u = self.users.get(user)
        return u is not None and secrets.compare_digest(u["password"], password)

    def grant(self, user, scopes):
        acl = self.acl_for(user)
        access = []
        for scope in scopes:
            # resourcetype[(class)]:name:actions ; name may contain ':' only in host:port
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            rtype, actions, name = parts[0], parts[-1], ":".join(parts[1:-1])
            wanted = [a for a in actions.split(",") if a]
            allowed = set()
            if rtype.startswith("repository"):
                for pattern, acts in acl.items():
                    if fnmatch.fnmatchcase(name, pattern):
                        allowed.update(acts)
                if "*" in wanted:
                    granted = sorted(allowed)
                else:
                    granted = [a for a in wanted if a in allowed]
            elif rtype == "registry" and name == "catalog" and user == "writer":
                granted = wanted
            else:
                granted = []
            access.append({"type": rtype, "name": name, "actions": granted})
        return access

    def issue(self, user, service, scopes, offline, client_id):
        now = self.now()
        iat = int(now)
        claims = {
            "iss": self.args.issuer,
            "sub": user or "",
            "aud": self.args.force_audience or service or self.args.service,
            "exp": iat + self.args.lifetime,
            "nbf": iat,
            "iat": iat,
            "jti": secrets.token_hex(12),
            "access": self.grant(user, scopes),
        }
        headers = {"typ": "JWT", "x5c": self.x5c}
        token = jwt.encode(claims, self.key, algorithm="ES256", headers=headers)
        lifetime = str(self.args.lifetime) if self.args.lifetime_as_string else self.args.lifetime
        body = {"token": token, "access_token": token, "expires_in": lifetime}
        if not self.args.no_issued_at:
            body["issued_at"] = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(
                timespec="milliseconds").replace("+00:00", "Z")
        if offline and user:
            rt = "rt-" + secrets.token_urlsafe(24)
            with self.lock:
                self.refresh_tokens[rt] = user
            body["refresh_token"] = rt
        return body


class Handler(BaseHTTPRequestHandler):
    server_version = "regauth-token-server/1.0"
    protocol_version = "HTTP/1.1"
    svc: TokenService = None

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(self.svc.now(), usegmt=True)

    def log_message(self, fmt, *a):
        sys.stderr.write("token-server: " + (fmt % a) + "\n")

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def basic_user(self):
        """None = anonymous, False = bad credentials, str = user."""
        h = self.headers.get("Authorization")
        if not h:
            return None
        scheme, _, value = h.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except Exception:
            return False
        return user if self.svc.check_password(user, password) else False

    def deny(self, oauth=False, message="incorrect username or password"):
        if oauth:
            self.send_json(401, {"error": "invalid_grant",
                                 "error_description": message})
        else:
            self.send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                             "message": message,
                                             "detail": None}]},
                           {"WWW-Authenticate": 'Basic realm="regauth token service"'})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != self.svc.args.path:
            return self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
        q = urllib.parse.parse_qs(url.query)
        user = self.basic_user()
        if user is False:
            return self.deny()
        if user is None and q.get("account"):
            # an account is named but no credentials came: challenge for them
            # (lets a browser answer with its stored Basic credentials)
            return self.deny(message="authentication required")
        scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
        offline = q.get("offline_token", ["false"])[0].lower() == "true"
        body = self.svc.issue(user, q.get("service", [None])[0], scopes, offline,
                              q.get("client_id", [None])[0])
        self.send_json(200, body)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != self.svc.args.path:
            return self.send_json(404, {"error": "not_found"})
        n = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        f = lambda k: form.get(k, [None])[0]
        grant = f("grant_type")
        if grant == "password":
            user = f("username")
            if not self.svc.check_password(user or "", f("password") or ""):
                return self.deny(oauth=True)
        elif grant == "refresh_token":
            with self.svc.lock:
                user = self.svc.refresh_tokens.get(f("refresh_token") or "")
            if not user:
                return self.send_json(401, {"error": "invalid_grant",
                                            "error_description": "unknown refresh token"})
        else:
            return self.send_json(400, {"error": "unsupported_grant_type"})
        if not f("client_id"):
            return self.send_json(400, {"error": "invalid_request",
                                        "error_description": "client_id is required"})
        scopes = [s for v in form.get("scope", []) for s in v.split(" ") if s]
        offline = f("access_type") == "offline"
        body = self.svc.issue(user, f("service"), scopes, offline, f("client_id"))
        body.pop("token", None)
        body["scope"] = " ".join(scopes)
        if grant == "refresh_token":
            body["refresh_token"] = f("refresh_token")
        self.send_json(200, body)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5001)
    p.add_argument("--path", default="/token")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--key", required=True, help="token signing key (PEM)")
    p.add_argument("--chain", nargs="+", required=True, help="PEM certs for x5c, leaf first")
    p.add_argument("--issuer", default="regauth-token-issuer")
    p.add_argument("--service", default="registry.regauth.test")
    p.add_argument("--lifetime", type=int, default=300, help="expires_in / exp-iat seconds")
    p.add_argument("--clock-offset", type=float, default=0.0, help="seconds this service's clock is off")
    p.add_argument("--no-issued-at", action="store_true")
    p.add_argument("--lifetime-as-string", action="store_true",
                   help="misconfiguration: write expires_in as a JSON string (\"300\"), as some token services and rewriting proxies do")
    p.add_argument("--force-audience", help="misconfiguration: put this aud in every token")
    p.add_argument("--config", help="JSON {users:{name:{password,acl}}, anonymous_acl}")
    args = p.parse_args()
    Handler.svc = TokenService(args)
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*args.tls)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    sys.stderr.write(f"token-server on {args.host}:{args.port} lifetime={args.lifetime} "
                     f"clock_offset={args.clock_offset}\n")
    httpd.serve_forever()


if __name__ == "__main__":
    main()
