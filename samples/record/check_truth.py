#!/usr/bin/env python3
"""Cross-check samples/truth.json against the HAR captures (after re-recording).

Rough, independent checks (not regauth's analysis):
* every file in truth.json exists, and every capture in samples/ is in truth.json;
* token service responses: expires_in == token_lifetime_s, and the token
  service's Date header minus the capture time == the injected clock offset (±3 s);
* outcome: the last registry API exchange (/v2/...) is 2xx/3xx for success;
  for failed_step 4 a token-endpoint response is 401 (or a token answered and never
  sent); for failed_step 6 the
  last request carrying Authorization to a registry got an error status (401/403,
  or e.g. 400 DIGEST_INVALID after a re-authentication); incomplete: some
  request got no answer (e.g. "Client disconnected.");
* finding hints: credentials-over-plain-http needs an http:// request with
  Authorization (or a docker /auth body); auth-forwarded-on-redirect needs an
  Authorization header on a request that followed a 307 to another host.
Exit 1 on any mismatch.
"""
import datetime
import email.utils
import json
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)


def hdr(headers, name):
    for h in headers:
        if h["name"].lower() == name:
            return h["value"]
    return None


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def check(entry):
    errs = []
    path = os.path.join(SAMPLES, entry["file"])
    har = json.load(open(path))
    es = har["log"]["entries"]
    token_resps = [e for e in es if urllib.parse.urlsplit(e["request"]["url"]).path == "/token"]
    reg = [e for e in es if urllib.parse.urlsplit(e["request"]["url"]).path.startswith("/v2/")
           and e["response"]["status"] != 0]
    off = entry["clock_offsets"].get("token-issuer")
    for e in token_resps:
        if e["response"]["status"] != 200:
            continue
        txt = e["response"].get("content", {}).get("text") or ""
        try:
            body = json.loads(txt)
        except ValueError:
            continue
        lifetime = body.get("expires_in")
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)  # token-answer-string-lifetime: the misconfiguration it records
        if entry["token_lifetime_s"] is not None and lifetime != entry["token_lifetime_s"]:
            errs.append(f"expires_in {body.get('expires_in')} != {entry['token_lifetime_s']}")
        date = hdr(e["response"]["headers"], "date")
        if off is not None and date:
            d = email.utils.parsedate_to_datetime(date).timestamp() - parse_time(e["startedDateTime"])
            if abs(d - off) > 3:
                errs.append(f"token service Date offset {d:.0f}s != {off}s")
    step = entry["failed_step"]
    if entry["outcome"] == "success":
        if reg and not (200 <= reg[-1]["response"]["status"] < 400):
            errs.append(f"success but last registry response is {reg[-1]['response']['status']}")
    elif step == 4:
        refused = any(e["response"]["status"] == 401 for e in token_resps)
        # or a token answered but never sent: the client failed on the answer itself
        unused = any(e["response"]["status"] == 200 for e in token_resps) and not any(
            (hdr(e["request"]["headers"], "authorization") or "").startswith("Bearer ") for e in reg)
        if not (refused or unused):
            errs.append("failed_step 4 but no 401 from the token endpoint and no token answer left unused")
    elif step == 6:
        authed = [e for e in reg if hdr(e["request"]["headers"], "authorization")]
        if not authed or authed[-1]["response"]["status"] < 400:
            errs.append("failed_step 6 but the last authorized registry request was not refused")
    elif entry["outcome"] == "incomplete":
        if not any(e["response"]["status"] == 0 for e in es):
            errs.append("incomplete but every request got an answer")
    elif step == 1:
        if not any(e["response"]["status"] in (0, 502) for e in es):
            errs.append("failed_step 1 but no failed/502 exchange")
    f = set(entry["findings"])
    if "credentials-over-plain-http" in f:
        clear = [e for e in es if e["request"]["url"].startswith("http://")
                 and (hdr(e["request"]["headers"], "authorization")
                      or e["request"]["url"].split("?")[0].endswith("/auth"))]
        if not clear:
            errs.append("credentials-over-plain-http but no credentials on an http:// request")
    if "auth-forwarded-on-redirect" in f:
        targets = {e["response"].get("redirectURL") for e in es if e["response"]["status"] == 307}
        fwd = [e for e in es if e["request"]["url"] in targets and hdr(e["request"]["headers"], "authorization")]
        if not fwd:
            errs.append("auth-forwarded-on-redirect but no redirected request with Authorization")
    return errs


def main():
    truth = json.load(open(os.path.join(SAMPLES, "truth.json")))["samples"]
    files = {e["file"] for e in truth}
    bad = 0
    for root, _, names in os.walk(SAMPLES):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), SAMPLES)
            if n.endswith((".flow", ".har")) and rel not in files:
                print(f"NOT IN TRUTH: {rel}")
                bad += 1
    for e in truth:
        if not os.path.exists(os.path.join(SAMPLES, e["file"])):
            print(f"MISSING: {e['file']}")
            bad += 1
            continue
        if not e["file"].endswith(".har"):
            continue
        errs = check(e)
        print(("ok   " if not errs else "FAIL ") + e["file"] + ("" if not errs else ": " + "; ".join(errs)))
        bad += bool(errs)
    print(f"{len(truth) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
