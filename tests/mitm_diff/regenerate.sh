#!/usr/bin/env bash
# Regenerates the flow files in crates/regauth-core/tests/data/mitm/ with each mitmproxy
# version's own API, and every `<file>.flow.mitmdump.json` (mitmproxy's own reading, which
# crates/regauth-core/tests/mitm_differential.rs compares regauth with) for those files and for
# the recorded samples under samples/.
#
# Not part of CI: it needs PyPI and the Python versions below (pyenv has them on the dev
# machines). Run from the repository root:  bash tests/mitm_diff/regenerate.sh
# Venvs are kept in ${MITM_VENVS:-/tmp/mitm-venvs} and reused.
set -euo pipefail

venvs=${MITM_VENVS:-/tmp/mitm-venvs}
data=crates/regauth-core/tests/data/mitm
mkdir -p "$venvs"

python_for() { # the newest installed patch release of a minor version
  local minor=$1 found
  found=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$minor".* 2>/dev/null | sort -V | tail -1 || true)
  if [[ -n $found ]]; then echo "$found/bin/python3"; else command -v "python$minor"; fi
}

# mitmproxy version | Python | extra pins (old releases break with werkzeug 3)
versions=(
  "7.0.4|3.9|werkzeug<3"
  "8.0.0|3.10|werkzeug<3"
  "8.1.1|3.10|werkzeug<3"
  "9.0.1|3.11|"
  "10.4.2|3.11|"
  "11.0.2|3.11|"
  "12.2.3|3.12|"
)

for entry in "${versions[@]}"; do
  IFS='|' read -r version python extra <<<"$entry"
  venv=$venvs/mitmproxy-$version
  if [[ ! -x $venv/bin/mitmdump ]]; then
    "$(python_for "$python")" -m venv "$venv"
    "$venv/bin/pip" install -q "mitmproxy==$version" ${extra:+"$extra"}
  fi
  "$venv/bin/python" "$data/generate.py" "$data"
done

# The newest mitmproxy reads every older format (through its io/compat.py migrations).
newest=$venvs/mitmproxy-12.2.3
mapfile -t flows < <(find "$data" samples -name '*.flow' 2>/dev/null | sort)
"$newest/bin/python" tests/mitm_diff/dump_flows.py "${flows[@]}"
