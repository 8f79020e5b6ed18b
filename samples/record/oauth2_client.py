#!/usr/bin/env python3
"""Scripted OAuth2 token client (labelled as such in the samples: no real
client here does the OAuth2 POST flow; containerd does, but it is not used).

Sequence, modelled on containerd's docker authorizer:
 1. GET /v2/                      -> 401 Bearer challenge
 2. POST realm grant_type=password access_type=offline client_id=...  -> access_token + refresh_token
 3. GET manifest with Bearer
 4. POST realm grant_type=refresh_token (new scope)                      -> access_token
 5. GET config blob with the refreshed Bearer
"""
import argparse
import json
import re
import sys

import requests

UA = "regauth-sample-oauth2-client/1.0 (scripted) python-requests/" + requests.__version__
ACCEPT = ", ".join(["application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json"])


def parse_bearer(h):
    return dict(re.findall(r'(\w+)="([^"]*)"', h.split(" ", 1)[1]))


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--registry", required=True)
    a.add_argument("--repo", required=True)
    a.add_argument("--ref", required=True)
    a.add_argument("--user", required=True)
    a.add_argument("--password", required=True)
    a.add_argument("--client-id", default="regauth-sample-client")
    o = a.parse_args()
    s = requests.Session()
    s.headers["User-Agent"] = UA
    r = s.get(o.registry + "/v2/")
    print("ping", r.status_code)
    ch = parse_bearer(r.headers["WWW-Authenticate"])
    scope = f"repository:{o.repo}:pull"
    r = s.post(ch["realm"], data={"grant_type": "password", "username": o.user, "password": o.password,
                                  "service": ch["service"], "scope": scope, "client_id": o.client_id,
                                  "access_type": "offline"})
    print("token(password)", r.status_code)
    r.raise_for_status()
    tok = r.json()
    r = s.get(f"{o.registry}/v2/{o.repo}/manifests/{o.ref}",
              headers={"Authorization": "Bearer " + tok["access_token"], "Accept": ACCEPT})
    print("manifest", r.status_code)
    r.raise_for_status()
    manifest = r.json()
    r = s.post(ch["realm"], data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
                                  "service": ch["service"], "scope": scope, "client_id": o.client_id})
    print("token(refresh_token)", r.status_code)
    r.raise_for_status()
    tok2 = r.json()
    r = s.get(f"{o.registry}/v2/{o.repo}/blobs/{manifest['config']['digest']}",
              headers={"Authorization": "Bearer " + tok2["access_token"]})
    print("config blob", r.status_code)
    r.raise_for_status()
    return 0


if __name__ == "__main__":
    sys.exit(main())
