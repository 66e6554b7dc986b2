#!/usr/bin/env bash
# Snapshots and volumes with content against vms-sim: CreateSnapshot, ListSnapshots
# (filters, paging), GetSnapshot, DeleteSnapshot; restores of real data (the file
# written before the snapshot comes back, not its later version), read-only restores
# served from the snapshot, clones of volumes (temporary snapshot removed), missing
# sources, and a slow clone: CreateVolume answers ABORTED with the progress while the
# data is copied and OK only once it is complete.
# shellcheck source=helpers.sh disable=SC2154 # run_ctl sets PREFIX_rc/_out/_err
source "$(dirname "$0")/helpers.sh"

start_sim
start_controller
TENANT=$(inv "by('tenants', name='vast-k8s')[0]['id']")
RO_CAP='volume_capabilities[0].access_mode.mode=MULTI_NODE_READER_ONLY'

create_ok pvc-src $GiB
SRC=$VOL_ID
printf 'version 1\n' >"$SIM_FS/k8s/pvc-src/file.txt"
mkdir -p "$SIM_FS/k8s/pvc-src/sub"
printf 'nested\n' >"$SIM_FS/k8s/pvc-src/sub/inner.txt"

# ---------- CreateSnapshot ----------
create_snapshot snap-1 "$SRC"
expect_rc "CreateSnapshot" 0 CS
S1=$SNAP_ID
expect_eq "ready_to_use" true "$(jget "$CS_out" snapshot.ready_to_use)"
expect_eq "source_volume_id" "$SRC" "$(jget "$CS_out" snapshot.source_volume_id)"
expect_contains "snapshot_id names the volume path" "$S1" ":/k8s/pvc-src"
CREATED=$(jget "$CS_out" snapshot.creation_time)
expect_eq "creation_time is VAST's" "$(inv "by('snapshots', base_name='csi-snap-1')[0]['created'][:19]")" "${CREATED:0:19}"
expect_eq "size_bytes (restoreSize) = the source's capacity" "$(inv_get quotas hard_limit /k8s/pvc-src)" \
  "$(jget "$CS_out" snapshot.size_bytes)"
expect_eq "one VAST snapshot of the volume" 1 "$(inv_count snapshots base_name=csi-snap-1 path=/k8s/pvc-src/ tenant_id="$TENANT")"
expect_eq "snapshot holds the data" "version 1" "$(cat "$SIM_FS"/k8s/pvc-src/.snapshot/csi-snap-1~*/file.txt)"
create_snapshot snap-1 "$SRC"
expect_rc "same name again" 0 CS
expect_eq "same name again: same snapshot_id" "$S1" "$SNAP_ID"
expect_eq "same name again: still one VAST snapshot" 1 "$(inv_count snapshots base_name=csi-snap-1)"

create_ok pvc-other $GiB
OTHER=$VOL_ID
create_snapshot snap-1 "$OTHER"
expect_rc "same name, other source" 6 CS
expect_eq "other source: no snapshot made" 1 "$(inv_count snapshots base_name=csi-snap-1)"
run_ctl CS CreateSnapshot "source_volume_id=$SRC"
expect_rc "no name" 3 CS
run_ctl CS CreateSnapshot name=snap-x
expect_rc "no source_volume_id" 3 CS
create_snapshot snap-x "vk1::$TENANT:/k8s/pvc-none"
expect_rc "unknown source volume" 5 CS
create_snapshot snap-x garbage
expect_rc "garbage source volume id" 5 CS
create_snapshot snap-x "$SRC" parameters.colour=blue
expect_rc "unknown VolumeSnapshotClass parameter" 3 CS
expect_contains "unknown parameter named" "$CS_err" '"colour"'
expect_eq "failed snapshots made nothing" 0 "$(inv_count snapshots base_name=csi-snap-x)"
create_snapshot snap-meta "$SRC" parameters.csi.storage.k8s.io/volumesnapshot/name=daily \
  parameters.csi.storage.k8s.io/volumesnapshot/namespace=team-a
expect_rc "snapshot with VolumeSnapshot metadata" 0 CS
SMETA=$SNAP_ID
expect_eq "VAST name from snapshot_name_fmt, ':' replaced" 1 "$(inv_count snapshots base_name=csi-team-a-daily-snap-meta)"

