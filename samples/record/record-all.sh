#!/usr/bin/env bash
# Regenerate regauth's recorded sample corpus (samples/*.flow, *.har).
#
# usage: samples/record/record-all.sh [--no-install] [SCENARIO...]
#   no SCENARIO = all of them (see `scenarios_all` below).
#
# Runs as root on Debian 12. Installs what it needs (apt + PyPI venvs + npm in a
# scratch dir), maps *.regauth.test to 127.0.0.1 in /etc/hosts, starts the
# registries, the token service and mitmproxy on 127.0.0.1 only, runs the
# scenarios through mitmproxy and writes the captures into samples/.
# Every process it starts is killed on exit. Scratch: $REGAUTH_SCRATCH
# (default /tmp/regauth-record). Nothing here talks to anything but loopback
# once the packages are installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SAMPLES="$(cd "$HERE/.." && pwd)"
SCRATCH="${REGAUTH_SCRATCH:-/tmp/regauth-record}"
VENVS="$SCRATCH/venvs"
PKI="$SCRATCH/pki"
LOGS="$SCRATCH/logs"
MITM_CONF="$SCRATCH/mitm-conf"
MITM_PORT=8080
PYENV_ROOT="${PYENV_ROOT:-/root/.pyenv}"

INSTALL=1
if [[ "${1:-}" == "--no-install" ]]; then INSTALL=0; shift; fi

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

