#!/usr/bin/env bash
# vast-operator end to end, as a platform engineer meets it: a Tenant applied with kubectl
# becomes its tenant on vms-sim and its classes in Kubernetes; a PVC of its class in its
# namespace is provisioned by the real csi-provisioner calling vast-csi (controller mode,
# started with no VMS credentials at all, so every VMS call it makes uses the Tenant's
# Secret) and lands inside the tenant, as the tenant admin; the real kube-apiserver's
# ValidatingAdmissionPolicy refuses the class in any other namespace and admits one the
# Tenant's label selector matches; the tenant admin's credentials cannot see or touch a
# second Tenant's objects; the USED column follows data written into a volume.
# Environment: VK_K8S_TOOLS_BIN, VAST_OPERATOR, VAST_CSI, CSICTL, VMS_SIM.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# pvc_yaml NAMESPACE NAME CLASS: a 1Gi RWX claim.
pvc_yaml() {
  cat <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: $2, namespace: $1}
spec:
  storageClassName: $3
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
EOF
}
# bound NAMESPACE NAME: the claim is Bound (its PV name in PV), else why not, and give up.
bound() {
  if kc -n "$1" wait --for=jsonpath='{.status.phase}'=Bound "pvc/$2" --timeout="$((120 * SLOW))s" >/dev/null 2>&1; then
    PV=$(kc -n "$1" get pvc "$2" -o jsonpath='{.spec.volumeName}')
    return 0
  fi
  kc -n "$1" describe pvc "$2" | tail -n 8
  give_up "PVC $1/$2 is not Bound within $((120 * SLOW)) s"
}
# refused_in NAMESPACE: a dry-run apply of an acme-fast claim there is refused (the
# policy is in force: the API server loads a new or changed one within seconds).
refused_in() { ! pvc_yaml "$1" probe acme-fast | kc apply --dry-run=server -f - >/dev/null 2>&1; }
admitted_in() { pvc_yaml "$1" probe acme-fast | kc apply --dry-run=server -f - >/dev/null 2>&1; }

op_test_start csi-provisioner
start_plugin --mode controller
DRIVER=$(json_field "$("$CSICTL" -e "$ENDPOINT" GetPluginInfo)" name)
start_provisioner
for ns in acme-train other-ns acme-labelled beta-ns; do kc create namespace "$ns" >/dev/null; done

# --- 1. Tenant acme: made on VAST, and a PVC of its class provisioned inside it ---
t0=$(now_ms)
tenant_yaml acme 0 "[acme-train]" | kc apply -f - >/dev/null
op_start main --csi-driver "$DRIVER"
poll "Tenant acme Ready" 60 tenant_ready acme || give_up "Tenant acme is not Ready: $(kc get tenant acme -o jsonpath='{.status.conditions}')"
pass "Tenant acme Ready $(($(now_ms) - t0)) ms after kubectl apply (operator start included)"
expect_eq "vms-sim holds one of each of acme's objects (one class asks for QoS)" \
  "tenants=1 vippools=1 viewpolicies=1 qospolicies=1 quotas=1 managers=1" "$(vast_of acme)"
expect_eq "StorageClass acme-fast puts volumes in the tenant's root" /vast-k8s/tenants/vk-acme \
  "$(kc get storageclass acme-fast -o jsonpath='{.parameters.root_export}')"
expect_eq "the Secret's credentials are the tenant admin's" vk-acme-csi "$(secret_cluster acme username)"

