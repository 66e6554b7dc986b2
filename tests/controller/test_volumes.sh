#!/usr/bin/env bash
# Every volume RPC of the Controller against vms-sim, with its error codes, and what
# each leaves on the simulator: CreateVolume (parameters, idempotency, QoS, NFS4,
# secrets in the request), DeleteVolume, ControllerExpandVolume,
# ValidateVolumeCapabilities, ControllerGetVolume (health), ControllerModifyVolume,
# ListVolumes (paging), GetCapacity (cluster and tenant limits) and volumes under a
# tenant root of the default wildcard root export /vast-k8s/tenants/*.
# shellcheck source=helpers.sh disable=SC2154 # run_ctl sets PREFIX_rc/_out/_err
source "$(dirname "$0")/helpers.sh"

start_sim
start_controller

TENANT=$(inv "by('tenants', name='vast-k8s')[0]['id']")
QOS_ID=$(inv "by('qospolicies', name='vast-k8s-qos')[0]['id']")
POLICY_ID=$(inv "by('viewpolicies', name='vast-k8s-nfs')[0]['id']")

# ---------- CreateVolume ----------
create_ok pvc-1 $GiB
V1=$VOL_ID
expect_eq "volume_id carries tenant and path" "vk1::$TENANT:/k8s/pvc-1" "$V1"
expect_eq "capacity_bytes = required_bytes" $GiB "$(jget "$CV_out" volume.capacity_bytes)"
expect_eq "context: export_path" /k8s/pvc-1 "$(jget "$CV_out" volume.volume_context.export_path)"
expect_eq "context: vip_pool_name" vast-k8s-pool "$(jget "$CV_out" volume.volume_context.vip_pool_name)"
expect_eq "context: protocol" NFS "$(jget "$CV_out" volume.volume_context.protocol)"
expect_eq "context: not read-only" "" "$(jget "$CV_out" volume.volume_context.read_only)"
expect_eq "one quota for the volume" 1 "$(inv_count quotas path=/k8s/pvc-1)"
expect_eq "one view for the volume" 1 "$(inv_count views path=/k8s/pvc-1)"
expect_eq "quota hard_limit = size" $GiB "$(inv_get quotas hard_limit /k8s/pvc-1)"
expect_eq "quota in the view policy's tenant" "$TENANT" "$(inv_get quotas tenant_id /k8s/pvc-1)"
# the quota's name: the format's, then the driver's ownership mark (~ and 12 hex)
QN=$(inv_get quotas name /k8s/pvc-1)
expect_eq "quota name from the CSI name" csi-pvc-1 "${QN%\~*}"
expect_eq "quota name ends with the driver's mark" yes "$([[ $QN =~ ~[0-9a-f]{12}$ ]] && echo yes)"
expect_eq "view policy" "$POLICY_ID" "$(inv_get views policy_id /k8s/pvc-1)"
expect_eq "view tenant" "$TENANT" "$(inv_get views tenant_id /k8s/pvc-1)"
expect_eq "view protocols" '["NFS"]' "$(inv_get views protocols /k8s/pvc-1)"
expect_eq "view without QoS" null "$(inv_get views qos_policy_id /k8s/pvc-1)"
if [[ -d "$SIM_FS/k8s/pvc-1" ]]; then pass "directory /k8s/pvc-1 exists"; else fail "no directory /k8s/pvc-1"; fi

# PVC metadata from the external-provisioner names the quota (default volume_name_fmt)
create_ok pvc-meta $GiB parameters.csi.storage.k8s.io/pvc/name=data parameters.csi.storage.k8s.io/pvc/namespace=team-a
expect_eq "context: the PVC's name and namespace" "data team-a" \
  "$(jget "$CV_out" volume.volume_context.pvc_name) $(jget "$CV_out" volume.volume_context.pvc_namespace)"
QN=$(inv_get quotas name /k8s/pvc-meta)
expect_eq "quota name csi:{namespace}:{name}:{id}" csi:team-a:data:pvc-meta "${QN%\~*}"

# idempotency
create_volume pvc-1 $GiB
expect_rc "same name, same size" 0 CV
expect_eq "same name, same size: same volume_id" "$V1" "$VOL_ID"
create_volume pvc-1 $((2 * GiB))
expect_rc "same name, other size" 6 CV
expect_contains "ALREADY_EXISTS says both sizes" "$CV_err" "$GiB"
expect_eq "still one quota" 1 "$(inv_count quotas path=/k8s/pvc-1)"
expect_eq "quota size unchanged" $GiB "$(inv_get quotas hard_limit /k8s/pvc-1)"

