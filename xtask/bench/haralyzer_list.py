"""`cargo xtask bench`: haralyzer loads a HAR and lists method, URL and status of each entry."""

import sys

from haralyzer import HarEntry, HarParser

har = HarParser.from_file(sys.argv[1])
out = sys.stdout
for raw in har.har_data["entries"]:
    entry = HarEntry(raw)
    out.write(f"{entry.request.method} {entry.request.url} {entry.response.status}\n")
