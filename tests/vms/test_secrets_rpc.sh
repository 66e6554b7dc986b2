#!/usr/bin/env bash
# No secret in a gRPC error or in vast-csi's log, at the RPC level: CreateVolume with a
# request secret whose endpoint carries user:password@, and through a TLS proxy whose
# 502 pages echo the request - the login (password in the body) or, once the login went
# through to vms-sim, the Authorization: Bearer header and the login answer's tokens.
# The plugin logs at debug level; its whole stderr is searched for every secret in
# every encoding (raw, JSON, percent, form, HTML).
VMS_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) # helpers.sh sets HERE to its own directory
# shellcheck source=../controller/helpers.sh
source "$VMS_TESTS/../controller/helpers.sh"

PW='Zq9"&<p@ss w0rd/é%+'
start_sim --user "k8s-rpc:$PW"
start_controller_no_default --log-level debug

# leaks FILE SECRET...: prints each encoding of each secret found in FILE ("" when none).
leaks() {
  "$PY" - "$@" <<'PY'
import html, json, sys, urllib.parse
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
found = []
for s in sys.argv[2:]:
    if not s:
        continue
    forms = {s, json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=True).replace("/", "\\/")[1:-1],
             urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s), html.escape(s), html.escape(s, quote=False)}
    if len(s) >= 16:
        forms.add(s[len(s) // 4: len(s) // 4 + len(s) // 2])
    found += [f for f in forms if f in text]
print(" ".join(sorted(set(found))))
PY
}

# check_clean WHAT SECRET...: neither the last call's error nor the plugin log holds one.
check_clean() {
  local what=$1
  shift
  printf '%s' "$CV_err" >"$WORK/last_err"
  expect_eq "$what: no secret in the gRPC error" "" "$(leaks "$WORK/last_err" "$@")"
  expect_eq "$what: no secret in vast-csi's log" "" "$(leaks "$WORK/plugin.log" "$@")"
}

CA="secrets.ssl_cert=@$SECRET_DIR/ssl_cert"

# 1. user:password@ in the endpoint: refused, told where credentials go, never quoted.
create_volume pvc-ui1 $GiB "secrets.endpoint=https://k8s-rpc:$PW@$SIM_ENDPOINT" secrets.username=k8s-rpc \
  "secrets.password=$PW" "$CA"
expect_rc "endpoint with userinfo" 3 CV
expect_contains "endpoint with userinfo: says where credentials go" "$CV_err" "username and password keys"
check_clean "endpoint with userinfo" "$PW"
create_volume pvc-ui2 $GiB "secrets.endpoint=https://k8s-rpc:$PW@$SIM_ENDPOINT" "$CA"
expect_rc "endpoint with userinfo, no username/password keys" 3 CV
check_clean "endpoint with userinfo, no username/password keys" "$PW"
create_volume pvc-ui3 $GiB "secrets.endpoint=https://$SIM_ENDPOINT/?token=$PW" secrets.username=k8s-rpc \
  "secrets.password=$PW" "$CA"
expect_rc "endpoint with a query" 3 CV
check_clean "endpoint with a query" "$PW"

# start_proxy MODE: the echoing TLS proxy; sets PROXY_ENDPOINT.
start_proxy() {
  rm -f "$WORK/proxy.port" "$WORK/proxy.tokens"
  "$PY" "$VMS_TESTS/echo_proxy.py" "$1" "$WORK/sim/tls/cert.pem" "$WORK/sim/tls/key.pem" "$SIM_URL" \
    "$WORK/proxy.port" "$WORK/proxy.tokens" 2>"$WORK/proxy.log" &
  EXTRA_PIDS+=($!)
  for _ in $(seq 1 200); do [[ -s "$WORK/proxy.port" ]] && break; sleep 0.05; done
  if [[ ! -s "$WORK/proxy.port" ]]; then
    echo "the echoing proxy did not start:"
    cat "$WORK/proxy.log"
    exit 1
  fi
  PROXY_ENDPOINT="127.0.0.1:$(cat "$WORK/proxy.port")"
}

# 2. The login is echoed in the proxy's 502 page.
start_proxy echo
create_volume pvc-px1 $GiB "secrets.endpoint=$PROXY_ENDPOINT" secrets.username=k8s-rpc "secrets.password=$PW" "$CA"
expect_rc "echoed login" 14 CV
expect_contains "echoed login: the error says what the proxy answered" "$CV_err" "HTTP 502"
expect_contains "echoed login: ... with the password cut out" "$CV_err" '"password":"***"'
check_clean "echoed login" "$PW"
kill_extra_pids

# 3. The login reaches vms-sim; the request after it is echoed with its Bearer token.
start_proxy relay
create_volume pvc-px2 $GiB "secrets.endpoint=$PROXY_ENDPOINT" secrets.username=k8s-rpc "secrets.password=$PW" "$CA"
expect_rc "echoed request" 14 CV
mapfile -t TOKENS <"$WORK/proxy.tokens"
expect_eq "echoed request: vms-sim issued an access and a refresh token" 2 "${#TOKENS[@]}"
expect_contains "echoed request: the error quotes the page" "$CV_err" "Authorization: ***"
check_clean "echoed request" "$PW" "${TOKENS[@]}"
kill_extra_pids

stop_and_check
finish
