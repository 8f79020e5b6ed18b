"""Dumps what mitmproxy's own FlowReader sees in a flow file, as the expected reading for
regauth's differential test (crates/regauth-core/tests/mitm_differential.rs).

    python dump_flows.py FILE.flow...      # writes FILE.flow.mitmdump.json next to each

Run it with a venv that has a recent mitmproxy (which migrates every older flow format
through its io/compat.py): the committed JSON files were written with mitmproxy 12.

One object per HTTP flow; `index` counts every flow in the file (TCP, UDP and DNS flows
take an index but are not listed), as regauth's entry index does.
"""

import hashlib
import json
import sys

from mitmproxy import http
from mitmproxy import io as mio
from mitmproxy import version as mversion


def address(addr):
    if not addr:
        return None
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def body_len(message):
    return None if message.raw_content is None else len(message.raw_content)


def dump_flow(index, f):
    req, resp = f.request, f.response
    return {
        "index": index,
        "method": req.method,
        "url": req.url,
        "http_version": req.http_version,
        "status": resp.status_code if resp else None,
        "request_start": req.timestamp_start,
        "response_end": resp.timestamp_end if resp else None,
        "request_header_count": len(req.headers.fields),
        "response_header_count": len(resp.headers.fields) if resp else None,
        "request_body_len": body_len(req),
        "response_body_len": body_len(resp) if resp else None,
        "error": f.error.msg if f.error else None,
        "server_peername": address(f.server_conn.peername),
        "client_peername": address(f.client_conn.peername),
        "server_tls_established": f.server_conn.tls_established,
        "server_sni": f.server_conn.sni,
        "server_certificate_count": len(f.server_conn.certificate_list),
        "client_certificate_count": len(f.client_conn.certificate_list),
    }


def dump_file(path):
    out = []
    with open(path, "rb") as fo:
        for index, f in enumerate(mio.FlowReader(fo).stream()):
            if isinstance(f, http.HTTPFlow):
                out.append(dump_flow(index, f))
    with open(path, "rb") as fo:
        # Lets the test tell a stale reading (the flow file was re-recorded) from a real difference.
        sha256 = hashlib.sha256(fo.read()).hexdigest()
    return {"reader": mversion.MITMPROXY, "sha256": sha256, "flows": out}


def main():
    for path in sys.argv[1:]:
        with open(path + ".mitmdump.json", "w") as fo:
            json.dump(dump_file(path), fo, indent=1, sort_keys=True)
            fo.write("\n")
        print(f"{path}.mitmdump.json")


if __name__ == "__main__":
    main()