# the longest CSI name
LONG=pvc-$(printf 'x%.0s' $(seq 1 124))
create_ok "$LONG" $GiB
LONG_ID=$VOL_ID
expect_le "volume_id of a 128-character name fits CSI's 128 bytes" 128 "${#LONG_ID}"
LONG_PATH=${LONG_ID#vk1::$TENANT:}
expect_eq "one quota for the long name" 1 "$(inv_count quotas "path=$LONG_PATH")"
expect_eq "one view for the long name" 1 "$(inv_count views "path=$LONG_PATH")"
create_volume "$LONG" $GiB
expect_eq "long name again: same volume_id" "$LONG_ID" "$VOL_ID"
expect_le "quota name within VAST's 64 characters" 64 "$(inv_get quotas name "$LONG_PATH" | tr -d '\n' | wc -c)"

# argument errors: INVALID_ARGUMENT before anything is made
run_ctl E CreateVolume capacity_range.required_bytes=$GiB "${VOL_ARGS[@]}"
expect_rc "no name" 3 E
run_ctl E CreateVolume name=pvc-nocaps capacity_range.required_bytes=$GiB "${SC_PARAMS[@]}"
expect_rc "no volume_capabilities" 3 E
run_ctl E --json '{"volume_capabilities":[{"block":{},"access_mode":{"mode":"SINGLE_NODE_WRITER"}}]}' \
  CreateVolume name=pvc-block capacity_range.required_bytes=$GiB "${SC_PARAMS[@]}"
expect_rc "block access" 3 E
expect_contains "block access: says why" "$E_err" "raw block access is not supported"
create_volume pvc-bad $GiB parameters.colour=blue
expect_rc "unknown parameter" 3 CV
expect_contains "unknown parameter named" "$CV_err" '"colour"'
run_ctl E CreateVolume name=pvc-bad capacity_range.required_bytes=$GiB "${MOUNT_CAP[@]}" \
  parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool
expect_rc "no root_export" 3 E
expect_contains "no root_export: named" "$E_err" root_export
run_ctl E CreateVolume name=pvc-bad capacity_range.required_bytes=$GiB "${MOUNT_CAP[@]}" \
  parameters.root_export=/k8s parameters.vip_pool_name=vast-k8s-pool
expect_rc "no view_policy" 3 E
expect_contains "no view_policy: named" "$E_err" view_policy
run_ctl E CreateVolume name=pvc-bad capacity_range.required_bytes=$GiB "${MOUNT_CAP[@]}" \
  parameters.root_export=/k8s parameters.view_policy=vast-k8s-nfs
expect_rc "no VIP pool" 3 E
expect_contains "no VIP pool: named" "$E_err" vip_pool_name
run_ctl E CreateVolume name=pvc-bad capacity_range.required_bytes=$GiB "${MOUNT_CAP[@]}" \
  parameters.root_export=k8s parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool
expect_rc "relative root_export" 3 E
create_volume pvc-bad $GiB parameters.view_policy=no-such-policy
expect_rc "unknown view policy: INVALID_ARGUMENT, a bad parameter" 3 CV
expect_contains "unknown view policy named" "$CV_err" no-such-policy
create_volume pvc-bad $GiB parameters.vip_pool_name=no-such-pool
expect_rc "unknown VIP pool: INVALID_ARGUMENT, a bad parameter" 3 CV
expect_contains "unknown VIP pool named" "$CV_err" no-such-pool
create_volume pvc-bad $GiB parameters.qos_policy=no-such-qos
expect_rc "unknown QoS policy: INVALID_ARGUMENT, a bad parameter" 3 CV
expect_contains "unknown QoS policy named" "$CV_err" no-such-qos
create_volume pvc-bad $((2 * GiB)) capacity_range.limit_bytes=$GiB
expect_rc "required_bytes > limit_bytes" 11 CV
create_volume pvc-bad $GiB mutable_parameters.colour=blue
expect_rc "unknown mutable parameter" 3 CV
check_volumes "failed creates left nothing" /k8s/pvc-1 /k8s/pvc-meta "$LONG_PATH"

# QoS from the StorageClass lands on the view
create_ok pvc-qos $GiB parameters.qos_policy=vast-k8s-qos
expect_eq "view qos_policy_id" "$QOS_ID" "$(inv_get views qos_policy_id /k8s/pvc-qos)"
create_ok pvc-qosid $GiB parameters.qos_policy_id="$QOS_ID"
expect_eq "qos_policy_id parameter" "$QOS_ID" "$(inv_get views qos_policy_id /k8s/pvc-qosid)"
create_ok pvc-vac $GiB mutable_parameters.qos_policy=vast-k8s-qos
expect_eq "QoS from a VolumeAttributesClass" "$QOS_ID" "$(inv_get views qos_policy_id /k8s/pvc-vac)"

# NFS 4 when the mount options ask for it
create_ok pvc-nfs4 $GiB parameters.mount_options=hard,vers=4.1
expect_eq "vers=4.1: view protocol NFS4" '["NFS4"]' "$(inv_get views protocols /k8s/pvc-nfs4)"
expect_eq "vers=4.1: context protocol" NFS4 "$(jget "$CV_out" volume.volume_context.protocol)"
expect_eq "mount_options in the context" hard,vers=4.1 "$(jget "$CV_out" volume.volume_context.mount_options)"
create_ok pvc-nfsvers4 $GiB parameters.mount_options=nfsvers=4
expect_eq "nfsvers=4: NFS4" '["NFS4"]' "$(inv_get views protocols /k8s/pvc-nfsvers4)"
create_ok pvc-nfs3 $GiB parameters.mount_options=vers=3,nolock
expect_eq "vers=3: NFS" '["NFS"]' "$(inv_get views protocols /k8s/pvc-nfs3)"

# ---------- ValidateVolumeCapabilities ----------
run_ctl VV ValidateVolumeCapabilities "volume_id=$V1" "${MOUNT_CAP[@]}"
expect_rc "validate mount access" 0 VV
expect_eq "confirmed the capability" MULTI_NODE_MULTI_WRITER \
  "$(jget "$VV_out" confirmed.volume_capabilities.0.access_mode.mode)"
run_ctl VV --json '{"volume_capabilities":[{"block":{},"access_mode":{"mode":"SINGLE_NODE_WRITER"}}]}' \
  ValidateVolumeCapabilities "volume_id=$V1"
expect_rc "validate block access" 0 VV
expect_eq "block access not confirmed" "" "$(jget "$VV_out" confirmed)"
expect_contains "block access: message" "$(jget "$VV_out" message)" "raw block"
run_ctl VV ValidateVolumeCapabilities "volume_id=vk1::$TENANT:/k8s/pvc-none" "${MOUNT_CAP[@]}"
expect_rc "validate unknown volume" 5 VV
run_ctl VV ValidateVolumeCapabilities volume_id=garbage "${MOUNT_CAP[@]}"
expect_rc "validate garbage id" 5 VV
run_ctl VV ValidateVolumeCapabilities "volume_id=$V1"
expect_rc "validate without capabilities" 3 VV
run_ctl VV ValidateVolumeCapabilities "${MOUNT_CAP[@]}"
expect_rc "validate without volume_id" 3 VV

# ---------- ControllerExpandVolume ----------
run_ctl X ControllerExpandVolume "volume_id=$V1" capacity_range.required_bytes=$((3 * GiB))
expect_rc "expand" 0 X
expect_eq "expand: new capacity" $((3 * GiB)) "$(jget "$X_out" capacity_bytes)"
expect_eq "expand: no node expansion" "" "$(jget "$X_out" node_expansion_required)"
expect_eq "expand: quota raised" $((3 * GiB)) "$(inv_get quotas hard_limit /k8s/pvc-1)"
run_ctl X ControllerExpandVolume "volume_id=$V1" capacity_range.required_bytes=$GiB
expect_rc "expand to less" 0 X
expect_eq "expand to less: capacity stays" $((3 * GiB)) "$(jget "$X_out" capacity_bytes)"
expect_eq "expand to less: quota not shrunk" $((3 * GiB)) "$(inv_get quotas hard_limit /k8s/pvc-1)"
run_ctl X ControllerExpandVolume "volume_id=$V1"
expect_rc "expand without capacity_range" 3 X
run_ctl X ControllerExpandVolume capacity_range.required_bytes=$GiB
expect_rc "expand without volume_id" 3 X
run_ctl X ControllerExpandVolume "volume_id=vk1::$TENANT:/k8s/pvc-none" capacity_range.required_bytes=$GiB
expect_rc "expand unknown volume" 5 X
run_ctl X ControllerExpandVolume volume_id=garbage capacity_range.required_bytes=$GiB
expect_rc "expand garbage id" 5 X
# CreateVolume after an expansion: same name, the size first asked (the CO's retry)
create_volume pvc-1 $GiB
expect_rc "create after expand, original size" 6 CV

# ---------- ControllerGetVolume ----------
run_ctl G -d ControllerGetVolume "volume_id=$V1"
expect_rc "get volume" 0 G
expect_eq "get: capacity" $((3 * GiB)) "$(jget "$G_out" volume.capacity_bytes)"
expect_eq "get: healthy" false "$(jget "$G_out" status.volume_condition.abnormal)"
run_ctl G ControllerGetVolume "volume_id=vk1::$TENANT:/k8s/pvc-none"
expect_rc "get unknown volume" 5 G
run_ctl G ControllerGetVolume volume_id=garbage
expect_rc "get garbage id" 5 G
run_ctl G ControllerGetVolume
expect_rc "get without volume_id" 3 G
# the export removed behind the driver's back: the volume is abnormal
VIEW_ID=$(inv_get views id /k8s/pvc-nfs3)
sim_api DELETE "views/$VIEW_ID/" >/dev/null
run_ctl G -d ControllerGetVolume "volume_id=vk1::$TENANT:/k8s/pvc-nfs3"
expect_rc "get volume without view" 0 G
expect_eq "no view: abnormal" true "$(jget "$G_out" status.volume_condition.abnormal)"
expect_contains "no view: says so" "$(jget "$G_out" status.volume_condition.message)" "no NFS export"

# ---------- ControllerModifyVolume ----------
run_ctl M ControllerModifyVolume "volume_id=$V1" mutable_parameters.qos_policy=vast-k8s-qos
expect_rc "modify: set QoS" 0 M
expect_eq "modify: view has the QoS policy" "$QOS_ID" "$(inv_get views qos_policy_id /k8s/pvc-1)"
run_ctl M ControllerModifyVolume "volume_id=$V1" mutable_parameters.qos_policy=
expect_rc "modify: clear QoS" 0 M
expect_eq "modify: view without QoS" null "$(inv_get views qos_policy_id /k8s/pvc-1)"
run_ctl M ControllerModifyVolume "volume_id=$V1" mutable_parameters.iops=100
expect_rc "modify: unknown mutable parameter" 3 M
expect_contains "modify: parameter named" "$M_err" '"iops"'
run_ctl M ControllerModifyVolume "volume_id=$V1" mutable_parameters.qos_policy=no-such-qos
expect_rc "modify: unknown QoS policy" 3 M
expect_eq "modify: refused change left the view alone" null "$(inv_get views qos_policy_id /k8s/pvc-1)"
run_ctl M ControllerModifyVolume "volume_id=vk1::$TENANT:/k8s/pvc-none" mutable_parameters.qos_policy=vast-k8s-qos
expect_rc "modify: unknown volume" 5 M
run_ctl M ControllerModifyVolume mutable_parameters.qos_policy=vast-k8s-qos
expect_rc "modify: no volume_id" 3 M

# ---------- ListVolumes ----------
# every page, following next_token; prints "volume_id abnormal" lines
list_all() {
  local token="" page=$1 args
  LIST_PAGES=0
  : >"$WORK/listed"
  while :; do
    args=(-d ListVolumes "max_entries=$page")
    [[ -z $token ]] || args+=("starting_token=$token")
    run_ctl L "${args[@]}"
    [[ $L_rc == 0 ]] || { fail "ListVolumes page $LIST_PAGES: rc=$L_rc $L_err"; return; }
    LIST_PAGES=$((LIST_PAGES + 1))
    "$PY" -c 'import json,sys
for e in json.loads(sys.argv[1]).get("entries", []):
    print(e["volume"]["volume_id"], str(e["status"]["volume_condition"]["abnormal"]).lower(), e["volume"]["capacity_bytes"])' \
      "$L_out" >>"$WORK/listed"
    if (( page > 0 )); then
      expect_le "ListVolumes page of at most $page" "$page" "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["entries"]))' "$L_out")"
    fi
    token=$(jget "$L_out" next_token)
    [[ -n $token ]] || break
  done
}
ALL=(/k8s/pvc-1 /k8s/pvc-meta "$LONG_PATH" /k8s/pvc-qos /k8s/pvc-qosid /k8s/pvc-vac /k8s/pvc-nfs4 /k8s/pvc-nfsvers4 /k8s/pvc-nfs3)
expected_ids() { local p; for p in "${ALL[@]}"; do echo "vk1::$TENANT:$p"; done | sort; }
list_all 0
expect_eq "ListVolumes: every volume once, one page" "$(expected_ids)" "$(cut -d' ' -f1 "$WORK/listed" | sort)"
expect_eq "ListVolumes: capacity of pvc-1" "$V1 false $((3 * GiB))" "$(grep "^$V1 " "$WORK/listed")"
expect_eq "ListVolumes: volume without a view is abnormal" "vk1::$TENANT:/k8s/pvc-nfs3 true $GiB" \
  "$(grep "/k8s/pvc-nfs3 " "$WORK/listed")"
list_all 2
expect_eq "ListVolumes by 2: every volume once" "$(expected_ids)" "$(cut -d' ' -f1 "$WORK/listed" | sort)"
expect_eq "ListVolumes by 2: pages" 5 "$LIST_PAGES"
# the token stays good when the last volume of a page is deleted and volumes are added
run_ctl L ListVolumes max_entries=2
FIRST_PAGE=$("$PY" -c 'import json,sys
print(" ".join(e["volume"]["volume_id"] for e in json.loads(sys.argv[1])["entries"]))' "$L_out")
expect_eq "first page: the two oldest volumes" "$V1 vk1::$TENANT:/k8s/pvc-meta" "$FIRST_PAGE"
TOKEN=$(jget "$L_out" next_token)
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-meta"
create_ok pvc-late $GiB
run_ctl L ListVolumes "starting_token=$TOKEN"
expect_rc "next page after its predecessor's last volume was deleted" 0 L
ALL=(/k8s/pvc-1 "$LONG_PATH" /k8s/pvc-qos /k8s/pvc-qosid /k8s/pvc-vac /k8s/pvc-nfs4 /k8s/pvc-nfsvers4 /k8s/pvc-nfs3 /k8s/pvc-late)
expect_eq "the rest: no volume skipped or repeated, the new one included" \
  "$(for p in "${ALL[@]:1}"; do echo "vk1::$TENANT:$p"; done | sort)" \
  "$("$PY" -c 'import json,sys
for e in json.loads(sys.argv[1])["entries"]: print(e["volume"]["volume_id"])' "$L_out" | sort)"
run_ctl L ListVolumes starting_token=not-a-token
expect_rc "ListVolumes: bad starting_token" 10 L
run_ctl L ListVolumes max_entries=-1
expect_rc "ListVolumes: negative max_entries" 3 L

# ---------- DeleteVolume ----------
create_snapshot snap-keep "$V1"
expect_rc "snapshot of pvc-1" 0 CS
run_ctl D DeleteVolume "volume_id=$V1"
expect_rc "delete a volume with a snapshot" 9 D
expect_contains "delete refused: names the snapshot" "$D_err" csi-snap-keep
expect_eq "refused delete kept the view" 1 "$(inv_count views path=/k8s/pvc-1)"
expect_eq "refused delete kept the quota" 1 "$(inv_count quotas path=/k8s/pvc-1)"
run_ctl DS DeleteSnapshot "snapshot_id=$SNAP_ID"
expect_rc "delete the snapshot" 0 DS
run_ctl D DeleteVolume "volume_id=$V1"
expect_rc "delete pvc-1" 0 D
expect_eq "deleted: no quota" 0 "$(inv_count quotas path=/k8s/pvc-1)"
expect_eq "deleted: no view" 0 "$(inv_count views path=/k8s/pvc-1)"
if [[ ! -e "$SIM_FS/k8s/pvc-1" ]]; then pass "deleted: directory gone"; else fail "deleted: /k8s/pvc-1 still on disk"; fi
run_ctl D DeleteVolume "volume_id=$V1"
expect_rc "delete again" 0 D
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-never"
expect_rc "delete an unknown volume" 0 D
run_ctl D DeleteVolume volume_id=garbage
expect_rc "delete a garbage id" 0 D
run_ctl D DeleteVolume
expect_rc "delete without volume_id" 3 D
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-nfs3"
expect_rc "delete the volume whose view was removed" 0 D
ALL=("$LONG_PATH" /k8s/pvc-qos /k8s/pvc-qosid /k8s/pvc-vac /k8s/pvc-nfs4 /k8s/pvc-nfsvers4 /k8s/pvc-late)
list_all 0
expect_eq "ListVolumes: deleted volumes gone" "$(expected_ids)" "$(cut -d' ' -f1 "$WORK/listed" | sort)"
check_volumes "after the deletes" "${ALL[@]}"

# ---------- GetCapacity ----------
cluster_free() { sim_api GET clusters/ | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["free_usable_capacity"])'; }
run_ctl C GetCapacity
expect_rc "GetCapacity" 0 C
expect_eq "GetCapacity = the cluster's free capacity" "$(cluster_free)" "$(jget "$C_out" available_capacity)"
run_ctl C GetCapacity parameters.view_policy=vast-k8s-nfs "${MOUNT_CAP[@]}"
expect_eq "GetCapacity for the StorageClass, no tenant limit" "$(cluster_free)" "$(jget "$C_out" available_capacity)"
# a tenant limit of 10 GiB and 1 MiB written into one of its volumes
sim_api PATCH "tenants/$TENANT/" "{\"capacity_rules\": {\"hard_limit\": $((10 * GiB))}}" >/dev/null
head -c 1048576 /dev/zero >"$SIM_FS/k8s/pvc-qos/data"
run_ctl C GetCapacity parameters.view_policy=vast-k8s-nfs "${MOUNT_CAP[@]}"
expect_rc "GetCapacity with a tenant limit" 0 C
expect_eq "GetCapacity = tenant limit - tenant use" $((10 * GiB - 1048576)) "$(jget "$C_out" available_capacity)"
run_ctl C GetCapacity
expect_eq "GetCapacity without a StorageClass: the cluster's" "$(cluster_free)" "$(jget "$C_out" available_capacity)"
run_ctl C -d --json '{"volume_capabilities":[{"block":{},"access_mode":{"mode":"SINGLE_NODE_WRITER"}}]}' \
  GetCapacity parameters.view_policy=vast-k8s-nfs
expect_eq "GetCapacity for block volumes: none" 0 "$(jget "$C_out" available_capacity)"

# ---------- the cluster from the request's secrets ----------
stop_plugin
start_controller_no_default # no default cluster
create_volume pvc-nosecret $GiB
expect_rc "no secret and no default cluster" 9 CV
SECRETS=("secrets.endpoint=$SIM_ENDPOINT" secrets.username=admin secrets.password=123456 "secrets.ssl_cert=@$SECRET_DIR/ssl_cert")
create_volume pvc-sec $GiB "${SECRETS[@]}"
expect_rc "create with the secret in the request" 0 CV
expect_eq "secret volume: quota" 1 "$(inv_count quotas path=/k8s/pvc-sec hard_limit=$GiB)"
expect_eq "secret volume: view" 1 "$(inv_count views path=/k8s/pvc-sec)"
create_volume pvc-sec2 $GiB "secrets.endpoint=$SIM_ENDPOINT" secrets.username=admin secrets.password=wrong \
  "secrets.ssl_cert=@$SECRET_DIR/ssl_cert"
expect_rc "bad password" 16 CV
create_volume pvc-sec2 $GiB secrets.username=admin secrets.password=123456 "secrets.ssl_cert=@$SECRET_DIR/ssl_cert"
expect_rc "secret without endpoint" 3 CV
expect_contains "secret without endpoint: named" "$CV_err" endpoint
create_volume pvc-sec2 $GiB "secrets.endpoint=$SIM_ENDPOINT" secrets.username=admin "secrets.ssl_cert=@$SECRET_DIR/ssl_cert"
expect_rc "secret without password" 3 CV
create_volume pvc-sec2 $GiB "secrets.endpoint=$SIM_ENDPOINT" secrets.username=admin secrets.password=123456
expect_rc "secret without the CA of a self-signed VMS" 14 CV
TOKEN=$(sim_api POST apitokens/ '{"name": "csi-test"}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
create_volume pvc-tok $GiB "secrets.endpoint=$SIM_ENDPOINT" "secrets.token=$TOKEN" "secrets.ssl_cert=@$SECRET_DIR/ssl_cert"
expect_rc "create with an API token" 0 CV
run_ctl X ControllerExpandVolume "volume_id=vk1::$TENANT:/k8s/pvc-sec" capacity_range.required_bytes=$((2 * GiB)) "${SECRETS[@]}"
expect_rc "expand with the secret" 0 X
expect_eq "expand with the secret: quota" $((2 * GiB)) "$(inv_get quotas hard_limit /k8s/pvc-sec)"
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-sec" "${SECRETS[@]}"
expect_rc "delete with the secret" 0 D
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-tok" "secrets.endpoint=$SIM_ENDPOINT" "secrets.token=$TOKEN" \
  "secrets.ssl_cert=@$SECRET_DIR/ssl_cert"
expect_rc "delete with the API token" 0 D
check_volumes "secret volumes gone, nothing else touched" "${ALL[@]}"

# a multi-cluster secret (key "clusters": name -> settings) and cluster_name
{
  echo "c1:"
  echo "  endpoint: \"$SIM_ENDPOINT\""
  echo "  username: admin"
  echo "  password: \"123456\""
  echo "  ssl_cert: |"
  sed 's/^/    /' "$SECRET_DIR/ssl_cert"
  echo "c2:"
  echo "  endpoint: \"127.0.0.1:1\""
  echo "  username: admin"
  echo "  password: \"123456\""
} >"$WORK/clusters.yaml"
MULTI=("secrets.clusters=@$WORK/clusters.yaml")
create_volume pvc-mc $GiB parameters.cluster_name=c1 "${MULTI[@]}"
expect_rc "multi-cluster secret, cluster c1" 0 CV
expect_eq "multi-cluster: the id names the cluster" "vk1:c1:$TENANT:/k8s/pvc-mc" "$VOL_ID"
expect_eq "multi-cluster: context cluster_name" c1 "$(jget "$CV_out" volume.volume_context.cluster_name)"
expect_eq "multi-cluster: made on c1" "1 1" "$(inv_count quotas path=/k8s/pvc-mc) $(inv_count views path=/k8s/pvc-mc)"
create_volume pvc-mc2 $GiB "${MULTI[@]}"
expect_rc "multi-cluster secret without cluster_name" 3 CV
create_volume pvc-mc2 $GiB parameters.cluster_name=c9 "${MULTI[@]}"
expect_rc "multi-cluster secret, unknown cluster" 3 CV
expect_contains "unknown cluster named" "$CV_err" '"c9"'
run_ctl X ControllerExpandVolume "volume_id=vk1:c1:$TENANT:/k8s/pvc-mc" capacity_range.required_bytes=$((2 * GiB)) "${MULTI[@]}"
expect_rc "multi-cluster: expand finds c1 from the id" 0 X
expect_eq "multi-cluster: quota raised" $((2 * GiB)) "$(inv_get quotas hard_limit /k8s/pvc-mc)"
run_ctl D DeleteVolume "volume_id=vk1:c1:$TENANT:/k8s/pvc-mc" "${MULTI[@]}"
expect_rc "multi-cluster: delete" 0 D
check_volumes "multi-cluster volume gone" "${ALL[@]}"
stop_plugin

# ---------- volumes of the vendor's driver (id = the directory name) ----------
start_controller
sim_api POST quotas/ "{\"name\": \"csi:default:data:pvc-0c8e27c4-5f0b-4a55-9d1e-6f3b8a2d9e17\", \"path\": \"/k8s/pvc-0c8e27c4-5f0b-4a55-9d1e-6f3b8a2d9e17\", \"create_dir\": true,
  \"tenant_id\": $TENANT, \"hard_limit\": $GiB}" >/dev/null
sim_api POST views/ "{\"path\": \"/k8s/pvc-0c8e27c4-5f0b-4a55-9d1e-6f3b8a2d9e17\", \"policy_id\": $POLICY_ID, \"tenant_id\": $TENANT}" >/dev/null
run_ctl G -d ControllerGetVolume volume_id=pvc-0c8e27c4-5f0b-4a55-9d1e-6f3b8a2d9e17
expect_rc "vendor id: get" 0 G
expect_eq "vendor id: healthy, its capacity" "false $GiB" \
  "$(jget "$G_out" status.volume_condition.abnormal) $(jget "$G_out" volume.capacity_bytes)"
run_ctl X ControllerExpandVolume volume_id=pvc-0c8e27c4-5f0b-4a55-9d1e-6f3b8a2d9e17 capacity_range.required_bytes=$((2 * GiB))
expect_rc "vendor id: expand" 0 X
expect_eq "vendor id: quota raised" $((2 * GiB)) "$(inv_get quotas hard_limit /k8s/pvc-0c8e27c4-5f0b-4a55-9d1e-6f3b8a2d9e17)"
run_ctl D DeleteVolume volume_id=pvc-0c8e27c4-5f0b-4a55-9d1e-6f3b8a2d9e17
expect_rc "vendor id: delete" 0 D
check_volumes "vendor volume gone" "${ALL[@]}"

# ---------- tenant roots: the default root export /vast-k8s/tenants/* ----------
# The operator makes a tenant's root with its quota; the driver (default --root-exports)
# makes volumes directly under it, lists and snapshots them, and never takes the root's
# own quota, its parent or anything deeper for a volume.
TROOT=/vast-k8s/tenants/vk-x
sim_api POST quotas/ "{\"name\": \"vk-x\", \"path\": \"$TROOT\", \"create_dir\": true, \"tenant_id\": $TENANT,
  \"hard_limit\": $((100 * GiB))}" >/dev/null
ROOT_QUOTA=$(inv_get quotas id "$TROOT")
tenant_create() {
  run_ctl CV CreateVolume "name=$1" "capacity_range.required_bytes=$GiB" "${MOUNT_CAP[@]}" \
    "parameters.root_export=$2" parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool
  VOL_ID=""
  if [[ $CV_rc == 0 ]]; then VOL_ID=$(json_field "$CV_out" volume.volume_id); fi
}
tenant_create pvc-t "$TROOT/"
expect_rc "create under a tenant root" 0 CV
TVOL=$VOL_ID
expect_eq "tenant volume: its id" "vk1::$TENANT:$TROOT/pvc-t" "$TVOL"
expect_eq "tenant volume: quota and view" "1 1" "$(inv_count quotas path=$TROOT/pvc-t) $(inv_count views path=$TROOT/pvc-t)"
if [[ -d "$SIM_FS$TROOT/pvc-t" ]]; then pass "tenant volume: its directory"; else fail "no $TROOT/pvc-t on disk"; fi
for bad in /vast-k8s/tenants '/vast-k8s/tenants/*' /vast-k8s/tenants/vk-x/pvc-t /vast-k8s/tenants/.x; do
  tenant_create pvc-bad "$bad"
  expect_rc "root_export $bad refused" 3 CV
  expect_contains "root_export $bad: names the flag" "$CV_err" "--root-exports"
done
expect_eq "refused roots made nothing" 0 "$(inv "len([q for q in inv['quotas'] if 'pvc-bad' in q['path']])")"
run_ctl G -d ControllerGetVolume "volume_id=vk1::$TENANT:$TROOT"
expect_rc "the tenant root is no volume" 5 G
run_ctl X ControllerExpandVolume "volume_id=vk1::$TENANT:$TROOT" capacity_range.required_bytes=$((200 * GiB))
expect_rc "the tenant root cannot be expanded" 5 X
list_all 0
expect_eq "ListVolumes: the tenant volume listed, not its tenant root" \
  "$( (expected_ids; echo "$TVOL") | sort)" "$(cut -d' ' -f1 "$WORK/listed" | sort)"
list_all 1
expect_eq "ListVolumes by 1: the tenant volume once" 1 "$(grep -c "^$TVOL " "$WORK/listed")"
create_snapshot snap-t "$TVOL"
expect_rc "snapshot of the tenant volume" 0 CS
TSNAP=$SNAP_ID
expect_contains "its id names the tenant volume" "$TSNAP" ":$TROOT/pvc-t"
expect_eq "one VAST snapshot of it" 1 "$(inv_count snapshots base_name=csi-snap-t path=$TROOT/pvc-t/)"
run_ctl LS ListSnapshots
expect_contains "ListSnapshots: every snapshot holds it" "$LS_out" "$TSNAP"
run_ctl LS ListSnapshots "source_volume_id=$TVOL"
expect_eq "ListSnapshots by the tenant volume" "$TSNAP" \
  "$("$PY" -c 'import json,sys
for e in json.loads(sys.argv[1]).get("entries", []): print(e["snapshot"]["snapshot_id"])' "$LS_out")"
run_ctl D DeleteVolume "volume_id=$TVOL"
expect_rc "a tenant volume with a snapshot is not deleted" 9 D
run_ctl DS DeleteSnapshot "snapshot_id=$TSNAP"
expect_rc "delete the tenant volume's snapshot" 0 DS
expect_eq "snapshot gone" 0 "$(inv_count snapshots base_name=csi-snap-t)"
run_ctl D DeleteVolume "volume_id=$TVOL"
expect_rc "delete the tenant volume" 0 D
expect_eq "tenant volume gone: quota and view" "0 0" "$(inv_count quotas path=$TROOT/pvc-t) $(inv_count views path=$TROOT/pvc-t)"
if [[ ! -e "$SIM_FS$TROOT/pvc-t" ]]; then pass "tenant volume gone: its directory"; else fail "$TROOT/pvc-t still on disk"; fi
expect_eq "the tenant root's quota stays as the operator made it" "$ROOT_QUOTA vk-x $((100 * GiB))" \
  "$(inv_get quotas id "$TROOT") $(inv_get quotas name "$TROOT") $(inv_get quotas hard_limit "$TROOT")"
if [[ -d "$SIM_FS$TROOT" ]]; then pass "the tenant root's directory stays"; else fail "$TROOT was removed"; fi
list_all 0
expect_eq "ListVolumes: the tenant volume gone, the root still not listed" "$(expected_ids)" \
  "$(cut -d' ' -f1 "$WORK/listed" | sort)"
check_volumes "the /k8s volumes untouched by the tenant root's" "${ALL[@]}"
stop_and_check
finish
