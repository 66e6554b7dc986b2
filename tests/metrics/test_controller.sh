#!/usr/bin/env bash
# vast-csi's /metrics, /healthz and /readyz in controller and COSI mode (--http-endpoint),
# read by the Prometheus project's own parser: every family parses and is there from the
# start; between two scrapes the RPC counters moved by exactly the calls made
# (CreateVolume OK, an invalid CreateVolume INVALID_ARGUMENT, DeleteVolume OK), each
# duration histogram counted them too, none is left in flight; the VMS requests per
# collection and method are what vms-sim itself counted, the login one token fetch; calls
# refused while a single worker is held (deadline passed, queue wait over the limit) are
# counted by reason and their wait is seen in the queue-wait histogram; COSI's calls are
# counted under their cosi.v1alpha1 paths.
source "$(dirname "$0")/../controller/helpers.sh"
source "$(dirname "$0")/helpers.sh"

CREATE=/csi.v1.Controller/CreateVolume
DELETE=/csi.v1.Controller/DeleteVolume
CAPS=/csi.v1.Controller/ControllerGetCapabilities

start_sim
# One worker, so a call held by the fault point makes the others queue behind it.
VAST_CSI_FAULTS=rpc.ControllerGetCapabilities=sleep:2500 \
  start_controller --http-endpoint 127.0.0.1:0 --workers 1 --max-queue-wait 500
http_url

# ---------- health ----------

expect_http "/healthz answers 200" /healthz 200
expect_http "/readyz answers 200 once gRPC is served" /readyz 200
expect_http "any other path is 404" /nothing 404

# ---------- calls counted ----------

scrape s0 "${RPC_FAMILIES[@]}" "${VMS_FAMILIES[@]}"
sim_admin POST /_sim/stats/reset >/dev/null

create_ok pvc-m1 "$GiB"
CREATED=$VOL_ID
create_volume "" "$GiB" # no name
expect_eq "CreateVolume without a name is INVALID_ARGUMENT" 3 "$CV_rc"
run_ctl D DeleteVolume "volume_id=$CREATED"
expect_rc "DeleteVolume" 0 D
sim_admin GET /_sim/stats >"$WORK/stats.json"
scrape s1 "${RPC_FAMILIES[@]}" "${VMS_FAMILIES[@]}"

expect_delta "CreateVolume OK counted once" 1 s0 s1 vast_csi_rpc_total method=$CREATE code=OK
expect_delta "the invalid CreateVolume counted as INVALID_ARGUMENT" 1 s0 s1 vast_csi_rpc_total method=$CREATE \
  code=INVALID_ARGUMENT
expect_delta "DeleteVolume OK counted once" 1 s0 s1 vast_csi_rpc_total method=$DELETE code=OK
expect_delta "nothing else counted (scrapes are no RPCs)" 3 s0 s1 vast_csi_rpc_total
expect_delta "CreateVolume's duration histogram counts both" 2 s0 s1 vast_csi_rpc_duration_seconds_count method=$CREATE
expect_delta "DeleteVolume's duration histogram counts it" 1 s0 s1 vast_csi_rpc_duration_seconds_count method=$DELETE
expect_delta "each call waited for a worker once" 3 s0 s1 vast_csi_rpc_queue_wait_seconds_count
expect_eq "no call in flight" 0 "$(value s1 vast_csi_rpc_in_flight)"
expect_delta "no call refused" 0 s0 s1 vast_csi_rpc_refused_total
expect_vms_as_sim "VMS requests per collection and method are those vms-sim saw" s0 s1 "$WORK/stats.json"
expect_delta "the login is one token fetch of the simulator's endpoint" 1 s0 s1 vast_vms_token_refreshes_total \
  "cluster=$SIM_ENDPOINT"
expect_eq "... as vms-sim issued one token" 1 "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens_issued"])' \
  "$WORK/stats.json")"
expect_delta "views: the create's POST answered 201" 1 s0 s1 vast_vms_requests_total collection=views method=POST \
  status=201

# ---------- refusals ----------

# The only worker sleeps 2.5 s in ControllerGetCapabilities; a CreateVolume whose
# deadline (800 ms) passes while it waits, and a ListVolumes that waits past
# --max-queue-wait (500 ms), are answered without running.
ctl ControllerGetCapabilities >/dev/null 2>&1 &
HOLD=$!
EXTRA_PIDS+=("$HOLD")
wait_for "ControllerGetCapabilities holds the worker" 20 \
  bash -c "[[ \$($PROM get $HTTP_URL/metrics | grep -c '^vast_csi_rpc_in_flight 1') == 1 ]]"