# ---------- GetSnapshot ----------
run_ctl GS GetSnapshot "snapshot_id=$S1"
expect_rc "GetSnapshot" 0 GS
expect_eq "GetSnapshot: id" "$S1" "$(jget "$GS_out" snapshot.snapshot_id)"
expect_eq "GetSnapshot: source" "$SRC" "$(jget "$GS_out" snapshot.source_volume_id)"
expect_eq "GetSnapshot: creation_time" "$CREATED" "$(jget "$GS_out" snapshot.creation_time)"
run_ctl GS GetSnapshot "snapshot_id=vk1s::$TENANT:9999:/k8s/pvc-src"
expect_rc "GetSnapshot unknown" 5 GS
run_ctl GS GetSnapshot
expect_rc "GetSnapshot without id" 3 GS

# ---------- ListSnapshots ----------
list_ids() { "$PY" -c 'import json,sys
for e in json.loads(sys.argv[1]).get("entries", []): print(e["snapshot"]["snapshot_id"])' "$1"; }
run_ctl LS ListSnapshots "snapshot_id=$S1"
expect_rc "ListSnapshots by id" 0 LS
expect_eq "ListSnapshots by id: exactly it" "$S1" "$(list_ids "$LS_out")"
run_ctl LS ListSnapshots "source_volume_id=$SRC"
expect_eq "ListSnapshots by source volume" "$(printf '%s\n' "$S1" "$SMETA" | sort)" "$(list_ids "$LS_out" | sort)"
run_ctl LS ListSnapshots "source_volume_id=$OTHER"
expect_eq "ListSnapshots of a volume without snapshots: empty" "" "$(list_ids "$LS_out")"
run_ctl LS ListSnapshots "snapshot_id=vk1s::$TENANT:9999:/k8s/pvc-src"
expect_rc "ListSnapshots unknown id: OK" 0 LS
expect_eq "ListSnapshots unknown id: empty" "" "$(list_ids "$LS_out")"
run_ctl LS ListSnapshots snapshot_id=garbage
expect_rc "ListSnapshots garbage id: OK" 0 LS
expect_eq "ListSnapshots garbage id: empty" "" "$(list_ids "$LS_out")"
run_ctl LS ListSnapshots "source_volume_id=vk1::$TENANT:/k8s/pvc-none"
expect_rc "ListSnapshots unknown source: OK" 0 LS
expect_eq "ListSnapshots unknown source: empty" "" "$(list_ids "$LS_out")"
run_ctl LS ListSnapshots starting_token=bogus
expect_rc "ListSnapshots bad token" 10 LS
# paging over 6 snapshots of pvc-other: 2, then the remainder in one page
PAGED=()
for i in 1 2 3 4 5 6; do
  create_snapshot "page-$i" "$OTHER"
  PAGED+=("$SNAP_ID")
done
run_ctl LS ListSnapshots "source_volume_id=$OTHER" max_entries=2
expect_eq "first page: 2 entries" "$(printf '%s\n' "${PAGED[@]:0:2}")" "$(list_ids "$LS_out")"
TOKEN=$(jget "$LS_out" next_token)
expect_eq "first page: next_token" true "$([[ -n $TOKEN ]] && echo true || echo false)"
run_ctl LS ListSnapshots "source_volume_id=$OTHER" "starting_token=$TOKEN"
expect_eq "remainder in one page" "$(printf '%s\n' "${PAGED[@]:2}")" "$(list_ids "$LS_out")"
expect_eq "remainder: no next_token" "" "$(jget "$LS_out" next_token)"
# every snapshot, by pages of 2
ALL_SNAPS=$(printf '%s\n' "$S1" "$SMETA" "${PAGED[@]}" | sort)
TOKEN="" SEEN=""
for _ in $(seq 1 10); do
  run_ctl LS ListSnapshots max_entries=2 ${TOKEN:+starting_token=$TOKEN}
  SEEN+=$(list_ids "$LS_out")$'\n'
  TOKEN=$(jget "$LS_out" next_token)
  [[ -n $TOKEN ]] || break
done
expect_eq "all snapshots by pages of 2, each once" "$ALL_SNAPS" "$(sed '/^$/d' <<<"$SEEN" | sort)"

# ---------- DeleteSnapshot ----------
run_ctl DS DeleteSnapshot "snapshot_id=${PAGED[5]}"
expect_rc "DeleteSnapshot" 0 DS
expect_eq "deleted: gone from VAST" 0 "$(inv_count snapshots base_name=csi-page-6)"
if [[ ! -e "$SIM_FS/k8s/pvc-other/.snapshot/csi-page-6" ]]; then pass "deleted: its copy is gone"; else fail "csi-page-6 still on disk"; fi
run_ctl DS DeleteSnapshot "snapshot_id=${PAGED[5]}"
expect_rc "DeleteSnapshot twice" 0 DS
run_ctl DS DeleteSnapshot "snapshot_id=vk1s::$TENANT:9999:/k8s/pvc-src"
expect_rc "DeleteSnapshot unknown" 0 DS
run_ctl DS DeleteSnapshot snapshot_id=garbage
expect_rc "DeleteSnapshot garbage id" 0 DS
run_ctl DS DeleteSnapshot
expect_rc "DeleteSnapshot without id" 3 DS
for id in "${PAGED[@]:0:5}"; do run_ctl DS DeleteSnapshot "snapshot_id=$id"; done
expect_eq "pvc-other has no snapshot left" 0 "$(inv "len([s for s in inv['snapshots'] if s['path'] == '/k8s/pvc-other/'])")"

# ---------- restore from a snapshot ----------
printf 'version 2\n' >"$SIM_FS/k8s/pvc-src/file.txt" # the source moves on after the snapshot
create_volume pvc-restore $((2 * GiB)) "volume_content_source.snapshot.snapshot_id=$S1"
expect_rc "restore" 0 CV
RESTORE=$VOL_ID
expect_eq "restore: content_source echoed" "$S1" "$(jget "$CV_out" volume.content_source.snapshot.snapshot_id)"
expect_eq "restore: data as snapshotted" "version 1" "$(cat "$SIM_FS/k8s/pvc-restore/file.txt" 2>&1)"
expect_eq "restore: nested data" nested "$(cat "$SIM_FS/k8s/pvc-restore/sub/inner.txt" 2>&1)"
if [[ ! -e "$SIM_FS/k8s/pvc-restore/.snapshot" ]]; then pass "restore: no .snapshot copied"; else fail "restore copied .snapshot"; fi
expect_eq "restore: quota of the requested size" $((2 * GiB)) "$(inv_get quotas hard_limit /k8s/pvc-restore)"
expect_eq "restore: one view" 1 "$(inv_count views path=/k8s/pvc-restore)"
expect_eq "source unchanged" "version 2" "$(cat "$SIM_FS/k8s/pvc-src/file.txt")"
create_volume pvc-restore $((2 * GiB)) "volume_content_source.snapshot.snapshot_id=$S1"
expect_rc "restore again (retry)" 0 CV
expect_eq "restore again: same id" "$RESTORE" "$VOL_ID"
expect_eq "restore again: one clone stream" 1 "$(inv "len([s for s in inv['globalsnapstreams'] if s['loanee_root_path'].rstrip('/') == '/k8s/pvc-restore'])")"

# ---------- read-only restore: served from the snapshot itself ----------
QUOTAS_BEFORE=$(inv "len(inv['quotas'])") VIEWS_BEFORE=$(inv "len(inv['views'])")
create_volume pvc-ro 0 "volume_content_source.snapshot.snapshot_id=$S1" "$RO_CAP"
expect_rc "read-only restore" 0 CV
RO=$VOL_ID
expect_eq "read-only restore: read_only in the context" true "$(jget "$CV_out" volume.volume_context.read_only)"
RO_EXPORT=$(jget "$CV_out" volume.volume_context.export_path)
expect_eq "read-only restore: exports the snapshot directory" /k8s/pvc-src/.snapshot/csi-snap-1 "${RO_EXPORT%\~*}"
expect_eq "read-only restore: no new quota" "$QUOTAS_BEFORE" "$(inv "len(inv['quotas'])")"
expect_eq "read-only restore: no new view" "$VIEWS_BEFORE" "$(inv "len(inv['views'])")"
if [[ ! -e "$SIM_FS/k8s/pvc-ro" ]]; then pass "read-only restore: no directory"; else fail "read-only restore made a directory"; fi
run_ctl VV ValidateVolumeCapabilities "volume_id=$RO" "$RO_CAP" 'volume_capabilities[0].mount.fs_type='
expect_rc "read-only restore: validate" 0 VV
run_ctl G ControllerGetVolume "volume_id=$RO"
# ValidateVolumeCapabilities knows the volume; ControllerGetVolume must too (the
# external-health-monitor calls it for every PV when VOLUME_CONDITION is advertised).
expect_rc "read-only restore: ControllerGetVolume finds it" 0 G
run_ctl X ControllerExpandVolume "volume_id=$RO" capacity_range.required_bytes=$GiB
expect_rc "read-only restore cannot grow" 9 X
create_snapshot snap-of-ro "$RO"
expect_rc "read-only restore cannot be snapshotted" 3 CS
run_ctl D DeleteVolume "volume_id=$RO"
expect_rc "delete the read-only restore" 0 D
expect_eq "its snapshot is kept" 1 "$(inv_count snapshots base_name=csi-snap-1)"
expect_eq "its snapshot's data is kept" "version 1" "$(cat "$SIM_FS"/k8s/pvc-src/.snapshot/csi-snap-1~*/file.txt)"

# ---------- clone of a volume ----------
create_volume pvc-clone $GiB "volume_content_source.volume.volume_id=$SRC"
expect_rc "clone a volume" 0 CV
CLONE=$VOL_ID
expect_eq "clone: content_source echoed" "$SRC" "$(jget "$CV_out" volume.content_source.volume.volume_id)"
expect_eq "clone: the source's current data" "version 2" "$(cat "$SIM_FS/k8s/pvc-clone/file.txt" 2>&1)"
expect_eq "clone: nested data" nested "$(cat "$SIM_FS/k8s/pvc-clone/sub/inner.txt" 2>&1)"
expect_eq "clone: temporary snapshot removed" 0 "$(inv "len([s for s in inv['snapshots'] if s['name'].startswith('csi-clone-')])")"
run_ctl LS ListSnapshots "source_volume_id=$SRC"
expect_eq "clone: the source's snapshots unchanged" "$(printf '%s\n' "$S1" "$SMETA" | sort)" "$(list_ids "$LS_out" | sort)"
create_volume pvc-clone $GiB "volume_content_source.volume.volume_id=$SRC"
expect_rc "clone again (retry)" 0 CV
expect_eq "clone again: same id" "$CLONE" "$VOL_ID"
check_volumes "volumes after restores and clones" /k8s/pvc-clone /k8s/pvc-other /k8s/pvc-restore /k8s/pvc-src

# missing sources: NOT_FOUND, nothing made
create_volume pvc-nosnap $GiB "volume_content_source.snapshot.snapshot_id=vk1s::$TENANT:9999:/k8s/pvc-src"
expect_rc "restore from a missing snapshot" 5 CV
create_volume pvc-nosnap $GiB volume_content_source.snapshot.snapshot_id=garbage
expect_rc "restore from a garbage snapshot id" 5 CV
create_volume pvc-novol $GiB "volume_content_source.volume.volume_id=vk1::$TENANT:/k8s/pvc-none"
expect_rc "clone a missing volume" 5 CV
create_volume pvc-novol $GiB volume_content_source.volume.volume_id=garbage
expect_rc "clone a garbage volume id" 5 CV
create_volume pvc-nosnap $GiB "volume_content_source.snapshot.snapshot_id=vk1s::$TENANT:9999:/k8s/pvc-src" "$RO_CAP"
expect_rc "read-only restore from a missing snapshot" 5 CV
check_volumes "missing sources made nothing" /k8s/pvc-clone /k8s/pvc-other /k8s/pvc-restore /k8s/pvc-src

# deleting clones removes their streams
for v in "$CLONE" "$RESTORE"; do
  run_ctl D DeleteVolume "volume_id=$v"
  expect_rc "delete $v" 0 D
done
expect_eq "no clone stream left" 0 "$(inv "len(inv['globalsnapstreams'])")"
check_volumes "clones deleted" /k8s/pvc-other /k8s/pvc-src

# ---------- slow clone: ABORTED with progress, OK only when complete ----------
restart_sim --clone-rate 2000 # state kept; 20 KB take 10 s
head -c 20000 /dev/urandom >"$SIM_FS/k8s/pvc-src/blob"
create_snapshot snap-blob "$SRC"
SBLOB=$SNAP_ID
ABORTS=0 EARLY=0 OK_AT=0 PROGRESS=""
for attempt in $(seq 1 30); do
  CTL_TIMEOUT=3000 create_volume pvc-slow $GiB "volume_content_source.snapshot.snapshot_id=$SBLOB"
  if [[ $CV_rc == 0 ]]; then
    OK_AT=$attempt
    break
  fi
  if [[ $CV_rc == 10 ]]; then
    ABORTS=$((ABORTS + 1))
    PROGRESS+="$(grep -o '[0-9]*% done' <<<"$CV_err") "
    # while copying, the volume is not there for the CO: no quota, no view
    EARLY=$((EARLY + $(inv_count quotas path=/k8s/pvc-slow) + $(inv_count views path=/k8s/pvc-slow)))
  else
    fail "slow clone attempt $attempt: rc=$CV_rc $CV_err"
    break
  fi
done
echo "# slow clone: ABORTED $ABORTS times ($PROGRESS), OK at attempt $OK_AT"
expect_le "slow clone: answered ABORTED while copying (at least 2 times)" "$ABORTS" 2
expect_contains "slow clone: ABORTED says how far" "$PROGRESS" "% done"
expect_eq "slow clone: no quota or view before the data is complete" 0 "$EARLY"
expect_eq "slow clone: OK in the end" true "$([[ $OK_AT -gt 0 ]] && echo true || echo false)"
if cmp -s "$SIM_FS/k8s/pvc-src/blob" "$SIM_FS/k8s/pvc-slow/blob"; then
  pass "slow clone: OK only with the data complete"
else
  fail "slow clone: OK with $(stat -c %s "$SIM_FS/k8s/pvc-slow/blob" 2>/dev/null || echo no) bytes of 20000"
fi
expect_eq "slow clone: one quota" 1 "$(inv_count quotas path=/k8s/pvc-slow)"
expect_eq "slow clone: one view" 1 "$(inv_count views path=/k8s/pvc-slow)"

# a volume deleted while its clone is copying (volumes.c remove_clone_stream: "PVC
# deleted mid-restore"): the stream stops and goes, with the partial data, and
# (names.h: the temporary snapshot is named from the destination "so a retry finds
# them and DeleteVolume can clean them up") the temporary snapshot of the source, which
# otherwise blocks DeleteVolume of the source until it expires an hour later
CTL_TIMEOUT=2500 create_volume pvc-gone $GiB "volume_content_source.volume.volume_id=$SRC"
expect_rc "clone of a volume, slow" 10 CV
expect_eq "running clone: a temporary snapshot of the source" 1 \
  "$(inv "len([s for s in inv['snapshots'] if s['name'].startswith('csi-clone-')])")"
run_ctl LS ListSnapshots
expect_not_contains "ListSnapshots hides temporary clone snapshots" "$LS_out" "csi-clone-"
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-gone"
expect_rc "delete a volume while it is being cloned" 0 D
GONE_STREAMS="[s['id'] for s in inv['globalsnapstreams'] if s['loanee_root_path'].rstrip('/') == '/k8s/pvc-gone']"
TEMP_SNAPS="[s['id'] for s in inv['snapshots'] if s['name'].startswith('csi-clone-')]"
expect_eq "its clone stream is gone" "[]" "$(inv "$GONE_STREAMS")"
if [[ ! -e "$SIM_FS/k8s/pvc-gone" ]]; then pass "its partial data is gone"; else fail "/k8s/pvc-gone still on disk"; fi
expect_eq "its temporary snapshot of the source is gone" "[]" "$(inv "$TEMP_SNAPS")"
# go on as if it were: remove by hand what is left, as an operator would
for id in $(inv "$GONE_STREAMS" | tr -d '[],'); do
  sim_api DELETE "globalsnapstreams/$id/" '{"remove_dir": true}' >/dev/null || true
done
for id in $(inv "$TEMP_SNAPS" | tr -d '[],'); do sim_api DELETE "snapshots/$id/" >/dev/null || true; done
[[ ! -e "$SIM_FS/k8s/pvc-gone" ]] ||
  sim_api DELETE folders/delete_folder/ "{\"path\": \"/k8s/pvc-gone\", \"tenant_id\": $TENANT}" >/dev/null || true

# clean up everything: the snapshots, then the volumes
for id in "$S1" "$SMETA" "$SBLOB"; do run_ctl DS DeleteSnapshot "snapshot_id=$id"; done
for v in "$SRC" "$OTHER" "vk1::$TENANT:/k8s/pvc-slow"; do
  run_ctl D DeleteVolume "volume_id=$v"
  expect_rc "delete $v" 0 D
done
check_volumes "everything deleted"
expect_eq "no snapshot left" 0 "$(inv "len(inv['snapshots'])")"

stop_and_check
finish
