#!/usr/bin/env python3
"""Drive oras-py (PyPI `oras`, the ORAS Python SDK) for the samples.

  oras_client.py push HOST REPO:TAG USER PASSWORD
  oras_client.py pull HOST REPO:TAG USER PASSWORD

push: two small files as an ORAS artifact (one layer per file, OCI manifest).
pull: every layer of REPO:TAG into a temporary directory.

Credentials are set as oras-py's Basic auth (OrasClient.login would also ask a
Docker daemon through docker-py, which the samples do not want): oras-py sends
them to the token realm named by the registry's 401 challenge. TLS trust and the
proxy come from REQUESTS_CA_BUNDLE / HTTPS_PROXY (requests' environment).
"""
import os
import sys
import tempfile

import oras.client


def main():
    mode, host, ref, user, password = sys.argv[1:6]
    client = oras.client.OrasClient(hostname=host)
    client.auth.set_basic_auth(user, password)
    target = f"{host}/{ref}"
    with tempfile.TemporaryDirectory() as tmp:
        if mode == "push":
            cwd = os.getcwd()
            os.chdir(tmp)  # oras-py wants relative paths under the working directory
            try:
                names = []
                for i in range(2):
                    name = f"artifact-{i}.txt"
                    with open(name, "w") as f:
                        f.write(f"regauth oras-py sample file {i} {ref}\n" * 32)
                    names.append(name)
                response = client.push(target=target, files=names)
                print(response.status_code, response.headers.get("Docker-Content-Digest"))
            finally:
                os.chdir(cwd)
        else:
            for path in client.pull(target=target, outdir=tmp):
                print("pulled", os.path.basename(path))


if __name__ == "__main__":
    main()