ctl -t 800 CreateVolume name=pvc-late capacity_range.required_bytes=$GiB "${VOL_ARGS[@]}" >/dev/null 2>&1 &
LATE=$!
ctl ListVolumes >"$WORK/list.out" 2>"$WORK/list.err" &
BUSY=$!
EXTRA_PIDS+=("$LATE" "$BUSY")
wait "$HOLD" || true
wait "$LATE" || true
BUSY_RC=0
wait "$BUSY" || BUSY_RC=$?
expect_eq "ListVolumes behind the held worker: UNAVAILABLE" 14 "$BUSY_RC"
wait_for "the queue drained" 20 bash -c "[[ \$($PROM get $HTTP_URL/metrics | grep -c '^vast_csi_rpc_in_flight 0') == 1 ]]"
scrape s2 "${RPC_FAMILIES[@]}" "${VMS_FAMILIES[@]}"
expect_delta "refused: the deadline passed while queued" 1 s1 s2 vast_csi_rpc_refused_total reason=deadline
expect_delta "refused: waited longer than --max-queue-wait" 1 s1 s2 vast_csi_rpc_refused_total reason=queue_wait
expect_delta "the late CreateVolume answered DEADLINE_EXCEEDED" 1 s1 s2 vast_csi_rpc_total method=$CREATE \
  code=DEADLINE_EXCEEDED
expect_delta "the busy ListVolumes answered UNAVAILABLE" 1 s1 s2 vast_csi_rpc_total \
  method=/csi.v1.Controller/ListVolumes code=UNAVAILABLE
expect_delta "the holding call answered OK" 1 s1 s2 vast_csi_rpc_total method=$CAPS code=OK
# the two waited at least the 2.5 s hold less the moment the holder started first
waited_long=$(($(delta s1 s2 vast_csi_rpc_queue_wait_seconds_bucket le=+Inf) - $(delta s1 s2 \
  vast_csi_rpc_queue_wait_seconds_bucket le=1)))
expect_eq "the queue-wait histogram has both past 1 s" 2 "$waited_long"
expect_delta "no VMS request for the refused calls" 0 s1 s2 vast_vms_requests_total
stop_plugin
expect_eq "vast-csi (controller) exits 0 on SIGTERM" 0 "$STOP_STATUS"

# ---------- COSI ----------

cat "$WORK/plugin.log" >>"$WORK/plugin.all.log"
PLUGIN_READY_CALL=DriverGetInfo start_plugin --mode cosi --vms-secret-dir "$SECRET_DIR" --http-endpoint 127.0.0.1:0
http_url
expect_http "cosi: /healthz answers 200" /healthz 200
expect_http "cosi: /readyz answers 200" /readyz 200
scrape c0 "${RPC_FAMILIES[@]}" "${VMS_FAMILIES[@]}"
sim_admin POST /_sim/stats/reset >/dev/null
run_ctl B DriverCreateBucket name=bucket-m1 "parameters.root_export=$ROOT" parameters.vip_pool_name=vast-k8s-pool \
  parameters.scheme=http
expect_rc "DriverCreateBucket" 0 B
run_ctl B2 DriverCreateBucket "parameters.root_export=$ROOT"
expect_rc "DriverCreateBucket without a name" 3 B2
sim_admin GET /_sim/stats >"$WORK/stats.json"
scrape c1 "${RPC_FAMILIES[@]}" "${VMS_FAMILIES[@]}"
BUCKET=/cosi.v1alpha1.Provisioner/DriverCreateBucket
expect_delta "cosi: DriverCreateBucket OK counted once" 1 c0 c1 vast_csi_rpc_total method=$BUCKET code=OK
expect_delta "cosi: the nameless one as INVALID_ARGUMENT" 1 c0 c1 vast_csi_rpc_total method=$BUCKET \
  code=INVALID_ARGUMENT
expect_delta "cosi: its duration histogram counts both" 2 c0 c1 vast_csi_rpc_duration_seconds_count method=$BUCKET
expect_vms_as_sim "cosi: VMS requests per collection and method are those vms-sim saw" c0 c1 "$WORK/stats.json"
stop_and_check
finish
