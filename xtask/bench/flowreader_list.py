"""`cargo xtask bench`: mitmproxy's FlowReader reads a flow file and lists method, URL and
status of each HTTP flow."""

import sys

from mitmproxy import http, io

out = sys.stdout
with open(sys.argv[1], "rb") as file:
    for flow in io.FlowReader(file).stream():
        if isinstance(flow, http.HTTPFlow):
            status = flow.response.status_code if flow.response else 0
            out.write(f"{flow.request.method} {flow.request.url} {status}\n")
