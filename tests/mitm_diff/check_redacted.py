"""Checks that mitmproxy's own FlowReader reads the flow files `regauth redact` writes, and
reads them like the originals: the same number and kinds of flows, and per HTTP flow the same
method, scheme, host, port, path, query parameter names, status, reason, header names,
timestamps and connection facts. Query values may differ only by being masked
(`redacted-by-regauth`). Run by `cargo xtask ci` in a venv with mitmproxy.

    python check_redacted.py REGAUTH ROOT   # redacts every *.flow under ROOT with the REGAUTH binary

Prints one line per file and "mitmproxy-redacted: N passed, N failed".
"""

import os
import subprocess
import sys
import tempfile
from urllib.parse import parse_qsl, urlsplit

from mitmproxy import http
from mitmproxy import io as mio

MARKER = "redacted-by-regauth"


def read_flows(path):
    with open(path, "rb") as fo:
        return list(mio.FlowReader(fo).stream())


def connection(conn):
    if conn is None:
        return None
    return (
        conn.peername,
        conn.sni,
        conn.tls_established,
        conn.tls_version,
        len(conn.certificate_list),
    )


def query(url):
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def compare_flow(index, before, after):
    """Returns a list of differences (without any header or body value)."""
    problems = []
    if type(before) is not type(after):
        return [f"flow {index}: {type(before).__name__} became {type(after).__name__}"]
    if not isinstance(before, http.HTTPFlow):
        return []
    req_a, req_b = before.request, after.request
    for field in ("method", "scheme", "host", "port", "http_version", "timestamp_start", "timestamp_end"):
        if getattr(req_a, field) != getattr(req_b, field):
            problems.append(f"flow {index}: request {field} differs")
    if urlsplit(req_a.url).path != urlsplit(req_b.url).path:
        problems.append(f"flow {index}: request path differs")
    query_a, query_b = query(req_a.url), query(req_b.url)
    if [name for name, _ in query_a] != [name for name, _ in query_b]:
        problems.append(f"flow {index}: query parameter names differ")
    for (name, value_a), (_, value_b) in zip(query_a, query_b):
        if value_a != value_b and MARKER not in value_b:
            problems.append(f"flow {index}: query parameter {name!r} changed without being masked")
    if [name for name, _ in req_a.headers.fields] != [name for name, _ in req_b.headers.fields]:
        problems.append(f"flow {index}: request header names differ")
    resp_a, resp_b = before.response, after.response
    if (resp_a is None) != (resp_b is None):
        problems.append(f"flow {index}: response presence differs")
    elif resp_a is not None:
        for field in ("status_code", "reason", "http_version", "timestamp_start", "timestamp_end"):
            if getattr(resp_a, field) != getattr(resp_b, field):
                problems.append(f"flow {index}: response {field} differs")
        if [name for name, _ in resp_a.headers.fields] != [name for name, _ in resp_b.headers.fields]:
            problems.append(f"flow {index}: response header names differ")
    if (before.error and before.error.msg) != (after.error and after.error.msg):
        problems.append(f"flow {index}: error differs")
    if connection(before.server_conn) != connection(after.server_conn):
        problems.append(f"flow {index}: server connection differs")
    if connection(before.client_conn) != connection(after.client_conn):
        problems.append(f"flow {index}: client connection differs")
    return problems


def check(regauth, path, scratch):
    out = os.path.join(scratch, os.path.basename(path))
    result = subprocess.run(
        [regauth, "redact", path, "-o", out, "--force"], capture_output=True, text=True
    )
    if result.returncode != 0:
        return [f"regauth redact exited {result.returncode}: {result.stderr.strip()}"]
    try:
        before = read_flows(path)
        after = read_flows(out)
    except Exception as err:  # mitmproxy raises its own types for unreadable files
        return [f"mitmproxy cannot read the redacted copy: {type(err).__name__}: {err}"]
    if len(before) != len(after):
        return [f"{len(before)} flows became {len(after)}"]
    problems = []
    for index, (flow_a, flow_b) in enumerate(zip(before, after)):
        problems.extend(compare_flow(index, flow_a, flow_b))
    return problems


def main():
    regauth, root = sys.argv[1], sys.argv[2]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="regauth-redacted-") as scratch:
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in ("target", "node_modules", ".git", "dist"))
            for name in sorted(files):
                if not name.endswith(".flow"):
                    continue
                path = os.path.join(directory, name)
                problems = check(regauth, path, scratch)
                if problems:
                    failed += 1
                    print(f"FAIL {path}:")
                    for problem in problems[:20]:
                        print(f"       {problem}")
                else:
                    passed += 1
                    print(f"ok   {path}")
    print(f"mitmproxy-redacted: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