log() { printf '\n=== %s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

pyver() { # newest installed pyenv python matching a prefix, e.g. 3.11
  ls -d "$PYENV_ROOT"/versions/"$1"* 2>/dev/null | sort -V | tail -1
}

# ---------------------------------------------------------------- install
install_all() {
  local pkgs=(docker-registry skopeo podman buildah containerd docker.io apache2-utils uidmap)
  local missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  command -v chromium >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
  mkdir -p "$VENVS"
  mkvenv() { # name pyprefix packages...
    local name=$1 py=$2; shift 2
    if [[ ! -x "$VENVS/$name/bin/python" ]]; then
      "$(pyver "$py")/bin/python" -m venv "$VENVS/$name"
    fi
    "$VENVS/$name/bin/pip" install -q "$@"
  }
  mkvenv tools 3.11 'pyjwt==2.15.1' 'cryptography==50.0.2' 'python-dxf==12.1.1' 'requests==2.34.2'
  mkvenv mitm11 3.11 'mitmproxy==11.0.2'
  mkvenv mitm12 3.12 'mitmproxy==12.2.3'
  mkvenv oras 3.12 'oras==0.2.43'
  mkvenv mitm10 3.11 'mitmproxy==10.4.2'
  mkvenv mitm9 3.10 'mitmproxy==9.0.1'
  mkvenv mitm8 3.10 'mitmproxy==8.1.1' 'werkzeug<3' || log "mitmproxy 8.1.1 did not install"
  if [[ ! -d "$SCRATCH/node/node_modules/playwright-core" ]]; then
    mkdir -p "$SCRATCH/node"
    (cd "$SCRATCH/node" && npm init -y >/dev/null && npm install --no-audit --no-fund playwright-core@1.65.1)
  fi
}

# ---------------------------------------------------------------- setup
setup_hosts() {
  local names="registry.regauth.test auth.regauth.test basic.regauth.test plain.regauth.test open.regauth.test"
  names+=" store.regauth.test cdn.store.regauth.test lab.regauth.test"
  if ! grep -q "^127.0.0.1 $names # regauth-samples\$" /etc/hosts; then
    sed -i '/# regauth-samples$/d' /etc/hosts
    echo "127.0.0.1 $names # regauth-samples" >> /etc/hosts
  fi
}

wait_port() { # port [seconds]
  local i
  for ((i = 0; i < ${2:-30} * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2
  return 1
}

setup_pki() {
  mkdir -p "$LOGS"
  # regenerate when the cert lacks a name added later
  if ! openssl x509 -in "$PKI/tls.pem" -noout -text 2>/dev/null | grep -q 'cdn.store.regauth.test'; then
    rm -rf "$PKI"
    "$VENVS/tools/bin/python" "$HERE/gen_certs.py" "$PKI"
  fi
  htpasswd -Bbc "$SCRATCH/htpasswd" alice alice-pass-1 2>/dev/null
  htpasswd -Bb "$SCRATCH/htpasswd" bob bob-pass-1 2>/dev/null
}

registry_config() { # name port auth(token|htpasswd|none) tls(yes|no) [storage-name] [redirect-baseurl] [realm]
  local name=$1 port=$2 auth=$3 tls=$4 store=${5:-$1} redirect=${6:-} f="$SCRATCH/registry-$1.yml"
  local realm=${7:-https://auth.regauth.test:5001/token}
  local service=registry.regauth.test
  [[ $name == store ]] && service=store.regauth.test
  [[ $name == lab ]] && service=lab.regauth.test
  mkdir -p "$SCRATCH/storage/$store"
  {
    echo "version: 0.1"
    echo "log: {level: info, formatter: text, fields: {service: registry-$name}}"
    echo "storage: {filesystem: {rootdirectory: $SCRATCH/storage/$store}, delete: {enabled: true}}"
    if [[ -n $redirect ]]; then
      echo "middleware: {storage: [{name: redirect, options: {baseurl: '$redirect'}}]}"
    fi
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: regauth-sample-secret-$name"
    echo "  headers: {X-Content-Type-Options: [nosniff]}"
    if [[ $tls == yes ]]; then
      echo "  tls: {certificate: $PKI/tls.pem, key: $PKI/tls.key}"
    fi
    case $auth in
      token)
        echo "auth:"
        echo "  token:"
        echo "    realm: $realm"
        echo "    service: $service"
        echo "    issuer: regauth-token-issuer"
        echo "    rootcertbundle: $PKI/ca.pem"
        ;;
      htpasswd)
        echo "auth: {htpasswd: {realm: regauth-basic-$name, path: $SCRATCH/htpasswd}}"
        ;;
    esac
  } > "$f"
  echo "$f"
}

start_registries() {
  rm -rf "$SCRATCH/storage"
  local spec name port auth tls cfg
  for spec in "token 5000 token yes" "basic 5002 htpasswd yes" "plain 5003 htpasswd no" "open 5004 none no"; do
    read -r name port auth tls <<<"$spec"
    cfg=$(registry_config "$name" "$port" "$auth" "$tls")
    docker-registry serve "$cfg" >"$LOGS/registry-$name.log" 2>&1 &
    PIDS+=($!)
    wait_port "$port"
  done
  # store.regauth.test:5005: TLS front (front_proxy.py) -> registry on :5006
  # sharing the token registry's storage, blobs redirected (307) to
  # cdn.store.regauth.test:5005 (same front, serves the storage files).
  cfg=$(registry_config store 5006 token no token https://cdn.store.regauth.test:5005/)
  docker-registry serve "$cfg" >"$LOGS/registry-store.log" 2>&1 &
  PIDS+=($!)
  wait_port 5006
  "$VENVS/tools/bin/python" "$HERE/front_proxy.py" --port 5005 --backend 5006 \
    --storage "$SCRATCH/storage/token" --tls "$PKI/tls.pem" "$PKI/tls.key" >"$LOGS/front-proxy.log" 2>&1 &
  PIDS+=($!)
  wait_port 5005
  # registry.regauth.test:5007: like :5000 (same storage) but its realm is plain http on :5011
  cfg=$(registry_config realmhttp 5007 token yes token "" http://auth.regauth.test:5011/token)
  docker-registry serve "$cfg" >"$LOGS/registry-realmhttp.log" 2>&1 &
  PIDS+=($!)
  wait_port 5007
  # lab.regauth.test:5012: the usual local setup, a plain-HTTP registry with token
  # auth whose realm is plain HTTP too (token service on :5011), own storage
  cfg=$(registry_config lab 5012 token no lab "" http://auth.regauth.test:5011/token)
  docker-registry serve "$cfg" >"$LOGS/registry-lab.log" 2>&1 &
  PIDS+=($!)
  wait_port 5012
}

TOKEN_PID=
token_start() { # extra args for token_server.py
  token_stop
  "$VENVS/tools/bin/python" "$HERE/token_server.py" --port 5001 \
    --tls "$PKI/tls.pem" "$PKI/tls.key" --key "$PKI/signer.key" --chain "$PKI/signer.pem" "$PKI/ca.pem" \
    "$@" >>"$LOGS/token-server.log" 2>&1 &
  TOKEN_PID=$!
  PIDS+=("$TOKEN_PID")
  wait_port 5001
}
token_stop() {
  if [[ -n "$TOKEN_PID" ]]; then
    kill "$TOKEN_PID" 2>/dev/null || true
    wait "$TOKEN_PID" 2>/dev/null || true
    TOKEN_PID=
  fi
}

# The same token service on plain HTTP (:5011), realm of lab.regauth.test:5012
TOKEN_HTTP_PID=
token_http_start() { # extra args for token_server.py
  token_http_stop
  "$VENVS/tools/bin/python" "$HERE/token_server.py" --port 5011 \
    --key "$PKI/signer.key" --chain "$PKI/signer.pem" "$PKI/ca.pem" \
    "$@" >>"$LOGS/token-server-http.log" 2>&1 &
  TOKEN_HTTP_PID=$!
  PIDS+=("$TOKEN_HTTP_PID")
  wait_port 5011
}
token_http_stop() {
  if [[ -n "$TOKEN_HTTP_PID" ]]; then
    kill "$TOKEN_HTTP_PID" 2>/dev/null || true
    wait "$TOKEN_HTTP_PID" 2>/dev/null || true
    TOKEN_HTTP_PID=
  fi
}

MITM_PID=
mitm_start() { # version out-base-path [extra mitmdump args]
  local v=$1 out=$2; shift 2
  local har=()
  [[ $v == 9 || $v == 8 ]] || har=(--set "hardump=$out.har")
  mkdir -p "$(dirname "$out")"
  rm -f "$out.flow" "$out.har"
  "$VENVS/mitm$v/bin/mitmdump" --listen-host 127.0.0.1 --listen-port "$MITM_PORT" \
    --set confdir="$MITM_CONF" --set ssl_verify_upstream_trusted_ca="${MITM_UPSTREAM_CA:-$PKI/ca.pem}" \
    -s "$HERE/guard_addon.py" -w "$out.flow" "${har[@]}" "$@" >"$LOGS/mitm-$(basename "$out").log" 2>&1 &
  MITM_PID=$!
  PIDS+=("$MITM_PID")
  wait_port "$MITM_PORT"
}
mitm_stop() {
  sleep 0.5 # let addons' pending work (tls_fail_closed.py) finish before the HAR is written
  kill -INT "$MITM_PID" 2>/dev/null || true
  wait "$MITM_PID" 2>/dev/null || true
  MITM_PID=
}

setup_trust() {
  # mitmproxy creates its CA on first start; clients trust our CA + mitmproxy's.
  if [[ ! -f "$MITM_CONF/mitmproxy-ca-cert.pem" ]]; then
    mitm_start 11 "$SCRATCH/ca-bootstrap"
    mitm_stop
  fi
  cat "$PKI/ca.pem" "$MITM_CONF/mitmproxy-ca-cert.pem" >"$SCRATCH/trust-bundle.pem"
}

# Environment for a client going through mitmproxy.
proxied() {
  env HTTPS_PROXY="http://127.0.0.1:$MITM_PORT" HTTP_PROXY="http://127.0.0.1:$MITM_PORT" \
    https_proxy="http://127.0.0.1:$MITM_PORT" http_proxy="http://127.0.0.1:$MITM_PORT" \
    NO_PROXY= no_proxy= SSL_CERT_FILE="$SCRATCH/trust-bundle.pem" \
    REQUESTS_CA_BUNDLE="$SCRATCH/trust-bundle.pem" REGISTRY_AUTH_FILE="$SCRATCH/auth.json" "$@"
}
# Environment for a client talking to the servers directly (seeding).
direct() {
  env -u HTTPS_PROXY -u HTTP_PROXY -u https_proxy -u http_proxy SSL_CERT_FILE="$SCRATCH/trust-bundle.pem" \
    REGISTRY_AUTH_FILE="$SCRATCH/auth.json" "$@"
}

R=registry.regauth.test:5000
B=basic.regauth.test:5002
P=plain.regauth.test:5003
O=open.regauth.test:5004
LAB=lab.regauth.test:5012

seed() {
  local py="$VENVS/tools/bin/python"
  rm -rf "$SCRATCH/img"
  "$py" "$HERE/mkimage.py" "$SCRATCH/img/app" app 2 4 >/dev/null
  "$py" "$HERE/mkimage.py" "$SCRATCH/img/hello" hello 1 2 >/dev/null
  "$py" "$HERE/mkimage.py" "$SCRATCH/img/new" new 2 3 >/dev/null
  "$py" "$HERE/mkimage.py" "$SCRATCH/img/deny" deny 1 3 >/dev/null
  "$py" "$HERE/mkimage.py" "$SCRATCH/img/slow" slow 2 3 >/dev/null
  # three layers of 4, 8 and 16 KiB: on a bandwidth-limited link they finish at different times
  "$py" "$HERE/mkimage.py" "$SCRATCH/img/layers" layers 3 4,8,16 >/dev/null
  # the same image as a docker-archive for `docker load`: a local image the daemon
  # must upload (a pulled one would be mounted from its source repository)
  rm -f "$SCRATCH/img/layers.tar"
  skopeo copy -q "oci:$SCRATCH/img/layers:layers" "docker-archive:$SCRATCH/img/layers.tar:local/layers:1.0"
  token_start
  token_http_start
  direct skopeo copy -q --dest-creds writer:writer-pass-1 oci:"$SCRATCH/img/app":app "docker://$R/private/app:1.0"
  direct skopeo copy -q --dest-creds writer:writer-pass-1 oci:"$SCRATCH/img/hello":hello "docker://$R/public/hello:latest"
  direct skopeo copy -q --dest-creds alice:alice-pass-1 oci:"$SCRATCH/img/app":app "docker://$B/team/app:1.0"
  direct skopeo copy -q --dest-tls-verify=false --dest-creds alice:alice-pass-1 oci:"$SCRATCH/img/app":app "docker://$P/team/app:1.0"
  direct skopeo copy -q --dest-tls-verify=false oci:"$SCRATCH/img/hello":hello "docker://$O/library/hello:latest"
  direct skopeo copy -q --dest-creds writer:writer-pass-1 oci:"$SCRATCH/img/layers":layers "docker://$R/private/layers:1.0"
  direct skopeo copy -q --dest-tls-verify=false --dest-creds writer:writer-pass-1 oci:"$SCRATCH/img/app":app "docker://$LAB/private/app:1.0"
  direct skopeo copy -q --dest-tls-verify=false --dest-creds writer:writer-pass-1 oci:"$SCRATCH/img/layers":layers "docker://$LAB/private/layers:1.0"
  token_http_stop
}

# Run a client under mitmproxy; its exit status is recorded, failures are expected in some scenarios.
run() { # label cmd...
  local label=$1; shift
  set +e
  "$@" >"$LOGS/client-$label.log" 2>&1
  local rc=$?
  set -e
  echo "client $label exit=$rc" >&2
  tail -n 3 "$LOGS/client-$label.log" | sed 's/^/    /' >&2
}

fresh_dir() { rm -rf "$SCRATCH/out/$1"; mkdir -p "$SCRATCH/out"; echo "$SCRATCH/out/$1"; }

# ---------------------------------------------------------------- scenarios
# Each: token service state, mitmproxy session, one or more client runs.
sc_pull_success() {
  token_start
  mitm_start 11 "$SAMPLES/pull-success"
  run pull-success proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir pull-success):app"
  mitm_stop
}
sc_push_success() {
  token_start
  mitm_start 11 "$SAMPLES/push-success"
  run push-success proxied skopeo copy --dest-creds writer:writer-pass-1 \
    "oci:$SCRATCH/img/new:new" "docker://$R/private/new:1.0"
  mitm_stop
}
sc_wrong_password() {
  token_start
  mitm_start 11 "$SAMPLES/wrong-password"
  run wrong-password proxied skopeo copy --src-creds reader:not-the-password \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir wrong-password):app"
  mitm_stop
}
sc_login() {
  token_start
  mitm_start 11 "$SAMPLES/login-success"
  run login-success proxied skopeo login -u writer -p writer-pass-1 "$R"
  mitm_stop
  rm -f "$SCRATCH/auth.json"
  mitm_start 11 "$SAMPLES/login-wrong-password"
  run login-wrong-password proxied skopeo login -u writer -p wrong-pass "$R"
  mitm_stop
  rm -f "$SCRATCH/auth.json"
}
sc_clock_behind() {
  token_start --clock-offset -7200
  mitm_start 11 "$SAMPLES/clock-behind"
  run clock-behind proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir clock-behind):app"
  mitm_stop
}
sc_clock_ahead() {
  token_start --clock-offset 7200
  mitm_start 11 "$SAMPLES/clock-ahead"
  run clock-ahead proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir clock-ahead):app"
  mitm_stop
}
sc_clock_leeway() {
  # around distribution's 60 s leeway: +30 s still works, +90 s does not
  token_start --clock-offset 30
  mitm_start 11 "$SAMPLES/clock-ahead-within-leeway"
  run clock-ahead-within-leeway proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir leeway30):app"
  mitm_stop
  token_start --clock-offset 90
  mitm_start 11 "$SAMPLES/clock-ahead-beyond-leeway"
  run clock-ahead-beyond-leeway proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir leeway90):app"
  mitm_stop
}
sc_token_expires_mid_push() {
  # Token lives 10 s, issuer clock 40 s behind, no issued_at in the response:
  # the registry accepts it until exp+60 s leeway = ~30 s after issue, skopeo
  # clamps expires_in to 60 s and keeps using it; uploads are slowed by 12 s
  # each in mitmproxy so the push outlives the token.
  token_start --lifetime 10 --clock-offset -40 --no-issued-at
  REGAUTH_SLOW_DELAY=12 mitm_start 11 "$SAMPLES/token-expired-mid-push" -s "$HERE/slow_addon.py"
  run token-expired-mid-push proxied skopeo copy --dest-creds writer:writer-pass-1 \
    "oci:$SCRATCH/img/slow:slow" "docker://$R/private/slow:1.0"
  mitm_stop
}
sc_insufficient_scope() {
  token_start
  mitm_start 11 "$SAMPLES/push-insufficient-scope"
  run push-insufficient-scope proxied skopeo copy --dest-creds reader:reader-pass-1 \
    "oci:$SCRATCH/img/deny:deny" "docker://$R/private/app:2.0"
  mitm_stop
}
sc_anonymous_private() {
  token_start
  mitm_start 11 "$SAMPLES/anonymous-pull-private"
  run anonymous-pull-private proxied skopeo copy --src-no-creds \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir anon-private):app"
  mitm_stop
}
sc_anonymous_public() {
  token_start
  mitm_start 11 "$SAMPLES/anonymous-pull-public"
  run anonymous-pull-public proxied skopeo copy --src-no-creds \
    "docker://$R/public/hello:latest" "oci:$(fresh_dir anon-public):hello"
  mitm_stop
}
sc_basic() {
  mitm_start 11 "$SAMPLES/basic-success"
  run basic-success proxied skopeo copy --src-creds alice:alice-pass-1 \
    "docker://$B/team/app:1.0" "oci:$(fresh_dir basic-success):app"
  mitm_stop
  mitm_start 11 "$SAMPLES/basic-wrong-password"
  run basic-wrong-password proxied skopeo copy --src-creds alice:wrong-pass \
    "docker://$B/team/app:1.0" "oci:$(fresh_dir basic-fail):app"
  mitm_stop
}
sc_basic_plain_http() {
  mitm_start 11 "$SAMPLES/basic-plain-http"
  run basic-plain-http proxied skopeo copy --src-tls-verify=false --src-creds alice:alice-pass-1 \
    "docker://$P/team/app:1.0" "oci:$(fresh_dir basic-plain):app"
  mitm_stop
}
sc_noauth() {
  mitm_start 11 "$SAMPLES/noauth-pull"
  run noauth-pull proxied skopeo copy --src-tls-verify=false \
    "docker://$O/library/hello:latest" "oci:$(fresh_dir noauth):hello"
  mitm_stop
}
sc_two_registries() {
  token_start
  mitm_start 11 "$SAMPLES/two-registries"
  run two-registries proxied skopeo copy --src-creds reader:reader-pass-1 --dest-creds alice:alice-pass-1 \
    "docker://$R/private/app:1.0" "docker://$B/team/copied:1.0"
  mitm_stop
}
sc_oauth2() {
  token_start
  mitm_start 11 "$SAMPLES/oauth2-post"
  run oauth2-post proxied "$VENVS/tools/bin/python" "$HERE/oauth2_client.py" \
    --registry "https://$R" --repo private/app --ref 1.0 --user reader --password reader-pass-1
  mitm_stop
}
sc_dxf() {
  token_start
  mitm_start 11 "$SAMPLES/dxf-pull-success"
  run dxf-pull-success proxied "$VENVS/tools/bin/python" "$HERE/dxf_client.py" pull "$R" private/app 1.0 reader reader-pass-1
  mitm_stop
  mitm_start 11 "$SAMPLES/dxf-push-success"
  run dxf-push-success proxied "$VENVS/tools/bin/python" "$HERE/dxf_client.py" push "$R" private/dxf writer writer-pass-1
  mitm_stop
}
sc_dxf_token_expiry() {
  # python-dxf ignores expires_in and reuses a token until it gets a 401.
  # Token lives 5 s, no clock offset; uploads are delayed 25 s each in
  # mitmproxy, so the second blob's POST reaches the registry ~75 s after the
  # token was issued, past exp + 60 s leeway: 401 invalid_token, python-dxf
  # asks for a new token and the push completes.
  token_start --lifetime 5
  REGAUTH_SLOW_DELAY=25 mitm_start 11 "$SAMPLES/token-expired-mid-push-recovered" -s "$HERE/slow_addon.py"
  run token-expired-mid-push-recovered proxied "$VENVS/tools/bin/python" "$HERE/dxf_client.py" push "$R" private/dxf-slow writer writer-pass-1
  mitm_stop
}
sc_audience_mismatch() {
  # token service misconfigured: every token says aud=hub.regauth.test
  token_start --force-audience hub.regauth.test
  mitm_start 11 "$SAMPLES/audience-mismatch"
  run audience-mismatch proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir audience):app"
  mitm_stop
}
sc_token_answer_string_lifetime() {
  # token service misconfigured: expires_in is the JSON string "300", which Go clients
  # (containers/image here) cannot decode into their int field
  token_start --lifetime-as-string
  mitm_start 11 "$SAMPLES/token-answer-string-lifetime"
  run token-answer-string-lifetime proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir string-lifetime):app"
  mitm_stop
}
sc_upstream_untrusted() {
  # mitmproxy started without the registry's private CA: it cannot verify the
  # registry and answers 502 to the client, which trusts mitmproxy.
  token_start
  MITM_UPSTREAM_CA=/etc/ssl/certs/ca-certificates.crt mitm_start 11 "$SAMPLES/tls-upstream-untrusted"
  run tls-upstream-untrusted proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://$R/private/app:1.0" "oci:$(fresh_dir untrusted):app"
  mitm_stop
}
sc_podman_wrong_password() {
  local root="$SCRATCH/podman"
  token_start
  mitm_start 11 "$SAMPLES/podman-login-wrong-password"
  run podman-login-wrong proxied podman --root "$root/root" --runroot "$root/run" --storage-driver vfs \
    login -u reader -p wrong-pass "$R"
  mitm_stop
  rm -f "$SCRATCH/auth.json"
}
sc_redirect_subdomain() {
  # Blob GETs are answered 307 to cdn.store.regauth.test:5005, a subdomain of
  # the registry host on the same port: Go's net/http keeps Authorization.
  token_start
  mitm_start 11 "$SAMPLES/redirect-auth-forwarded"
  run redirect-auth-forwarded proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://store.regauth.test:5005/private/app:1.0" "oci:$(fresh_dir redirect):app"
  mitm_stop
  # python-dxf (requests) drops Authorization when the host changes: control sample
  mitm_start 11 "$SAMPLES/redirect-auth-dropped"
  run redirect-auth-dropped proxied "$VENVS/tools/bin/python" "$HERE/dxf_client.py" pull \
    store.regauth.test:5005 private/app 1.0 reader reader-pass-1
  mitm_stop
  grep 'CDN' "$LOGS/front-proxy.log" | tail -n 6 >&2 || true
}
CONTAINERD_PID=
containerd_start() {
  local d="$SCRATCH/containerd"
  rm -rf "$d"; mkdir -p "$d"
  cat >"$d/config.toml" <<EOT
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$d/containerd.sock"
[debug]
  address = ""
[metrics]
  address = ""
EOT
  # the daemon itself never talks to the registry: ctr resolves and fetches client-side
  env -u HTTPS_PROXY -u HTTP_PROXY containerd --config "$d/config.toml" >"$LOGS/containerd.log" 2>&1 &
  CONTAINERD_PID=$!
  PIDS+=("$CONTAINERD_PID")
  local i
  for ((i = 0; i < 100; i++)); do [[ -S "$d/containerd.sock" ]] && break; sleep 0.1; done
}
containerd_stop() {
  [[ -n "$CONTAINERD_PID" ]] && { kill "$CONTAINERD_PID" 2>/dev/null || true; wait "$CONTAINERD_PID" 2>/dev/null || true; }
  CONTAINERD_PID=
}
sc_containerd() {
  # containerd's docker resolver (in ctr) asks for tokens by OAuth2 POST.
  local ctr=(ctr --address "$SCRATCH/containerd/containerd.sock" --namespace regauth)
  containerd_start
  token_start
  mitm_start 11 "$SAMPLES/containerd-pull-push"
  run containerd-pull proxied "${ctr[@]}" content fetch --user reader:reader-pass-1 "$R/private/app:1.0"
  run containerd-tag proxied "${ctr[@]}" images tag "$R/private/app:1.0" "$R/private/containerd:1.0"
  run containerd-push proxied "${ctr[@]}" images push --user writer:writer-pass-1 "$R/private/containerd:1.0"
  mitm_stop
  mitm_start 11 "$SAMPLES/containerd-wrong-password"
  run containerd-wrong-password proxied "${ctr[@]}" content fetch --user reader:wrong-pass "$R/private/app:1.0"
  mitm_stop
  containerd_stop
}
sc_realm_plain_http() {
  # the registry is HTTPS but its token realm is http://: Basic credentials in clear
  token_start
  token_http_start
  mitm_start 11 "$SAMPLES/realm-plain-http"
  run realm-plain-http proxied skopeo copy --src-creds reader:reader-pass-1 \
    "docker://registry.regauth.test:5007/private/app:1.0" "oci:$(fresh_dir realmhttp):app"
  mitm_stop
  token_http_stop
}
DOCKERD_PID=
dockerd_start() { # [extra daemon.json members, e.g. '"insecure-registries": ["h:p"]'] [port] [extra dockerd args]
  local d="$SCRATCH/docker" extra=${1:-} port=${2:-2375}
  shift $(($# > 2 ? 2 : $#))
  rm -rf "$d"; mkdir -p "$d/cli"
  echo "{\"deprecated-key-path\": \"$d/key.json\"${extra:+, $extra}}" >"$d/daemon.json"
  # dockerd -> registry goes through mitmproxy's regular mode on :8080
  env HTTPS_PROXY="http://127.0.0.1:$MITM_PORT" HTTP_PROXY="http://127.0.0.1:$MITM_PORT" NO_PROXY= \
    SSL_CERT_FILE="$SCRATCH/trust-bundle.pem" \
    dockerd --config-file "$d/daemon.json" --iptables=false --ip6tables=false --bridge=none \
    --storage-driver=vfs --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
    --containerd "$SCRATCH/containerd/containerd.sock" \
    -H "unix://$d/docker.sock" -H "tcp://127.0.0.1:$port" "$@" >"$LOGS/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  PIDS+=("$DOCKERD_PID")
  wait_port "$port" 60
}
dockerd_stop() {
  [[ -n "$DOCKERD_PID" ]] && { kill "$DOCKERD_PID" 2>/dev/null || true; wait "$DOCKERD_PID" 2>/dev/null || true; }
  DOCKERD_PID=
}
sc_docker() {
  # Both legs in one mitmproxy: CLI -> daemon (reverse mode, plain tcp://, :2376)
  # and daemon -> registry/token service (regular mode, :8080).
  local dk=(env DOCKER_HOST=tcp://127.0.0.1:2376 DOCKER_CONFIG="$SCRATCH/docker/cli" /usr/bin/docker)
  containerd_start
  token_start
  mitm_start 11 "$SAMPLES/docker-login-pull-push" --mode "regular@$MITM_PORT" --mode "reverse:http://127.0.0.1:2375@2376"
  dockerd_start
  run docker-login proxied "${dk[@]}" login -u writer -p writer-pass-1 "$R"
  run docker-pull "${dk[@]}" pull "$R/private/app:1.0"
  run docker-tag "${dk[@]}" tag "$R/private/app:1.0" "$R/private/docker:1.0"
  run docker-push "${dk[@]}" push "$R/private/docker:1.0"
  mitm_stop
  mitm_start 11 "$SAMPLES/docker-wrong-password" --mode "regular@$MITM_PORT" --mode "reverse:http://127.0.0.1:2375@2376"
  rm -rf "$SCRATCH/docker/cli"; mkdir -p "$SCRATCH/docker/cli"
  run docker-login-wrong "${dk[@]}" login -u writer -p wrong-pass "$R"
  mitm_stop
  dockerd_stop
  containerd_stop
}
sc_podman() {
  local root="$SCRATCH/podman"
  rm -rf "$root"
  local pm=(podman --root "$root/root" --runroot "$root/run" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
  token_start
  mitm_start 11 "$SAMPLES/podman-login-pull-push"
  run podman-login proxied "${pm[@]}" login -u writer -p writer-pass-1 "$R"
  run podman-pull proxied "${pm[@]}" pull "$R/private/app:1.0"
  run podman-tag proxied "${pm[@]}" tag "$R/private/app:1.0" "$R/private/podman:1.0"
  run podman-push proxied "${pm[@]}" push "$R/private/podman:1.0"
  mitm_stop
  rm -f "$SCRATCH/auth.json"
}
sc_chromium() {
  token_start
  mitm_start 11 "$SAMPLES/chromium-via-mitmproxy"
  run chromium proxied env NODE_PATH="$SCRATCH/node/node_modules" REGAUTH_PROXY="http://127.0.0.1:$MITM_PORT" \
    node "$HERE/chromium_har.cjs" "$SAMPLES/chromium-playwright.har"
  mitm_stop
}
sc_mitm_versions() {
  token_start
  local v
  for v in 8 9 10 11 12; do
    [[ -x "$VENVS/mitm$v/bin/mitmdump" ]] || { log "no mitmproxy $v venv"; continue; }
    local ver
    ver=$("$VENVS/mitm$v/bin/mitmdump" --version 2>/dev/null | sed -n 's/^Mitmproxy: *//p')
    mitm_start "$v" "$SAMPLES/mitmproxy-versions/pull-success-mitmproxy-$ver"
    run "mitm$v" proxied skopeo copy --src-creds reader:reader-pass-1 \
      "docker://$R/private/app:1.0" "oci:$(fresh_dir mitm$v):app"
    mitm_stop
  done
}

# ---------------------------------------------------------------- issue 8: clients as users configure them
# New scenarios record with mitmproxy 12.2.3 (flow + HAR) as an explicit proxy.

# registries.conf files for podman/buildah (CONTAINERS_REGISTRIES_CONF): one
# declaring lab.regauth.test:5012 insecure (https first, http fallback), one
# without it (the default: https only).
regconf() { # insecure|secure -> path
  local f="$SCRATCH/registries-$1.conf"
  {
    echo 'unqualified-search-registries = []'
    if [[ $1 == insecure ]]; then
      echo '[[registry]]'
      echo "location = \"$LAB\""
      echo 'insecure = true'
    fi
  } >"$f"
  echo "$f"
}
PODMAN_ROOT=
podman_cmd() { # podman with a scratch store
  PODMAN_ROOT="$SCRATCH/podman"
  echo podman --root "$PODMAN_ROOT/root" --runroot "$PODMAN_ROOT/run" --storage-driver vfs \
    --cgroup-manager cgroupfs --events-backend file
}
empty_authfile() { # podman/buildah --creds still insist on an existing REGISTRY_AUTH_FILE
  echo '{"auths": {}}' >"$SCRATCH/auth.json"
}
buildah_cmd() { # buildah with a scratch store
  echo buildah --root "$SCRATCH/buildah/root" --runroot "$SCRATCH/buildah/run" --storage-driver vfs
}

sc_insecure_podman() {
  # podman against the plain-HTTP token registry declared insecure in registries.conf:
  # every connection first tries https://lab.regauth.test:5012 (mitmproxy: "does not
  # speak TLS"), then falls back to http://. Login, pull, tag, push as writer.
  rm -rf "$SCRATCH/podman"; rm -f "$SCRATCH/auth.json"
  local pm; read -r -a pm <<<"$(podman_cmd)"
  local conf; conf=$(regconf insecure)
  token_http_start
  mitm_start 12 "$SAMPLES/insecure-podman-login-pull-push"
  run insecure-podman-login proxied env CONTAINERS_REGISTRIES_CONF="$conf" "${pm[@]}" login -u writer -p writer-pass-1 "$LAB"
  run insecure-podman-pull proxied env CONTAINERS_REGISTRIES_CONF="$conf" "${pm[@]}" pull "$LAB/private/app:1.0"
  run insecure-podman-tag proxied env CONTAINERS_REGISTRIES_CONF="$conf" "${pm[@]}" tag "$LAB/private/app:1.0" "$LAB/private/podman:1.0"
  run insecure-podman-push proxied env CONTAINERS_REGISTRIES_CONF="$conf" "${pm[@]}" push "$LAB/private/podman:1.0"
  mitm_stop
  token_http_stop
  rm -f "$SCRATCH/auth.json"
}
sc_insecure_wrong_password() {
  # skopeo --src-tls-verify=false (https probe, http fallback), wrong password for reader
  token_http_start
  mitm_start 12 "$SAMPLES/insecure-skopeo-wrong-password"
  run insecure-skopeo-wrong-password proxied skopeo copy --src-tls-verify=false --src-creds reader:not-the-password \
    "docker://$LAB/private/app:1.0" "oci:$(fresh_dir insecure-wrong):app"
  mitm_stop
  token_http_stop
}
sc_insecure_clock() {
  # token service clock 2 h ahead (podman) / 2 h behind (buildah), registry declared insecure
  rm -rf "$SCRATCH/podman" "$SCRATCH/buildah"
  local pm; read -r -a pm <<<"$(podman_cmd)"
  local bh; read -r -a bh <<<"$(buildah_cmd)"
  local conf; conf=$(regconf insecure)
  empty_authfile
  token_http_start --clock-offset 7200
  mitm_start 12 "$SAMPLES/insecure-podman-clock-ahead"
  run insecure-podman-clock-ahead proxied env CONTAINERS_REGISTRIES_CONF="$conf" "${pm[@]}" pull \
    --creds reader:reader-pass-1 "$LAB/private/app:1.0"
  mitm_stop
  token_http_start --clock-offset -7200
  mitm_start 12 "$SAMPLES/insecure-buildah-clock-behind"
  run insecure-buildah-clock-behind proxied env CONTAINERS_REGISTRIES_CONF="$conf" "${bh[@]}" pull \
    --creds reader:reader-pass-1 "$LAB/private/app:1.0"
  mitm_stop
  token_http_stop
}
sc_insecure_no_fallback() {
  # podman NOT told the registry is insecure: https only, nothing to fall back to
  rm -rf "$SCRATCH/podman"
  local pm; read -r -a pm <<<"$(podman_cmd)"
  local conf; conf=$(regconf secure)
  empty_authfile
  token_http_start
  mitm_start 12 "$SAMPLES/insecure-not-configured"
  run insecure-not-configured proxied env CONTAINERS_REGISTRIES_CONF="$conf" "${pm[@]}" pull \
    --creds reader:reader-pass-1 "$LAB/private/app:1.0"
  mitm_stop
  token_http_stop
}
DK=()
docker_cli() { # CLI -> mitmproxy reverse :2376 -> dockerd :2375, own config dir
  DK=(env DOCKER_HOST=tcp://127.0.0.1:2376 DOCKER_CONFIG="$SCRATCH/docker/cli" /usr/bin/docker)
}
mitm_docker() { # out-base [extra mitmdump args]: both legs, mitmproxy 12
  local out=$1; shift
  mitm_start 12 "$out" --mode "regular@$MITM_PORT" --mode "reverse:http://127.0.0.1:2375@2376" "$@"
}
sc_insecure_docker() {
  # dockerd with insecure-registries: https probe (skip-verify) then http fallback.
  # tls_fail_closed.py lets dockerd see the failed TLS handshake as it would
  # without mitmproxy (plain mitmproxy answers 502, see sc_insecure_docker_502).
  containerd_start
  token_http_start
  docker_cli
  mitm_docker "$SAMPLES/insecure-docker-login-pull-push" -s "$HERE/tls_fail_closed.py"
  dockerd_start "\"insecure-registries\": [\"$LAB\"]"
  run insecure-docker-login "${DK[@]}" login -u writer -p writer-pass-1 "$LAB"
  run insecure-docker-pull "${DK[@]}" pull "$LAB/private/app:1.0"
  run insecure-docker-tag "${DK[@]}" tag "$LAB/private/app:1.0" "$LAB/private/docker:1.0"
  run insecure-docker-push "${DK[@]}" push "$LAB/private/docker:1.0"
  mitm_stop
  rm -rf "$SCRATCH/docker/cli"; mkdir -p "$SCRATCH/docker/cli"
  mitm_docker "$SAMPLES/insecure-docker-wrong-password" -s "$HERE/tls_fail_closed.py"
  run insecure-docker-login-wrong "${DK[@]}" login -u writer -p wrong-pass "$LAB"
  mitm_stop
  dockerd_stop
  token_http_stop
  containerd_stop
}
sc_insecure_docker_502() {
  # The same dockerd setup through plain mitmproxy (no tls_fail_closed.py), as a user
  # would record it: mitmproxy finishes the TLS handshake with dockerd and answers
  # the https:// probe 502; `docker login` still falls back to http (it tries every
  # endpoint), the pull does not (an HTTP answer means "this endpoint speaks HTTPS").
  containerd_start
  token_http_start
  docker_cli
  mitm_docker "$SAMPLES/insecure-docker-pull-recorder-502"
  dockerd_start "\"insecure-registries\": [\"$LAB\"]"
  run insecure-docker-502-login "${DK[@]}" login -u writer -p writer-pass-1 "$LAB"
  run insecure-docker-502-pull "${DK[@]}" pull "$LAB/private/app:1.0"
  mitm_stop
  dockerd_stop
  token_http_stop
  containerd_stop
}
sc_insecure_docker_slow() {
  # dockerd, insecure-registries, a slow uplink (mitmproxy delays each upload by its
  # size at 400 B/s); the image is loaded locally (docker load), so its layers are uploaded
  containerd_start
  token_http_start
  docker_cli
  REGAUTH_SLOW_RATE=400 mitm_docker "$SAMPLES/insecure-docker-slow-push" -s "$HERE/slow_addon.py" -s "$HERE/tls_fail_closed.py"
  dockerd_start "\"insecure-registries\": [\"$LAB\"]"
  run insecure-docker-slow-login "${DK[@]}" login -u writer -p writer-pass-1 "$LAB"
  run insecure-docker-slow-load "${DK[@]}" load -i "$SCRATCH/img/layers.tar"
  run insecure-docker-slow-tag "${DK[@]}" tag local/layers:1.0 "$LAB/private/slow:1.0"
  run insecure-docker-slow-push "${DK[@]}" push "$LAB/private/slow:1.0"
  mitm_stop
  dockerd_stop
  token_http_stop
  containerd_stop
}
sc_docker_denied() {
  # dockerd push refused for lack of push right (reader), and an anonymous pull of a private repo
  containerd_start
  token_start
  docker_cli
  mitm_docker "$SAMPLES/docker-push-denied"
  dockerd_start
  run docker-denied-login "${DK[@]}" login -u reader -p reader-pass-1 "$R"
  run docker-denied-pull "${DK[@]}" pull "$R/private/app:1.0"
  run docker-denied-tag "${DK[@]}" tag "$R/private/app:1.0" "$R/private/app:2.0"
  run docker-denied-push "${DK[@]}" push "$R/private/app:2.0"
  mitm_stop
  dockerd_stop
  rm -rf "$SCRATCH/docker"
  mitm_docker "$SAMPLES/docker-pull-anonymous-private"
  dockerd_start
  run docker-anon-pull "${DK[@]}" pull "$R/private/app:1.0"
  mitm_stop
  dockerd_stop
  containerd_stop
}
sc_docker_token_expiry() {
  # dockerd pushes three layers (4, 8, 16 KiB) in parallel over a link limited to
  # 60 B/s; the token lives 5 s (registry leeway 60 s), dockerd counts 60 s from
  # issued_at. The 4 KiB layer's PATCH reaches the registry ~70 s after the token
  # was issued: 401 invalid_token; dockerd does not retry an auth error, but it
  # lets the other uploads finish (each refused the same way) before the push
  # stream reports the error. The image is loaded locally (docker load) so that
  # its layers must be uploaded.
  containerd_start
  token_start --lifetime 5
  docker_cli
  REGAUTH_SLOW_RATE=60 mitm_docker "$SAMPLES/docker-push-token-expired" -s "$HERE/slow_addon.py"
  dockerd_start
  run docker-expiry-login "${DK[@]}" login -u writer -p writer-pass-1 "$R"
  run docker-expiry-load "${DK[@]}" load -i "$SCRATCH/img/layers.tar"
  run docker-expiry-tag "${DK[@]}" tag local/layers:1.0 "$R/private/expiry:1.0"
  run docker-expiry-push "${DK[@]}" push "$R/private/expiry:1.0"
  mitm_stop
  dockerd_stop
  containerd_stop
}
sc_dxf_digest_invalid() {
  # python-dxf push_blob(filename): the PUT body is the open file. The link is
  # limited so that PUT reaches the registry ~70 s after the token (5 s, leeway
  # 60 s) was issued: 401 invalid_token; python-dxf re-authenticates and re-sends
  # the PUT with the same, already read file object: empty body, 400 DIGEST_INVALID.
  token_start --lifetime 5
  REGAUTH_SLOW_RATE=28 mitm_start 12 "$SAMPLES/dxf-push-token-expired-digest-invalid" -s "$HERE/slow_addon.py"
  run dxf-digest-invalid proxied "$VENVS/tools/bin/python" "$HERE/dxf_client.py" push "$R" private/dxf-expired writer writer-pass-1
  mitm_stop
}
sc_killed_mid_upload() {
  # skopeo push killed by `timeout` (SIGTERM after 8 s) while its three layer
  # uploads (4, 8, 16 KiB PATCHes) crawl over a link limited to 400 B/s: the client
  # goes away with the uploads in flight and mitmproxy records each of them with
  # "Client disconnected.". Nothing failed on the server side.
  token_start
  REGAUTH_SLOW_RATE=400 mitm_start 12 "$SAMPLES/push-killed-mid-upload" -s "$HERE/slow_addon.py"
  run push-killed-mid-upload proxied timeout 8 skopeo copy --dest-creds writer:writer-pass-1 \
    "oci:$SCRATCH/img/layers:layers" "docker://$R/private/killed:1.0"
  sleep 2
  mitm_stop
}
sc_containerd_token_expiry() {
  # ctr pushes a locally imported three-layer image (4, 8, 16 KiB) in parallel over
  # a link limited to 60 B/s; the token lives 5 s (registry leeway 60 s). The first
  # layer upload reaching the registry after ~70 s is refused (401 invalid_token);
  # containerd's push runs its uploads in an errgroup, so the first error cancels
  # the others still in flight (mitmproxy: "Client disconnected.").
  local ctr=(ctr --address "$SCRATCH/containerd/containerd.sock" --namespace regauth)
  containerd_start
  token_start --lifetime 5
  run containerd-expiry-import "${ctr[@]}" images import "$SCRATCH/img/layers.tar"
  run containerd-expiry-tag "${ctr[@]}" images tag docker.io/local/layers:1.0 "$R/private/ctr-expiry:1.0"
  REGAUTH_SLOW_RATE=60 mitm_start 12 "$SAMPLES/containerd-push-token-expired-abandoned" -s "$HERE/slow_addon.py"
  run containerd-expiry-push proxied "${ctr[@]}" images push --user writer:writer-pass-1 "$R/private/ctr-expiry:1.0"
  sleep 2
  mitm_stop
  containerd_stop
}
sc_buildah() {
  rm -rf "$SCRATCH/buildah"; rm -f "$SCRATCH/auth.json"
  local bh; read -r -a bh <<<"$(buildah_cmd)"
  token_start
  mitm_start 12 "$SAMPLES/buildah-login-pull-push"
  run buildah-login proxied "${bh[@]}" login -u writer -p writer-pass-1 "$R"
  run buildah-pull proxied "${bh[@]}" pull "$R/private/app:1.0"
  run buildah-tag proxied "${bh[@]}" tag "$R/private/app:1.0" "$R/private/buildah:1.0"
  run buildah-push proxied "${bh[@]}" push "$R/private/buildah:1.0"
  mitm_stop
  empty_authfile
  mitm_start 12 "$SAMPLES/buildah-push-insufficient-scope"
  run buildah-push-denied proxied "${bh[@]}" push --creds reader:reader-pass-1 "$R/private/app:1.0" "docker://$R/private/buildah-denied:1.0"
  mitm_stop
}
sc_oras() {
  # oras-py 0.2.43 keeps the first token it got and, on a 401, re-sends it (it asks
  # anew only after a 403): its push starts with HEAD (challenge scope pull), so the
  # POST for the upload is refused insufficient_scope and the push fails, writer or not.
  local py="$VENVS/oras/bin/python"
  token_start
  mitm_start 12 "$SAMPLES/oras-py-pull"
  run oras-pull proxied "$py" "$HERE/oras_client.py" pull "$R" private/app:1.0 reader reader-pass-1
  mitm_stop
  mitm_start 12 "$SAMPLES/oras-py-push-token-not-upgraded"
  run oras-push proxied "$py" "$HERE/oras_client.py" push "$R" private/oras:1.0 writer writer-pass-1
  mitm_stop
  mitm_start 12 "$SAMPLES/oras-py-wrong-password"
  run oras-wrong-password proxied "$py" "$HERE/oras_client.py" pull "$R" private/app:1.0 reader wrong-pass
  mitm_stop
}
sc_docker_mtls() {
  # Issue 11: docker CLI -> dockerd over mutual TLS. dockerd listens with
  # --tlsverify on tcp://127.0.0.1:2376 (server cert and client CA from the test
  # CA); mitmproxy in reverse mode on :2377 presents its own certificate to the CLI
  # (the CLI trusts mitmproxy's CA through DOCKER_CERT_PATH/ca.pem), asks the CLI for
  # its client certificate (request_client_cert) and presents the same client
  # certificate to dockerd (client_certs). The client certificate expires 20 days
  # after the recording.
  "$VENVS/tools/bin/python" "$HERE/gen_docker_tls.py" "$PKI" 20
  local certs="$SCRATCH/docker-tls-cli"
  rm -rf "$certs"; mkdir -p "$certs"
  cp "$MITM_CONF/mitmproxy-ca-cert.pem" "$certs/ca.pem"
  cp "$PKI/docker-client.pem" "$certs/cert.pem"
  cp "$PKI/docker-client.key" "$certs/key.pem"
  containerd_start
  token_start
  mitm_start 12 "$SAMPLES/docker-mtls-login-pull" --mode "regular@$MITM_PORT" \
    --mode "reverse:https://127.0.0.1:2376@2377" \
    --set client_certs="$PKI/docker-client-bundle.pem" --set request_client_cert=true
  dockerd_start "" 2376 --tlsverify --tlscacert "$PKI/ca.pem" --tlscert "$PKI/dockerd-server.pem" \
    --tlskey "$PKI/dockerd-server.key"
  local dk=(env DOCKER_HOST=tcp://127.0.0.1:2377 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$certs"
    DOCKER_CONFIG="$SCRATCH/docker/cli" /usr/bin/docker)
  run docker-mtls-login "${dk[@]}" login -u reader -p reader-pass-1 "$R"
  run docker-mtls-pull "${dk[@]}" pull "$R/private/app:1.0"
  mitm_stop
  dockerd_stop
  containerd_stop
}

scenarios_all=(pull_success push_success wrong_password login clock_behind clock_ahead clock_leeway
  token_expires_mid_push dxf_token_expiry insufficient_scope anonymous_private anonymous_public basic
  basic_plain_http noauth two_registries realm_plain_http audience_mismatch token_answer_string_lifetime upstream_untrusted redirect_subdomain oauth2 containerd docker dxf podman podman_wrong_password chromium mitm_versions
  insecure_podman insecure_wrong_password insecure_clock insecure_no_fallback insecure_docker insecure_docker_502 insecure_docker_slow
  docker_denied docker_token_expiry containerd_token_expiry dxf_digest_invalid killed_mid_upload buildah oras docker_mtls)

# containers/image keeps a blob-location cache (it makes skopeo try cross-repo
# mounts from repositories seen in earlier runs); start each scenario without it
# so captures do not depend on previous runs.
reset_client_cache() { rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb; }

main() {
  ((INSTALL)) && install_all
  setup_hosts
  setup_pki
  setup_trust
  start_registries
  seed
  local s list=("$@")
  ((${#list[@]})) || list=("${scenarios_all[@]}")
  for s in "${list[@]}"; do
    log "scenario $s"
    reset_client_cache
    "sc_${s//-/_}" || log "scenario $s FAILED (rc=$?)"
  done
  token_stop
  python3 "$HERE/check_truth.py" || log "captures disagree with truth.json (see above)"
  log "done; logs in $LOGS"
}

# one line: bash has read all of it before main runs, so editing this file during a run is safe
main "$@"; exit $?
