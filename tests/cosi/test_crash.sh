#!/usr/bin/env bash
# Crash safety of the COSI provisioner: `vast-csi --mode cosi` killed (SIGKILL, by a
# fault point) between every two VMS calls of DriverCreateBucket, DriverGrantBucketAccess,
# DriverRevokeBucketAccess and DriverDeleteBucket, then restarted without the fault; the
# sidecar's retry of the same call must succeed and leave exactly one quota, S3 view and
# owner per bucket, exactly one policy, user and key per access, and nothing after a
# delete or revoke (no orphan user, key, policy or view).
# shellcheck source=../controller/helpers.sh disable=SC2154 # run_ctl sets PREFIX_rc/_out/_err
source "$(dirname "$0")/../controller/helpers.sh"

start_sim
BC_PARAMS=("parameters.root_export=$ROOT" parameters.vip_pool_name=vast-k8s-pool parameters.scheme=http)

start_cosi() {
  cat "$WORK/plugin.log" >>"$WORK/plugin.all.log" 2>/dev/null || true
  PLUGIN_READY_CALL=DriverGetInfo start_plugin --mode cosi --vms-secret-dir "$SECRET_DIR" "$@"
}

# crash_at POINT CALL...: a provisioner armed with POINT=kill runs CALL and dies at the
# point; then one without faults is started.
crash_at() {
  local point=$1
  shift
  [[ -z "$PLUGIN_PID" ]] || stop_plugin
  VAST_CSI_FAULTS="$point=kill" start_cosi
  "$@"
  expect_plugin_died "$point"
  start_cosi
}

create_bucket() { # create_bucket NAME: sets CB_rc/_out/_err and BUCKET_ID
  run_ctl CB DriverCreateBucket "name=$1" "${BC_PARAMS[@]}"
  BUCKET_ID=$(jget "$CB_out" bucket_id)
}
grant() { # grant BUCKET_ID NAME: sets G_rc/_out/_err and ACCOUNT_ID (never prints the secret)
  run_ctl G DriverGrantBucketAccess "bucket_id=$1" "name=$2" authentication_type=Key
  ACCOUNT_ID=$(jget "$G_out" account_id)
  G_out=""
}

# bucket_state NAME: "<S3 views with that bucket> <quotas at its path> <owner users>"
bucket_state() {
  inv "' '.join(str(x) for x in (len(by('views', bucket='$1')), len(by('quotas', path='$ROOT/$1')),
       len([u for u in inv['users'] if u['name'].startswith('$1-')])))"
}
# access_state ACCOUNT: "<users of that name> <S3 policies of that name> <keys of that user>"
access_state() {
  inv "' '.join(str(x) for x in (len(by('users', name='$1')), len(by('s3policies', name='$1')),
       sum(len(u.get('access_keys', [])) for u in by('users', name='$1'))))"
}

start_cosi

# ---------- DriverCreateBucket: killed after each step ----------
n=0
for point in cosi.create.after_quota cosi.create.after_owner cosi.create.after_view; do
  n=$((n + 1))
  crash_at "$point" create_bucket "bucket-crash-$n"
  expect_eq "$point: the call failed UNAVAILABLE" 14 "$CB_rc"
  create_bucket "bucket-crash-$n"
  expect_rc "$point: retry" 0 CB
  expect_eq "$point: one view, one quota, one owner" "1 1 1" "$(bucket_state "bucket-crash-$n")"
  first=$BUCKET_ID
  create_bucket "bucket-crash-$n"
  expect_eq "$point: a replay answers the same bucket_id" "$first" "$BUCKET_ID"
done

# ---------- DriverGrantBucketAccess: killed after each step ----------
create_bucket bucket-grants
GRANTS_BUCKET=$BUCKET_ID
ACCOUNTS=()
n=0
for point in cosi.grant.after_policy cosi.grant.after_user cosi.grant.after_old_keys cosi.grant.after_key; do
  n=$((n + 1))
  if [[ $point == cosi.grant.after_old_keys ]]; then
    grant "$GRANTS_BUCKET" "ba-crash-$n" # a key for the crashed replay to drop
    expect_rc "$point: a first grant" 0 G
  fi
  crash_at "$point" grant "$GRANTS_BUCKET" "ba-crash-$n"
  expect_eq "$point: the call failed UNAVAILABLE" 14 "$G_rc"
  grant "$GRANTS_BUCKET" "ba-crash-$n"
  expect_rc "$point: retry" 0 G
  expect_eq "$point: one user, one policy, exactly one key" "1 1 1" "$(access_state "$ACCOUNT_ID")"
  ACCOUNTS+=("$ACCOUNT_ID")
done

# ---------- DriverRevokeBucketAccess: killed between the user and the policy ----------
crash_at cosi.revoke.after_user run_ctl R DriverRevokeBucketAccess "bucket_id=$GRANTS_BUCKET" "account_id=${ACCOUNTS[0]}"
expect_eq "revoke after_user: the call failed UNAVAILABLE" 14 "$R_rc"
expect_eq "revoke after_user: the user and its key gone, the policy left" "0 1 0" "$(access_state "${ACCOUNTS[0]}")"
for account in "${ACCOUNTS[@]}"; do
  run_ctl R DriverRevokeBucketAccess "bucket_id=$GRANTS_BUCKET" "account_id=$account"
  expect_rc "revoke $account" 0 R
  expect_eq "revoke $account: nothing of it left" "0 0 0" "$(access_state "$account")"
done

# ---------- DriverDeleteBucket: killed after each step ----------
n=0
for point in controller.delete.after_lookups controller.delete.after_data cosi.delete.after_quota; do
  n=$((n + 1))
  create_bucket "bucket-crash-$n"
  crash_at "$point" run_ctl D DriverDeleteBucket "bucket_id=$BUCKET_ID"
  expect_eq "$point: the call failed UNAVAILABLE" 14 "$D_rc"
  run_ctl D DriverDeleteBucket "bucket_id=$BUCKET_ID"
  expect_rc "$point: retry" 0 D
  expect_eq "$point: no view, quota or owner left" "0 0 0" "$(bucket_state "bucket-crash-$n")"
  expect_eq "$point: its directory is gone" no "$([[ -d $SIM_FS$ROOT/bucket-crash-$n ]] && echo yes || echo no)"
done
run_ctl D DriverDeleteBucket "bucket_id=$GRANTS_BUCKET"
expect_rc "delete the grants' bucket" 0 D

# ---------- the simulator killed under a grant: its state survives, the retry converges ----------
create_bucket bucket-simkill
stop_plugin
VAST_CSI_FAULTS="cosi.grant.after_user=sleep:1500" start_cosi
grant "$BUCKET_ID" ba-simkill &
grant_pid=$!
sleep 0.5
kill_sim
restart_sim_same_ports
wait "$grant_pid" || true
grant "$BUCKET_ID" ba-simkill
expect_rc "grant after the simulator restarted" 0 G
expect_eq "after the simulator restarted: one user, one policy, one key" "1 1 1" "$(access_state "$ACCOUNT_ID")"
run_ctl R DriverRevokeBucketAccess "bucket_id=$BUCKET_ID" "account_id=$ACCOUNT_ID"
run_ctl D DriverDeleteBucket "bucket_id=$BUCKET_ID"
expect_rc "delete bucket-simkill" 0 D

expect_eq "nothing of any bucket or access is left" "0 0 0" \
  "$(inv "' '.join(str(x) for x in (len([v for v in inv['views'] if v.get('bucket')]), len(inv.get('s3policies', [])),
       len([u for u in inv['users'] if u['name'].startswith(('bucket-', 'ba-'))])))")"

stop_and_check
finish
