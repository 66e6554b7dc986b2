#!/usr/bin/env bash
# 100 CreateVolume calls at once (50 clients in parallel) against a VMS that takes
# 20 ms per request, plugin with 16 workers: every call succeeds and VAST ends up with
# exactly 100 quotas and 100 views, one each per volume. Then the same 100 deleted in
# parallel leave nothing. No wall-time assertion (speed belongs to bench/); the
# elapsed times are printed.
# shellcheck source=helpers.sh disable=SC2154 # run_ctl sets PREFIX_rc/_out/_err
source "$(dirname "$0")/helpers.sh"

N=100
start_sim
start_controller --workers 16
sim_admin POST /_sim/faults '{"rules": [{"latency_ms": 20}]}' >/dev/null
TENANT=$(inv "by('tenants', name='vast-k8s')[0]['id']")

# one CreateVolume per line of stdin (the volume's number); failures into $WORK/failed
export CSICTL ENDPOINT GiB WORK
create_one() {
  "$CSICTL" -e "$ENDPOINT" -t 60000 -q CreateVolume "name=pvc-c$1" "capacity_range.required_bytes=$(($1 * GiB))" \
    'volume_capabilities[0].access_mode.mode=MULTI_NODE_MULTI_WRITER' 'volume_capabilities[0].mount.fs_type=' \
    parameters.root_export=/k8s parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool \
    2>>"$WORK/errors" || echo "create $1 rc=$?" >>"$WORK/failed"
}
delete_one() {
  "$CSICTL" -e "$ENDPOINT" -t 60000 -q DeleteVolume "volume_id=$1" 2>>"$WORK/errors" ||
    echo "delete $1 rc=$?" >>"$WORK/failed"
}
export -f create_one delete_one
: >"$WORK/failed"
: >"$WORK/errors"

T0=$(now_ms)
seq 1 $N | xargs -P 50 -I{} bash -c 'create_one {}'
ELAPSED=$(($(now_ms) - T0))
echo "# $N CreateVolume, 50 clients, 16 workers, 20 ms per VMS request: $ELAPSED ms"
expect_eq "every CreateVolume succeeded" "" "$(cat "$WORK/failed")"
expect_eq "$N quotas" $N "$(inv "len(inv['quotas'])")"
expect_eq "$N views" $N "$(inv "len(inv['views'])")"
EXPECTED=()
for i in $(seq 1 $N); do EXPECTED+=("/k8s/pvc-c$i"); done
check_volumes "one quota and one view per volume, nothing else" "${EXPECTED[@]}"
# every quota has its own size: no call's quota went to another's path
expect_eq "each quota has its volume's size" 0 \
  "$(inv "sum(1 for q in inv['quotas'] if q['hard_limit'] != int(q['path'].rsplit('pvc-c', 1)[1]) * $GiB)")"
expect_eq "plugin still serving" 0 "$("$CSICTL" -e "$ENDPOINT" -q Probe; echo $?)"

T0=$(now_ms)
seq 1 $N | sed "s|^|vk1::$TENANT:/k8s/pvc-c|" | xargs -P 50 -I{} bash -c 'delete_one {}'
ELAPSED=$(($(now_ms) - T0))
echo "# $N DeleteVolume, 50 clients: $ELAPSED ms"
expect_eq "every DeleteVolume succeeded" "" "$(cat "$WORK/failed")"
check_volumes "all deleted, nothing left"

stop_and_check
finish
