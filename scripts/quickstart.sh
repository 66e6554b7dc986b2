#!/usr/bin/env bash
# Quickstart: installs what is needed, builds, starts a seeded vms-sim (the VAST
# management API simulator) and vast-csi (controller + node), and walks a volume's life
# with csictl, printing each step: create, stage and publish into a directory, write and
# read a file, snapshot, restore into a new volume, expand, stats, unpublish, delete.
# Then a bucket's life through the COSI provisioner (vast-csi --mode cosi): create a
# bucket, grant an access, put and get an object with boto3 using exactly the
# credentials granted, revoke (the key is refused from then on), delete.
# It leaves nothing mounted or running: everything it started is stopped by PID and its
# scratch directory removed. Needs root (mounts).
#
# The simulator serves the management API, not NFS, and a fresh machine has no NFS
# client: the node runs with --mount-mode bind, mounting the simulator's view
# directories by bind mount. Everything else is what a real cluster sees.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

if [[ $(id -u) -ne 0 ]]; then
  echo "quickstart: run as root: the node step mounts the volume" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/vast-quickstart.XXXXXX")
endpoint="unix://$work/csi.sock"
plugin_pid="" sim_pid="" cosi_pid=""
stop() {
  # never leave a mount behind, even when a step failed
  { grep -o " $work/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  for pid in $cosi_pid $plugin_pid $sim_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      wait "$pid" || true
    fi
  done
  rm -rf "$work"
}
trap stop EXIT

# Headings go to stderr so that `step ... | tee file` keeps only the command's JSON.
bold() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
step() { bold "$1"; shift; printf '$ %s\n' "$*" >&2; "$@"; }
json() { /usr/bin/python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$1"; }

bold "Start vms-sim, seeded with a tenant, a view policy, a VIP pool and a QoS policy, with its S3 data plane"
build/sim/vms-sim --data-dir "$work/sim" --https 127.0.0.1:0 --s3 127.0.0.1:0 --port-file "$work/ports" --seed \
  2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do [[ -s "$work/ports" ]] && break; sleep 0.05; done
port=$(json https <"$work/ports")
s3_port=$(json s3 <"$work/ports")
echo "VMS simulator on https://127.0.0.1:$port (state in $work/sim), S3 on http://127.0.0.1:$s3_port"

# The default cluster's secret, as a Kubernetes Secret would be mounted: one file per key.
mkdir -p "$work/secret"
printf '127.0.0.1:%s' "$port" >"$work/secret/endpoint"
printf 'admin' >"$work/secret/username"
printf '123456' >"$work/secret/password"
cp "$work/sim/tls/cert.pem" "$work/secret/ssl_cert"

bold "Start vast-csi (controller + node) on $endpoint"
build/csi/vast-csi --endpoint "$endpoint" --mode all --node-id quickstart-node \
  --vms-secret-dir "$work/secret" --mount-mode bind --bind-root "$work/sim/fs" --state-dir "$work/state" \
  2>"$work/vast-csi.log" &
plugin_pid=$!

ctl=(build/csictl/csictl -e "$endpoint")
cap=('volume_capabilities[0].access_mode.mode=MULTI_NODE_MULTI_WRITER' 'volume_capabilities[0].mount.fs_type=')
sc=(parameters.root_export=/k8s parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool)

step "Wait until the plugin answers Probe" "${ctl[@]}" --wait 10000 Probe
step "Plugin name and version" "${ctl[@]}" GetPluginInfo
step "What the controller offers" "${ctl[@]}" ControllerGetCapabilities

step "Create a 1 GiB volume (a VAST directory, quota and NFS view)" \
  "${ctl[@]}" CreateVolume name=pvc-quickstart capacity_range.required_bytes=1073741824 "${cap[@]}" "${sc[@]}" \
  | tee "$work/volume.json"
volume_id=$(json volume.volume_id <"$work/volume.json")

mkdir -p "$work/staging" "$work/pods"
node_cap=('volume_capability.access_mode.mode=MULTI_NODE_MULTI_WRITER' 'volume_capability.mount.fs_type=')
context=()
while IFS= read -r kv; do context+=("volume_context.$kv"); done < <(/usr/bin/python3 -c 'import json,sys
for k,v in json.load(open(sys.argv[1]))["volume"]["volume_context"].items(): print(f"{k}={v}")' "$work/volume.json")

step "Stage it on this node (one mount per volume per node)" \
  "${ctl[@]}" NodeStageVolume "volume_id=$volume_id" "staging_target_path=$work/staging/pvc-quickstart" \
  "${node_cap[@]}" "${context[@]}"
step "Publish it into a pod's directory (a bind mount of the staged volume)" \
  "${ctl[@]}" NodePublishVolume "volume_id=$volume_id" "staging_target_path=$work/staging/pvc-quickstart" \
  "target_path=$work/pods/pod-a/volume" "${node_cap[@]}" "${context[@]}"
bold "Write and read a file through the pod's directory"
echo "hello from vast-k8s" >"$work/pods/pod-a/volume/hello.txt"
cat "$work/pods/pod-a/volume/hello.txt"
echo "(on VAST it is $work/sim/fs/k8s/pvc-quickstart/hello.txt)"
step "Volume stats as the kubelet sees them" \
  "${ctl[@]}" NodeGetVolumeStats "volume_id=$volume_id" "volume_path=$work/pods/pod-a/volume"

step "Snapshot it" "${ctl[@]}" CreateSnapshot name=snap-quickstart "source_volume_id=$volume_id" \
  | tee "$work/snapshot.json"
snapshot_id=$(json snapshot.snapshot_id <"$work/snapshot.json")
echo "changed after the snapshot" >"$work/pods/pod-a/volume/hello.txt"

step "Restore the snapshot into a new volume (the copy completes before it is reported)" \
  "${ctl[@]}" CreateVolume name=pvc-restored capacity_range.required_bytes=1073741824 "${cap[@]}" "${sc[@]}" \
  "volume_content_source.snapshot.snapshot_id=$snapshot_id" | tee "$work/restored.json"
restored_id=$(json volume.volume_id <"$work/restored.json")
bold "The restored volume holds the file as it was at the snapshot"
cat "$work/sim/fs/k8s/pvc-restored/hello.txt"

step "Expand the first volume to 2 GiB" \
  "${ctl[@]}" ControllerExpandVolume "volume_id=$volume_id" capacity_range.required_bytes=2147483648
step "Volume health and size" "${ctl[@]}" ControllerGetVolume "volume_id=$volume_id"
step "List the volumes" "${ctl[@]}" ListVolumes
step "Capacity left for this StorageClass" "${ctl[@]}" GetCapacity parameters.view_policy=vast-k8s-nfs

bold "Deleting a volume that still has snapshots is refused, naming them (exit status 9)"
rc=0
"${ctl[@]}" DeleteVolume "volume_id=$volume_id" || rc=$?
echo "exit status $rc"

step "Unpublish it from the pod (the driver removes the directory it made)" \
  "${ctl[@]}" NodeUnpublishVolume "volume_id=$volume_id" "target_path=$work/pods/pod-a/volume"
step "Unstage it from the node" \
  "${ctl[@]}" NodeUnstageVolume "volume_id=$volume_id" "staging_target_path=$work/staging/pvc-quickstart"
bold "Nothing of it is mounted any more"
grep -c "$work" /proc/self/mounts || true
step "Delete the snapshot" "${ctl[@]}" DeleteSnapshot "snapshot_id=$snapshot_id"
step "Delete both volumes" "${ctl[@]}" DeleteVolume "volume_id=$volume_id"
"${ctl[@]}" DeleteVolume "volume_id=$restored_id"
step "Nothing is left" "${ctl[@]}" ListVolumes

bold "Start the COSI provisioner (vast-csi --mode cosi) on unix://$work/cosi.sock"
build/csi/vast-csi --mode cosi --endpoint "unix://$work/cosi.sock" --vms-secret-dir "$work/secret" \
  2>"$work/vast-cosi.log" &
cosi_pid=$!
cosi=(build/csictl/csictl -e "unix://$work/cosi.sock")
# A BucketClass's parameters: the simulator's S3 port is not that of a real VIP pool, so
# the endpoint is given as a fixed URL (s3_endpoint) instead of vip_pool_name.
bc=(parameters.root_export=/k8s "parameters.s3_endpoint=http://127.0.0.1:$s3_port")
step "Wait until it answers DriverGetInfo" "${cosi[@]}" --wait 10000 DriverGetInfo
step "Create a bucket (a VAST directory, quota, owner and S3 view)" \
  "${cosi[@]}" DriverCreateBucket name=bucket-quickstart "${bc[@]}" | tee "$work/bucket.json"
bucket_id=$(json bucket_id <"$work/bucket.json")
bold "Grant an access to it (a user with a policy for this bucket alone, and one S3 key)"
printf '$ %s\n' "${cosi[*]} --show-secrets DriverGrantBucketAccess bucket_id=$bucket_id name=ba-quickstart authentication_type=Key" >&2
# --show-secrets: csictl redacts credentials unless told; the answer is kept in a shell
# variable and handed to Python on stdin, so the secret never lands in a file or on screen
access=$("${cosi[@]}" --show-secrets DriverGrantBucketAccess "bucket_id=$bucket_id" name=ba-quickstart authentication_type=Key)
# shown without the secret key: it belongs in the pod's Secret, not on a terminal
/usr/bin/python3 -c 'import json,sys; a=json.load(sys.stdin)
a["credentials"]["s3"]["secrets"]["accessSecretKey"]="(hidden)"; print(json.dumps(a, indent=2))' <<<"$access"
account_id=$(json account_id <<<"$access")
s3_client() { # s3_client put|get|list: boto3 with exactly the granted credentials (on stdin)
  /usr/bin/python3 -c '
import json, sys
import boto3, botocore.config, botocore.exceptions
c = json.load(sys.stdin)["credentials"]["s3"]["secrets"]
s3 = boto3.client("s3", endpoint_url=c["endpoint"], region_name=c["region"], aws_access_key_id=c["accessKeyID"],
                  aws_secret_access_key=c["accessSecretKey"],
                  config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
try:
    if sys.argv[1] == "put":
        s3.put_object(Bucket="bucket-quickstart", Key="hello.txt", Body=b"hello from a pod S3 client\n")
        print("put hello.txt")
    elif sys.argv[1] == "get":
        print(s3.get_object(Bucket="bucket-quickstart", Key="hello.txt")["Body"].read().decode(), end="")
    else:
        print([o["Key"] for o in s3.list_objects_v2(Bucket="bucket-quickstart").get("Contents", [])])
except botocore.exceptions.ClientError as e:
    print("refused:", e.response["Error"]["Code"])
' "$1" <<<"$access"
}
bold "Put, list and get an object with boto3, using the granted credentials"
s3_client put
s3_client list
s3_client get
echo "(on VAST it is $work/sim/fs/k8s/bucket-quickstart/hello.txt)"
step "Revoke the access (the user and its key go)" \
  "${cosi[@]}" DriverRevokeBucketAccess "bucket_id=$bucket_id" "account_id=$account_id"
bold "The revoked key is refused"
s3_client get
access=""
step "Delete the bucket (view, data, quota, owner)" "${cosi[@]}" DriverDeleteBucket "bucket_id=$bucket_id"
step "Deleting it again is fine: it is gone" "${cosi[@]}" DriverDeleteBucket "bucket_id=$bucket_id"

bold "Stop the plugins and the simulator with SIGTERM"
for pid in $cosi_pid $plugin_pid $sim_pid; do
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  echo "process $pid exited with status $rc"
done
plugin_pid="" sim_pid="" cosi_pid=""
echo "vast-csi's log:"
cat "$work/vast-csi.log"
echo "the COSI provisioner's log:"
cat "$work/vast-cosi.log"
