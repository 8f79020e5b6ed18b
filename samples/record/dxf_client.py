#!/usr/bin/env python3
"""Drive python-dxf (a real third-party registry client) for the samples.

  dxf_client.py pull HOST REPO REF USER PASSWORD
  dxf_client.py push HOST REPO USER PASSWORD [TAG]

python-dxf asks for a token only when a request gets 401 and then reuses it
until the next 401 (it ignores expires_in), deriving the scope from the
challenge. TLS trust and proxy come from REQUESTS_CA_BUNDLE / HTTPS_PROXY.
"""
import hashlib
import json
import os
import sys
import tempfile

from dxf import DXF


def main():
    mode = sys.argv[1]
    if mode == "pull":
        host, repo, ref, user, pw = sys.argv[2:7]
    else:
        host, repo, user, pw = sys.argv[2:6]
        ref = sys.argv[6] if len(sys.argv) > 6 else "1.0"

    def auth(dxf, response):
        dxf.authenticate(user, pw, response=response)

    d = DXF(host, repo, auth)
    if mode == "pull":
        manifest, _ = d.get_manifest_and_response(ref)
        m = json.loads(manifest)
        for desc in [m["config"]] + m["layers"]:
            h = hashlib.sha256()
            for chunk in d.pull_blob(desc["digest"]):
                h.update(chunk)
            print(desc["digest"], "ok" if "sha256:" + h.hexdigest() == desc["digest"] else "MISMATCH")
    else:
        digests = []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(2):
                p = os.path.join(tmp, f"blob{i}")
                with open(p, "wb") as f:
                    f.write((f"regauth dxf sample blob {i} {ref}\n" * 64).encode())
                digests.append(d.push_blob(p))
        print(d.set_alias(ref, *digests))


if __name__ == "__main__":
    main()
