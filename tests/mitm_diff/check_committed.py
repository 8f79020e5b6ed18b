"""Checks that every committed `<file>.flow.mitmdump.json` is what mitmproxy's own FlowReader
reads from `<file>.flow` today, so the Rust differential test
(crates/regauth-core/tests/mitm_differential.rs) compares regauth against mitmproxy itself and
not against a stale or hand-edited file. Run by `cargo xtask ci` in a venv with mitmproxy.

    python check_committed.py ROOT     # walks ROOT for *.flow with a .mitmdump.json beside it

Fuzzing inputs (`fuzz/` corpora, `tests/data/fuzz/` regressions) are skipped: they are crafted
bytes, not recordings, and mitmproxy is not obliged to read them the way regauth does.

Prints one line per file and "mitmproxy-differential: N passed, N failed".
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump_flows import dump_file  # noqa: E402


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    passed = failed = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = [
            d for d in dirs if d not in ("target", "node_modules", ".git", "dist", "fuzz")
        ]
        for name in sorted(files):
            if not name.endswith(".flow"):
                continue
            path = os.path.join(directory, name)
            expected_path = path + ".mitmdump.json"
            if not os.path.exists(expected_path):
                print(f"FAIL {path}: no committed reading {expected_path}")
                failed += 1
                continue
            with open(expected_path) as fo:
                expected = json.load(fo)
            actual = dump_file(path)
            # The mitmproxy version that wrote the committed file may differ from this one.
            expected.pop("reader", None)
            actual.pop("reader", None)
            actual = json.loads(json.dumps(actual))
            if actual == expected:
                passed += 1
                print(f"ok   {path}")
            else:
                failed += 1
                print(f"FAIL {path}: mitmproxy now reads it differently from the committed reading")
    print(f"mitmproxy-differential: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