t0=$(now_ms)
pvc_yaml acme-train data acme-fast | kc apply -f - >/dev/null
bound acme-train data
pass "PVC acme-train/data of acme-fast Bound in $(($(now_ms) - t0)) ms"
EXPORT=$(kc get pv "$PV" -o jsonpath='{.spec.csi.volumeAttributes.export_path}')
expect_eq "the PV's export is in acme's root" "/vast-k8s/tenants/vk-acme/$PV" "$EXPORT"
# the view and the quota at the export, each in tenant vk-acme (by its id)
placed=$(sim_admin GET /_sim/inventory | "$PY" -c '
import json, sys
inv, path = json.load(sys.stdin), sys.argv[1]
tid = [t["id"] for t in inv["tenants"] if t["name"] == "vk-acme"]
for coll in "views", "quotas":
    objs = [o for o in inv[coll] if o.get("path") == path]
    print(coll, len(objs), "in-vk-acme" if tid and objs and all(o.get("tenant_id") == tid[0] for o in objs) else
          "tenants %s (vk-acme is %s)" % ([o.get("tenant_id") for o in objs], tid))' "$EXPORT")
expect_eq "on vms-sim one view and one quota at the export, in tenant vk-acme" \
  "views 1 in-vk-acme quotas 1 in-vk-acme" "$(tr '\n' ' ' <<<"$placed" | sed 's/ $//')"
# who the driver logged in as: its "VMS login" lines (lib/vms/vms_auth.c) name the user
expect_eq "vast-csi logged in to VMS as the tenant admin, and as nobody else" "user=vk-acme-csi" \
  "$(grep -F 'VMS login' "$WORK/plugin.log" | grep -o 'user=[^ ]*' | sort -u | tr '\n' ' ' | sed 's/ $//')"

# --- 2. the admission policy, evaluated by the real API server ---
if poll "the admission policy refuses acme-fast in other-ns" 30 refused_in other-ns; then
  out=$(pvc_yaml other-ns stray acme-fast | kc apply -f - 2>&1) && rc=0 || rc=$?
  expect_eq "kubectl apply of an acme-fast PVC in other-ns fails" 1 "$rc"
  expect_contains "the refusal names the Tenant" "$out" "Tenant acme"
  expect_contains "the refusal names the namespace" "$out" "namespace other-ns"
  expect_eq "no PVC other-ns/stray exists" "" "$(kc -n other-ns get pvc --no-headers -o name 2>&1)"
  echo "     (kubectl said: $out)"
else
  fail "an acme-fast PVC in other-ns is admitted: $(kc get validatingadmissionpolicies -o name 2>&1 | tr '\n' ' ')"
fi
expect_eq "acme-std is refused in other-ns too" 1 \
  "$(pvc_yaml other-ns probe acme-std | kc apply --dry-run=server -f - >/dev/null 2>&1 && echo 0 || echo 1)"
expect_eq "a namespace not yet labelled is refused" 0 "$(refused_in acme-labelled && echo 0 || echo 1)"
kc label namespace acme-labelled tenant=acme >/dev/null
kc patch tenant acme --type merge -p '{"spec":{"namespaces":{"selector":{"matchLabels":{"tenant":"acme"}}}}}' >/dev/null
poll "Tenant acme Ready with the selector" 60 tenant_ready acme || fail "Tenant acme is not Ready after the selector was added"
if poll "an acme-fast PVC in the labelled namespace admitted" 30 admitted_in acme-labelled; then
  pvc_yaml acme-labelled labelled acme-fast | kc apply -f - >/dev/null
  bound acme-labelled labelled
  pass "a PVC in namespace acme-labelled (matched by the Tenant's selector tenant=acme) is admitted and Bound"
else
  fail "an acme-fast PVC in acme-labelled is refused although the Tenant's selector matches it"
fi
expect_eq "other-ns (unlabelled) is still refused" 0 "$(refused_in other-ns && echo 0 || echo 1)"

# --- 3. the tenant admin's credentials cannot reach another tenant ---
tenant_yaml beta 1 "[beta-ns]" | kc apply -f - >/dev/null
poll "Tenant beta Ready" 60 tenant_ready beta || give_up "Tenant beta is not Ready"
pvc_yaml beta-ns bdata beta-fast | kc apply -f - >/dev/null
bound beta-ns bdata
BETA_EXPORT=$(kc get pv "$PV" -o jsonpath='{.spec.csi.volumeAttributes.export_path}')
expect_eq "beta's volume is in beta's root" "/vast-k8s/tenants/vk-beta/$PV" "$BETA_EXPORT"
# beta's objects as the cluster admin sees them: ids for the attempts, and a copy to
# compare afterwards (views, quotas, view policy, tenant)
beta_objects() {
  sim_admin GET /_sim/inventory | "$PY" -c '
import json, sys
inv = json.load(sys.stdin)
tid = [t["id"] for t in inv["tenants"] if t["name"] == "vk-beta"][0]
mine = {c: sorted((o for o in inv[c] if o.get("tenant_id") == tid), key=lambda o: o["id"])
        for c in ("views", "quotas", "viewpolicies")}
mine["tenants"] = [t for t in inv["tenants"] if t["id"] == tid]
print(json.dumps(mine, sort_keys=True))'
}
before=$(beta_objects)
ids() { "$PY" -c 'import json, sys; print(" ".join(str(o["id"]) for o in json.loads(sys.argv[1])[sys.argv[2]]))' "$before" "$1"; }
read -r -a beta_views <<<"$(ids views)"
read -r -a beta_quotas <<<"$(ids quotas)"
read -r -a beta_policies <<<"$(ids viewpolicies)"
BETA_ID=$(ids tenants)
expect_eq "beta holds one view, two quotas (root and volume), one view policy" "1 2 1" \
  "${#beta_views[@]} ${#beta_quotas[@]} ${#beta_policies[@]}"
ACME_USER=$(secret_cluster acme username)
ACME_PASS=$(secret_cluster acme password)
as_acme() { vms_as "$ACME_USER" "$ACME_PASS" "$@"; }
# the same credentials do reach acme's own objects (so the refusals below are confinement)
acme_view=$(sim_admin GET /_sim/inventory | "$PY" -c 'import json, sys
print([v["id"] for v in json.load(sys.stdin)["views"] if v.get("path") == sys.argv[1]][0])' "$EXPORT")
expect_eq "the tenant admin reads acme's own view" 200 "$(as_acme GET "views/$acme_view/" | cut -d' ' -f1)"
# refused ATTEMPT... : each "METHOD PATH [JSON]" answered 403 or 404
refused() {
  local what=$1 answer code
  shift
  answer=$(as_acme "$@")
  code=${answer%% *}
  if [[ $code == 403 || $code == 404 ]]; then pass "as vk-acme-csi: $what: $code"; else fail "as vk-acme-csi: $what: $answer"; fi
}
for id in "${beta_views[@]}"; do
  refused "GET beta's view $id" GET "views/$id/"
  refused "PATCH beta's view $id" PATCH "views/$id/" '{"protocols": ["NFS", "SMB"]}'
  refused "DELETE beta's view $id" DELETE "views/$id/"
done
for id in "${beta_quotas[@]}"; do
  refused "GET beta's quota $id" GET "quotas/$id/"
  refused "PATCH beta's quota $id" PATCH "quotas/$id/" '{"hard_limit": 1}'
  refused "DELETE beta's quota $id" DELETE "quotas/$id/"
done
for id in "${beta_policies[@]}"; do
  refused "GET beta's view policy $id" GET "viewpolicies/$id/"
  refused "PATCH beta's view policy $id" PATCH "viewpolicies/$id/" '{"nfs_read_write": ["*"]}'
  refused "DELETE beta's view policy $id" DELETE "viewpolicies/$id/"
done
refused "GET tenant vk-beta" GET "tenants/$BETA_ID/"
refused "PATCH tenant vk-beta" PATCH "tenants/$BETA_ID/" '{"client_ip_ranges": []}'
refused "DELETE tenant vk-beta" DELETE "tenants/$BETA_ID/"
# with acme's own view policy, so only the path can be what is refused
acme_policy=$(kc get tenant acme -o jsonpath='{.status.clusters[0].viewPolicyId}')
refused "POST a view (acme's policy) at a path in beta's root" POST views/ \
  "{\"path\": \"$BETA_EXPORT/x\", \"policy_id\": $acme_policy, \"create_dir\": true}"
refused "POST a quota at beta's volume" POST quotas/ "{\"name\": \"grab\", \"path\": \"$BETA_EXPORT\", \"hard_limit\": 1}"
expect_eq "no directory made in beta's volume" "" "$(ls -A "$SIM_FS$BETA_EXPORT")"
# listings: only acme's objects, whatever the filter asks for
listed=$(for coll in views quotas viewpolicies tenants; do
  as_acme GET "$coll/" | "$PY" -c '
import json, sys
code, _, body = sys.stdin.read().partition(" ")
objs = json.loads(body) if code == "200" else []
objs = objs.get("results", objs) if isinstance(objs, dict) else objs
print("%s:%s:%s" % (sys.argv[1], code, ",".join(sorted({str(o.get("name", o.get("path"))) for o in objs
      if "beta" in json.dumps(o)}))))' "$coll"
done | tr '\n' ' ')
expect_eq "as vk-acme-csi the listings of views, quotas, view policies and tenants show nothing of beta" \
  "views:200: quotas:200: viewpolicies:200: tenants:200: " "$listed"
expect_eq "as vk-acme-csi tenants/ lists vk-acme alone" '["vk-acme"]' \
  "$(as_acme GET tenants/ | cut -d' ' -f2- | "$PY" -c 'import json, sys; print(json.dumps([t["name"] for t in json.load(sys.stdin)]))')"
expect_eq "as vk-acme-csi a quota listing by beta's path is empty" "200 []" \
  "$(as_acme GET "quotas/?path=$BETA_EXPORT" | sed 's/ *$//')"
expect_eq "beta's views, quotas, view policy and tenant are unchanged" "$before" "$(beta_objects)"

# --- 4. USED follows data written into a volume ---
# vms-sim measures a quota's used_capacity from its directory at read time; a file
# written there (as a client would over NFS) is in the root quota at the next resync.
used_bytes() { kc get tenant acme -o jsonpath='{.status.clusters[0].usedBytes}'; }
used0=$(used_bytes)
head -c $((8 * 1024 * 1024)) /dev/urandom >"$SIM_FS$EXPORT/blob"
grown() { (($(used_bytes) >= used0 + 8 * 1024 * 1024)); }
if poll "Tenant acme's usedBytes up by 8 MiB" 30 grown; then
  pass "status.clusters[0].usedBytes rose from ${used0:-0} to $(used_bytes) after 8 MiB were written"
  row=$(kc get tenants acme --no-headers)
  expect_contains "kubectl get tenants shows it in USED" "$row" " $(kc get tenant acme -o jsonpath='{.status.used}') "
  echo "     (kubectl get tenants: $row)"
else
  fail "usedBytes stayed ${used0:-0} after 8 MiB were written into $EXPORT"
fi

op_test_end
