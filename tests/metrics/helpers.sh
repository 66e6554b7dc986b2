# shellcheck shell=bash
# Helpers for the metrics tests: vast-csi started with --http-endpoint on a port of its
# choosing (read back from its log), its /metrics scraped and read by the Prometheus
# project's own parser (prom.py, python3-prometheus-client), and the counters compared
# between two scrapes with what the test did and what the simulator saw.
# Sourced after tests/controller/helpers.sh or tests/node/helpers.sh.
# shellcheck disable=SC2154 # WORK, PY, PLUGIN_PID come from tests/integration/lib.sh
PROM="$PY $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/prom.py"

RPC_FAMILIES=(vast_csi_rpc_total:counter vast_csi_rpc_duration_seconds:histogram vast_csi_rpc_in_flight:gauge
  vast_csi_rpc_queue_wait_seconds:histogram vast_csi_rpc_refused_total:counter)
VMS_FAMILIES=(vast_vms_requests_total:counter vast_vms_request_duration_seconds:histogram
  vast_vms_token_refreshes_total:counter)
NODE_FAMILIES=(vast_csi_node_operation_duration_seconds:histogram vast_csi_node_stale_mounts_total:counter
  vast_csi_node_abandoned_helpers_total:counter)

# http_url: the running plugin's http://127.0.0.1:PORT from its "vast-csi serving" line
# (it was started with --http-endpoint 127.0.0.1:0). Sets HTTP_URL.
http_url() {
  local port=""
  for _ in $(seq 1 100); do
    port=$(grep -o 'http_port=[0-9]*' "$WORK/plugin.log" | tail -1 | cut -d= -f2 || true)
    [[ -z $port ]] || break
    sleep 0.05
  done
  [[ -n $port ]] || { fail "vast-csi logged no http_port"; finish; }
  HTTP_URL="http://127.0.0.1:$port"
}

# expect_http WHAT PATH STATUS: GET $HTTP_URL/PATH answers STATUS.
expect_http() {
  local got
  got=$($PROM get "$HTTP_URL$2")
  expect_eq "$1" "$3" "${got%% *}"
}

# scrape NAME FAMILY:TYPE...: GET /metrics into $WORK/NAME.json; one check that every
# family parses, histograms are well formed and the families named are there.
scrape() {
  local name=$1 report
  shift
  report=$($PROM snapshot "$HTTP_URL/metrics" "$WORK/$name.json" "$@") || true
  expect_eq "scrape $name: parses, histograms well formed, families present" "" "$report"
}

# delta BEFORE AFTER NAME [label=value...]: the change of NAME's matching series.
delta() {
  local a=$1 b=$2
  shift 2
  $PROM delta "$WORK/$a.json" "$WORK/$b.json" "$@"
}

# value SNAP NAME [label=value...]
value() {
  local s=$1
  shift
  $PROM value "$WORK/$s.json" "$@"
}

# expect_delta WHAT EXPECTED BEFORE AFTER NAME [label=value...]
expect_delta() {
  local what=$1 want=$2
  shift 2
  expect_eq "$what" "$want" "$(delta "$@")"
}

# expect_vms_as_sim WHAT BEFORE AFTER STATS: between the two scrapes, the plugin's
# vast_vms_requests_total (each of its histogram counts too) per collection and method
# equals what the simulator counted in /_sim/stats (saved to the file STATS, counters
# reset at BEFORE), and the whole cluster label is the simulator's host:port.
expect_vms_as_sim() {
  local report
  report=$("$PY" - "$WORK/$2.json" "$WORK/$3.json" "$4" "$SIM_ENDPOINT" <<'PY'
import collections, json, sys
before, after, stats = (json.load(open(f)) for f in sys.argv[1:4])
cluster = sys.argv[4]
def per(snap, name):
    out = collections.Counter()
    for s in snap["samples"]:
        if s["name"] == name:
            l = s["labels"]
            if name == "vast_vms_requests_total" and l["cluster"] != cluster:
                out[("cluster", l["cluster"])] += s["value"]
            out[(l["collection"], l["method"])] += s["value"]
    return out
problems = []
sim = collections.Counter()
for key, n in stats["requests"].items():
    method, path = key.split(" ", 1)
    sim[(path.strip("/").split("/")[0], method)] += n
for name in ("vast_vms_requests_total", "vast_vms_request_duration_seconds_count"):
    got = per(after, name)
    got.subtract(per(before, name))
    got = {k: v for k, v in got.items() if v}
    if got != dict(sim):
        problems.append("%s moved by %s, the simulator saw %s" % (name, sorted(got.items()), sorted(sim.items())))
if not sim:
    problems.append("the simulator saw no request")
print("; ".join(problems))
PY
)
  expect_eq "$1" "" "$report"
}
