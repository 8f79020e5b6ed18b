#!/usr/bin/env python3
"""Print a one-line-per-exchange summary of HAR files (sanity check of the corpus)."""
import base64
import json
import sys


def claims(tok):
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


for path in sys.argv[1:]:
    print("##", path)
    for e in json.load(open(path))["log"]["entries"]:
        rq, rs = e["request"], e["response"]
        hd = {h["name"].lower(): h["value"] for h in rq["headers"]}
        rh = {h["name"].lower(): h["value"] for h in rs["headers"]}
        auth = hd.get("authorization", "")[:12]
        line = f"  {e['startedDateTime'][11:23]} {rq['method']:5} {rq['url'][:110]} {auth!r} -> {rs['status']}"
        if "www-authenticate" in rh:
            line += f"  WWW-Authenticate: {rh['www-authenticate'][:160]}"
        print(line)
        txt = rs.get("content", {}).get("text") or ""
        if rs["status"] == 200 and ("access_token" in txt):
            try:
                b = json.loads(txt)
                c = claims(b.get("access_token"))
                print("     token:", {k: v for k, v in b.items() if k not in ("token", "access_token")},
                      "claims:", {k: c[k] for k in ("iat", "exp", "access")}, "date:", rh.get("date"))
            except Exception as ex:  # noqa
                print("     (token body not decoded:", ex, ")")
        elif rs["status"] >= 400 and txt:
            print("     body:", txt[:200].replace("\n", " "))
