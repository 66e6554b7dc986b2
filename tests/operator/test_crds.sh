# The operator's CRDs (charts/vast-k8s/crds) against the real kube-apiserver of
# tests/k8s/lib.sh: the chart's examples are accepted and read back with the schema's
# defaults; every rule of the schema refuses an object that breaks it, with a message that
# names the field and the rule (asserted on kubectl's text); kubectl explain, the short
# names, the category and the printer columns work; status is written only through the
# status subresource. Invalid objects are sent with --dry-run=server, so each case meets
# the whole of the API server's validation and none changes what the next case sees.
# Without the tool cache it fails saying what to run, as the k8s tests do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
chart=$here/../../charts/vast-k8s
source "$here/../k8s/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl
dir=$(mktemp -d /tmp/vk-operator-crds.XXXXXX)
trap 'k8s_stop; rm -rf "$dir"' EXIT
k8s_start "$dir"
fail=0
# kc ARGS...: kubectl as the admin, each request bounded (lib.sh's k has no bound)
kc() { k --request-timeout=60s "$@"; }

expect() { # expect WHAT WANT GOT
  if [[ $2 == "$3" ]]; then echo "ok: $1: $3"; else echo "FAIL: $1: want '$2', got '$3'"; fail=1; fi
}
# refuse WHAT TEXT... -- KUBECTL_ARGS...: kubectl must fail, and its message contain every
# TEXT (the field's path and the rule's words), so a refusal for another reason fails too.
refuse() {
  local what=$1 out t texts=()
  shift
  while [[ $1 != -- ]]; do texts+=("$1"); shift; done
  shift
  if out=$(kc "$@" 2>&1); then
    echo "FAIL: $what: accepted (want refused)"; fail=1; return
  fi
  for t in "${texts[@]}"; do
    if [[ $out != *"$t"* ]]; then
      echo "FAIL: $what: refused, but the message lacks '$t': $out"; fail=1; return
    fi
  done
  echo "ok: $what: refused: $(tr '\n' ' ' <<<"$out" | cut -c1-220)"
}
# accept WHAT KUBECTL_ARGS...: kubectl must succeed (a rule is not broader than it says).
accept() {
  local what=$1 out
  shift
  if out=$(kc "$@" 2>&1); then echo "ok: $what: accepted"; else echo "FAIL: $what: refused: $out"; fail=1; fi
}
# One change to the example Tenant acme / VastCluster vast-a, as a JSON merge patch.
tenant_patch() { printf '%s\n' patch tenant acme --dry-run=server --type merge -p "$1"; }
cluster_patch() { printf '%s\n' patch vastcluster vast-a --dry-run=server --type merge -p "$1"; }
# refuse_tenant WHAT PATCH TEXT...: the example Tenant with PATCH is refused naming TEXT.
refuse_tenant() { local what=$1 p=$2; shift 2; mapfile -t args < <(tenant_patch "$p"); refuse "Tenant: $what" "$@" -- "${args[@]}"; }
refuse_cluster() { local what=$1 p=$2; shift 2; mapfile -t args < <(cluster_patch "$p"); refuse "VastCluster: $what" "$@" -- "${args[@]}"; }
accept_tenant() { mapfile -t args < <(tenant_patch "$2"); accept "Tenant: $1" "${args[@]}"; }
# json_list N TEMPLATE: a JSON array of N copies of TEMPLATE with %d the index.
json_list() { local i s=""; for ((i = 0; i < $1; i++)); do s+=${s:+,}$(printf "$2" "$i"); done; echo "[$s]"; }

# The CRDs, as the chart installs them.
kc apply --server-side -f "$chart/crds/" >/dev/null
kc wait --for condition=Established --timeout 60s crd/tenants.tenancy.vast-k8s.io crd/vastclusters.tenancy.vast-k8s.io >/dev/null
echo "ok: both CRDs Established"
for crd in tenants vastclusters; do
  expect "$crd: scope, the one version served and stored" "Cluster v1alpha1 true true" \
    "$(kc get crd $crd.tenancy.vast-k8s.io -o jsonpath='{.spec.scope} {.spec.versions[*].name} {.spec.versions[0].served} {.spec.versions[0].storage}')"
done
expect "tenants: short name" "vt" "$(kc get crd tenants.tenancy.vast-k8s.io -o jsonpath='{.spec.names.shortNames[*]}')"
expect "vastclusters: short name" "vc" "$(kc get crd vastclusters.tenancy.vast-k8s.io -o jsonpath='{.spec.names.shortNames[*]}')"
expect "categories and status subresource" "vast {} vast {}" \
  "$(kc get crd tenants.tenancy.vast-k8s.io vastclusters.tenancy.vast-k8s.io -o jsonpath='{range .items[*]}{.spec.names.categories[*]} {.spec.versions[0].subresources.status}{" "}{end}' | sed 's/ $//')"

# Every field (property) in both schemas has a description, what kubectl explain shows;
# metadata is the API server's own, and a list's items are described by the list.
undescribed=$(kc get crd tenants.tenancy.vast-k8s.io vastclusters.tenancy.vast-k8s.io -o json | /usr/bin/python3 -c '
import json, sys
def walk(path, s, out):
    for name, sub in s.get("properties", {}).items():
        if not sub.get("description") and name != "metadata":
            out.append(path + "." + name)
        walk(path + "." + name, sub, out)
    if "items" in s:
        walk(path + "[]", s["items"], out)
out = []
for crd in json.load(sys.stdin)["items"]:
    walk(crd["spec"]["names"]["kind"], crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"], out)
print(" ".join(out))')
expect "fields without a description" "" "$undescribed"
# The shapes the schema writes out at each use (a CRD cannot share a definition) are the
# same but for their descriptions.
differing=$(kc get crd tenants.tenancy.vast-k8s.io -o json | /usr/bin/python3 -c '
import json, sys
def bare(s):
    if isinstance(s, dict):
        return {k: bare(v) for k, v in s.items() if k != "description"}
    return [bare(v) for v in s] if isinstance(s, list) else s
spec = json.load(sys.stdin)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
uses = {"qos": [spec["qos"], spec["storageClasses"]["items"]["properties"]["qos"]],
        "quantity": [spec["capacity"]["properties"]["hardLimit"], spec["capacity"]["properties"]["softLimit"],
                     spec["objectStorage"]["properties"]["bucketQuota"]]}
print(" ".join(name for name, copies in uses.items() if any(bare(c) != bare(copies[0]) for c in copies)))')
expect "shapes whose copies differ" "" "$differing"

# The chart's examples: accepted, and read back with the defaults they leave out.
kc apply -f "$chart/examples/vastcluster.yaml" -f "$chart/examples/tenant.yaml" >/dev/null
expect "example VastCluster: endpoint, secret, tenantsRoot defaulted, topology" \
  "https://vms-a.example.com:443 vast-system/vast-a-admin /vast-k8s/tenants zone-a eu-1" \
  "$(kc get vc vast-a -o jsonpath='{.spec.endpoint} {.spec.credentialsSecretRef.namespace}/{.spec.credentialsSecretRef.name} {.spec.tenantsRoot} {.spec.topology.zone} {.spec.topology.region}')"
expect "example Tenant: namespaces, cluster, VIP range, capacity" \
  "acme-train,acme-infer acme environment In vast-a 10.0.0.10-10.0.0.19/24 10Ti 8Ti" \
  "$(kc get vt acme -o jsonpath='{.spec.namespaces.names[0]},{.spec.namespaces.names[1]} {.spec.namespaces.selector.matchLabels.tenant} {.spec.namespaces.selector.matchExpressions[0].key} {.spec.namespaces.selector.matchExpressions[0].operator} {.spec.clusters[0].name} {.spec.clusters[0].vipPool.ranges[0].start}-{.spec.clusters[0].vipPool.ranges[0].end}/{.spec.clusters[0].vipPool.subnetCIDR} {.spec.capacity.hardLimit} {.spec.capacity.softLimit}')"
expect "example Tenant: qos, networks, object storage, deletion" \
  "2000 10000 600000 10.20.0.0/16 2001:db8:20::/48 true 1Ti true Retain" \
  "$(kc get vt acme -o jsonpath='{.spec.qos.maxWriteMBps} {.spec.qos.burstWriteMBps} {.spec.qos.burstWriteCreditMB} {.spec.clientNetworks[*]} {.spec.objectStorage.enabled} {.spec.objectStorage.bucketQuota} {.spec.snapshots.enabled} {.spec.deletionPolicy}')"
expect "example Tenant: classes (acme-archive's default defaulted to false)" \
  "acme-fast true Delete nfsvers=4.1 5000;acme-archive false Retain  ;" \
  "$(kc get vt acme -o jsonpath='{range .spec.storageClasses[*]}{.name} {.default} {.reclaimPolicy} {.mountOptions[*]} {.qos.burstWriteMBps};{end}')"

# A minimal Tenant and VastCluster: every default the schema declares.
kc apply -f - >/dev/null <<'YAML'
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: Tenant
metadata: {name: minimal}
spec:
  namespaces: {names: [minimal]}
  clusters: [{name: vast-a}]
  storageClasses: [{name: minimal-std}]
---
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: VastCluster
metadata: {name: vast-b}
spec:
  endpoint: http://127.0.0.1:8080
  credentialsSecretRef: {name: vast-b-admin, namespace: vast-system}
YAML
expect "minimal Tenant: snapshots on, object storage off, Retain, class not default and Delete" \
  "true false Retain false Delete" \
  "$(kc get vt minimal -o jsonpath='{.spec.snapshots.enabled} {.spec.objectStorage.enabled} {.spec.deletionPolicy} {.spec.storageClasses[0].default} {.spec.storageClasses[0].reclaimPolicy}')"
expect "minimal VastCluster: tenantsRoot" "/vast-k8s/tenants" "$(kc get vc vast-b -o jsonpath='{.spec.tenantsRoot}')"
expect "the vast category lists both kinds" \
  "tenant.tenancy.vast-k8s.io/acme tenant.tenancy.vast-k8s.io/minimal vastcluster.tenancy.vast-k8s.io/vast-a vastcluster.tenancy.vast-k8s.io/vast-b" \
  "$(kc get vast -o name | sort | xargs)"

# --- The Tenant's rules, one refused object each. ---
long=$(printf 'a%.0s' {1..51})
refuse "a name of 51 characters" "at most 50 characters" -- create --dry-run=server -f - <<YAML
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: Tenant
metadata: {name: $long}
spec: {namespaces: {names: [a]}, clusters: [{name: vast-a}]}
YAML
accept "Tenant: a name of 50 characters" create --dry-run=server -f - <<YAML
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: Tenant
metadata: {name: ${long:1}}
spec: {namespaces: {names: [a]}, clusters: [{name: vast-a}]}
YAML
refuse "no spec" "spec: Required value" -- create --dry-run=server -f - <<'YAML'
{apiVersion: tenancy.vast-k8s.io/v1alpha1, kind: Tenant, metadata: {name: nospec}}
YAML
refuse "no namespaces, no clusters" "spec.namespaces: Required value" "spec.clusters: Required value" -- create --dry-run=server -f - <<'YAML'
{apiVersion: tenancy.vast-k8s.io/v1alpha1, kind: Tenant, metadata: {name: bare}, spec: {deletionPolicy: Retain}}
YAML

refuse_tenant "namespaces without names or selector" '{"spec":{"namespaces":{"names":null,"selector":null}}}' \
  "spec.namespaces: Invalid value" "namespaces needs names or a selector"
refuse_tenant "namespaces with an empty names list only" '{"spec":{"namespaces":{"names":[],"selector":null}}}' \
  "spec.namespaces: Invalid value" "namespaces needs names or a selector"
accept_tenant "namespaces by selector only" '{"spec":{"namespaces":{"names":null}}}'
refuse_tenant "a namespace name that is not a DNS-1123 label" '{"spec":{"namespaces":{"names":["Acme_Train"]}}}' \
  'spec.namespaces.names[0]: Invalid value: "Acme_Train"' "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"
refuse_tenant "a namespace named twice" '{"spec":{"namespaces":{"names":["a","a"]}}}' \
  'spec.namespaces.names[1]: Duplicate value: "a"'
refuse_tenant "a selector operator that does not exist" \
  '{"spec":{"namespaces":{"selector":{"matchExpressions":[{"key":"a","operator":"Has"}]}}}}' \
  'spec.namespaces.selector.matchExpressions[0].operator: Unsupported value: "Has"' '"In", "NotIn", "Exists", "DoesNotExist"'
refuse_tenant "Exists with values" \
  '{"spec":{"namespaces":{"selector":{"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]}}}}' \
  "spec.namespaces.selector.matchExpressions[0]: Invalid value" "In and NotIn need values; Exists and DoesNotExist take none"
refuse_tenant "In without values" \
  '{"spec":{"namespaces":{"selector":{"matchExpressions":[{"key":"a","operator":"In"}]}}}}' \
  "spec.namespaces.selector.matchExpressions[0]: Invalid value" "In and NotIn need values"
refuse_tenant "a selector requirement without a key" \
  '{"spec":{"namespaces":{"selector":{"matchExpressions":[{"operator":"Exists"}]}}}}' \
  "spec.namespaces.selector.matchExpressions[0].key: Required value"

refuse_tenant "no clusters" '{"spec":{"clusters":[]}}' "spec.clusters: Invalid value" "should have at least 1 items"
refuse_tenant "nine clusters" "{\"spec\":{\"clusters\":$(json_list 9 '{"name":"c%d"}')}}" \
  "spec.clusters: Too many: 9: must have at most 8 items"
accept_tenant "eight clusters" "{\"spec\":{\"clusters\":$(json_list 8 '{"name":"c%d"}')}}"
refuse_tenant "a cluster named twice" '{"spec":{"clusters":[{"name":"vast-a"},{"name":"vast-a"}]}}' \
  'spec.clusters[1]: Duplicate value: {"name":"vast-a"}'
refuse_tenant "a cluster without a name" '{"spec":{"clusters":[{"vipPool":{"ranges":[{"start":"10.0.0.1","end":"10.0.0.2"}]}}]}}' \
  "spec.clusters[0].name: Required value"
refuse_tenant "a VIP range start that is not an address" \
  '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"ranges":[{"start":"10.0.0.300","end":"10.0.0.2"}]}}]}}' \
  'spec.clusters[0].vipPool.ranges[0].start: Invalid value: "10.0.0.300"' "start must be an IP address"
refuse_tenant "a VIP range end that is not an address" \
  '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"ranges":[{"start":"10.0.0.1","end":"vip-end"}]}}]}}' \
  'spec.clusters[0].vipPool.ranges[0].end: Invalid value: "vip-end"' "end must be an IP address"
refuse_tenant "a VIP range from IPv4 to IPv6" \
  '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"ranges":[{"start":"10.0.0.1","end":"fd00::1"}]}}]}}' \
  "spec.clusters[0].vipPool.ranges[0]: Invalid value" "start and end must both be IPv4 or both IPv6"
accept_tenant "an IPv6 VIP range with a /64" \
  '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"ranges":[{"start":"fd00::10","end":"fd00::1f"}],"subnetCIDR":64}}]}}'
refuse_tenant "a VIP range without an end" \
  '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"ranges":[{"start":"10.0.0.1"}]}}]}}' \
  "spec.clusters[0].vipPool.ranges[0].end: Required value"
refuse_tenant "a VIP pool without ranges" '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"subnetCIDR":24}}]}}' \
  "spec.clusters[0].vipPool.ranges: Required value"
refuse_tenant "subnetCIDR 0" '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"ranges":[{"start":"10.0.0.1","end":"10.0.0.2"}],"subnetCIDR":0}}]}}' \
  "spec.clusters[0].vipPool.subnetCIDR: Invalid value: 0" "should be greater than or equal to 1"
refuse_tenant "subnetCIDR 129" '{"spec":{"clusters":[{"name":"vast-a","vipPool":{"ranges":[{"start":"10.0.0.1","end":"10.0.0.2"}],"subnetCIDR":129}}]}}' \
  "spec.clusters[0].vipPool.subnetCIDR: Invalid value: 129" "should be less than or equal to 128"

refuse_tenant "softLimit above hardLimit" '{"spec":{"capacity":{"softLimit":"11Ti"}}}' \
  "spec.capacity.softLimit: Invalid value: softLimit 11Ti must not exceed hardLimit 10Ti"
refuse_tenant "softLimit above hardLimit, in other units" '{"spec":{"capacity":{"hardLimit":"1T","softLimit":"1Ti"}}}' \
  "spec.capacity.softLimit: Invalid value: softLimit 1Ti must not exceed hardLimit 1T"
accept_tenant "softLimit equal to hardLimit in other units" '{"spec":{"capacity":{"hardLimit":"1Ti","softLimit":"1024Gi"}}}'
accept_tenant "hardLimit as a number of bytes" '{"spec":{"capacity":{"hardLimit":1099511627776,"softLimit":"512Gi"}}}'
refuse_tenant "hardLimit 0" '{"spec":{"capacity":{"hardLimit":"0","softLimit":null}}}' \
  'spec.capacity.hardLimit: Invalid value: "0": must be greater than zero'
refuse_tenant "a negative hardLimit" '{"spec":{"capacity":{"hardLimit":-5,"softLimit":null}}}' \
  "spec.capacity.hardLimit: Invalid value: -5: must be greater than zero"
refuse_tenant "a hardLimit that is not a quantity" '{"spec":{"capacity":{"hardLimit":"ten"}}}' \
  'spec.capacity.hardLimit: Invalid value: "ten": must be a quantity such as 10Ti'
refuse_tenant "softLimit 0" '{"spec":{"capacity":{"softLimit":"0"}}}' \
  'spec.capacity.softLimit: Invalid value: "0": must be greater than zero'
refuse_tenant "softLimit without hardLimit" '{"spec":{"capacity":{"hardLimit":null}}}' \
  "spec.capacity.hardLimit: Required value"

# QoS: the tenant-wide one, then a class's (the same shape, reused in the schema).
for dir_ in Read Write; do
  for unit in MBps IOPS; do
    refuse_tenant "tenant qos burst${dir_}${unit} below max${dir_}${unit}" \
      "{\"spec\":{\"qos\":{\"max${dir_}${unit}\":2000,\"burst${dir_}${unit}\":1000}}}" \
      "spec.qos.burst${dir_}${unit}: Invalid value" "burst${dir_}${unit} must be at least max${dir_}${unit}"
  done
  refuse_tenant "tenant qos burst${dir_}CreditMB without burst${dir_}MBps" \
    "{\"spec\":{\"qos\":{\"burst${dir_}MBps\":null,\"burst${dir_}CreditMB\":5}}}" \
    "spec.qos.burst${dir_}CreditMB: Invalid value" "burst${dir_}CreditMB needs burst${dir_}MBps"
done
accept_tenant "tenant qos: a burst of 0 (unlimited) under a max, a credit of 0 without a burst" \
  '{"spec":{"qos":{"maxReadIOPS":5000,"burstReadIOPS":0,"burstReadMBps":null,"burstReadCreditMB":0}}}'
refuse_tenant "tenant qos: a negative cap" '{"spec":{"qos":{"maxReadIOPS":-1}}}' \
  "spec.qos.maxReadIOPS: Invalid value: -1" "should be greater than or equal to 0"
refuse_tenant "tenant qos: a cap above VMS's range" '{"spec":{"qos":{"maxReadIOPS":4294967297}}}' \
  "spec.qos.maxReadIOPS: Invalid value: 4294967297" "should be less than or equal to 4294967296"
refuse_tenant "class qos burstWriteMBps below maxWriteMBps" \
  '{"spec":{"storageClasses":[{"name":"acme-fast","qos":{"maxWriteMBps":1000,"burstWriteMBps":500}}]}}' \
  "spec.storageClasses[0].qos.burstWriteMBps: Invalid value" "burstWriteMBps must be at least maxWriteMBps"
refuse_tenant "class qos burstReadCreditMB without burstReadMBps" \
  '{"spec":{"storageClasses":[{"name":"acme-fast","qos":{"burstReadCreditMB":100}}]}}' \
  "spec.storageClasses[0].qos.burstReadCreditMB: Invalid value" "burstReadCreditMB needs burstReadMBps"

refuse_tenant "a client network that is an address, not a CIDR" '{"spec":{"clientNetworks":["10.20.0.1"]}}' \
  'spec.clientNetworks[0]: Invalid value: "10.20.0.1"' "clientNetworks entry 10.20.0.1 is not a CIDR"
refuse_tenant "a client network with host bits set" '{"spec":{"clientNetworks":["10.20.0.7/16"]}}' \
  'spec.clientNetworks[0]: Invalid value: "10.20.0.7/16"' "clientNetworks entry 10.20.0.7/16 has host bits set"
refuse_tenant "an IPv6 client network with host bits set" '{"spec":{"clientNetworks":["2001:db8:20::1/48"]}}' \
  'spec.clientNetworks[0]: Invalid value: "2001:db8:20::1/48"' "has host bits set"
accept_tenant "client networks: IPv4, IPv6 in capitals, a single host" '{"spec":{"clientNetworks":["10.20.0.0/16","2001:DB8:20::/48","10.1.2.3/32"]}}'
refuse_tenant "a client network with prefix /33" '{"spec":{"clientNetworks":["10.20.0.0/16","10.0.0.0/33"]}}' \
  'spec.clientNetworks[1]: Invalid value: "10.0.0.0/33"' "is not a CIDR"

refuse_tenant "two default classes" '{"spec":{"storageClasses":[{"name":"a","default":true},{"name":"b","default":true}]}}' \
  "spec.storageClasses: Invalid value" "at most one storage class may be the default"
refuse_tenant "a class named twice" '{"spec":{"storageClasses":[{"name":"a"},{"name":"a"}]}}' \
  'spec.storageClasses[1]: Duplicate value: {"name":"a"}'
refuse_tenant "17 classes" "{\"spec\":{\"storageClasses\":$(json_list 17 '{"name":"c%d"}')}}" \
  "spec.storageClasses: Too many: 17: must have at most 16 items"
refuse_tenant "a class name that is not a DNS-1123 subdomain" '{"spec":{"storageClasses":[{"name":"Fast_Class"}]}}' \
  'spec.storageClasses[0].name: Invalid value: "Fast_Class"' "should match"
refuse_tenant "a class name of 41 characters" "{\"spec\":{\"storageClasses\":[{\"name\":\"${long:10}\"}]}}" \
  "spec.storageClasses[0].name: Too long: may not be more than 40"
accept_tenant "a class name of 40 characters" "{\"spec\":{\"storageClasses\":[{\"name\":\"${long:11}\"}]}}"
refuse_tenant "a class without a name" '{"spec":{"storageClasses":[{"reclaimPolicy":"Delete"}]}}' \
  "spec.storageClasses[0].name: Required value"
refuse_tenant "reclaimPolicy Recycle" '{"spec":{"storageClasses":[{"name":"a","reclaimPolicy":"Recycle"}]}}' \
  'spec.storageClasses[0].reclaimPolicy: Unsupported value: "Recycle"' '"Delete", "Retain"'
refuse_tenant "a bucket quota that is not a quantity" '{"spec":{"objectStorage":{"bucketQuota":"lots"}}}' \
  'spec.objectStorage.bucketQuota: Invalid value: "lots": must be a quantity'
refuse_tenant "snapshots.enabled not a boolean" '{"spec":{"snapshots":{"enabled":"yes"}}}' \
  'spec.snapshots.enabled: Invalid value: "string": spec.snapshots.enabled in body must be of type boolean'
refuse_tenant "deletionPolicy Keep" '{"spec":{"deletionPolicy":"Keep"}}' \
  'spec.deletionPolicy: Unsupported value: "Keep"' '"Retain", "Delete"'

# --- The VastCluster's rules. ---
refuse "VastCluster: no endpoint, no credentials" "spec.endpoint: Required value" "spec.credentialsSecretRef: Required value" \
  -- create --dry-run=server -f - <<'YAML'
{apiVersion: tenancy.vast-k8s.io/v1alpha1, kind: VastCluster, metadata: {name: bare}, spec: {tenantsRoot: /t}}
YAML
refuse_cluster "an endpoint without a scheme" '{"spec":{"endpoint":"vms-a.example.com"}}' \
  'spec.endpoint: Invalid value: "vms-a.example.com"' "should match '^https?://'"
refuse_cluster "a secret reference without a namespace" '{"spec":{"credentialsSecretRef":{"namespace":null}}}' \
  "spec.credentialsSecretRef.namespace: Required value"
refuse_cluster "a secret reference without a name" '{"spec":{"credentialsSecretRef":{"name":null}}}' \
  "spec.credentialsSecretRef.name: Required value"
refuse_cluster "a secret name that is not a DNS-1123 subdomain" '{"spec":{"credentialsSecretRef":{"name":"Admin_Secret"}}}' \
  'spec.credentialsSecretRef.name: Invalid value: "Admin_Secret"' "should match"
refuse_cluster "a caBundle in base64" "{\"spec\":{\"caBundle\":\"$(printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n' | base64 -w0)\"}}" \
  "spec.caBundle: Invalid value" "caBundle must be PEM text"
refuse_cluster "a relative tenantsRoot" '{"spec":{"tenantsRoot":"vast-k8s/tenants"}}' \
  'spec.tenantsRoot: Invalid value: "vast-k8s/tenants"' "tenantsRoot must be an absolute path"
refuse_cluster "a tenantsRoot with a trailing slash" '{"spec":{"tenantsRoot":"/vast-k8s/tenants/"}}' \
  'spec.tenantsRoot: Invalid value: "/vast-k8s/tenants/"' "tenantsRoot must not end with /"
refuse_cluster "tenantsRoot /" '{"spec":{"tenantsRoot":"/"}}' \
  'spec.tenantsRoot: Invalid value: "/"' "tenantsRoot must not end with /"
refuse_cluster "a tenantsRoot with .." '{"spec":{"tenantsRoot":"/vast-k8s/../etc"}}' \
  'spec.tenantsRoot: Invalid value: "/vast-k8s/../etc"' "tenantsRoot must not contain . or .. components"
refuse_cluster "a tenantsRoot ending in .." '{"spec":{"tenantsRoot":"/vast-k8s/.."}}' \
  "tenantsRoot must not contain . or .. components"
refuse_cluster "a tenantsRoot with //" '{"spec":{"tenantsRoot":"/vast-k8s//tenants"}}' \
  "tenantsRoot must not contain an empty component"
refuse_cluster "a zone that is not a label value" '{"spec":{"topology":{"zone":"zone a"}}}' \
  'spec.topology.zone: Invalid value: "zone a"' "should match"

# --- kubectl explain shows the descriptions. ---
explained=$(kc explain tenant.spec.qos 2>&1 || true)
for want in "KIND:       Tenant" "FIELD: qos <Object>" "Tenant-wide bandwidth and IOPS limits" "burstWriteCreditMB	<integer>"; do
  if [[ $explained == *"$want"* ]]; then echo "ok: explain tenant.spec.qos shows '$want'"; else echo "FAIL: explain tenant.spec.qos lacks '$want': $explained"; fail=1; fi
done
explained=$(kc explain vastcluster.spec.tenantsRoot 2>&1 || true)
if [[ $explained == *"Absolute, without a trailing slash"* ]]; then echo "ok: explain vastcluster.spec.tenantsRoot"; else echo "FAIL: explain vastcluster.spec.tenantsRoot: $explained"; fail=1; fi

# --- Status: through the status subresource only; the printer columns show it. ---
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
kc patch tenant acme --subresource=status --type merge -p "{\"status\":{\"observedGeneration\":1,\"clusterCount\":1,\"used\":\"1.5Gi\",\"limit\":\"10Ti\",\"volumes\":3,\"buckets\":1,
  \"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Reconciled\",\"message\":\"vast-a: tenant vk-acme matches\",\"lastTransitionTime\":\"$now\",\"observedGeneration\":1}],
  \"clusters\":[{\"name\":\"vast-a\",\"tenantId\":7,\"vipPoolId\":3,\"viewPolicyId\":12,\"rootQuotaId\":40,\"managerId\":5,\"usedBytes\":1610612736,\"limitBytes\":10995116277760,\"lastError\":\"\"}]}}" >/dev/null
kc patch vastcluster vast-a --subresource=status --type merge -p "{\"status\":{\"observedGeneration\":1,\"vastVersion\":\"5.3.0\",\"capacity\":{\"totalBytes\":1000000000000000,\"freeBytes\":600000000000000},\"lastError\":\"\",
  \"conditions\":[{\"type\":\"Connected\",\"status\":\"True\",\"reason\":\"Connected\",\"message\":\"VMS answered as admin\",\"lastTransitionTime\":\"$now\"}]}}" >/dev/null
expect "kubectl get tenants: columns" "NAME READY CLUSTERS USED LIMIT AGE" "$(kc get tenants | head -1 | xargs)"
expect "kubectl get tenants: acme's row (without its age)" "acme True 1 1.5Gi 10Ti" "$(kc get tenants acme --no-headers | awk '{print $1, $2, $3, $4, $5}')"
expect "kubectl get vc: columns" "NAME CONNECTED ENDPOINT VERSION AGE" "$(kc get vc | head -1 | xargs)"
expect "kubectl get vc: vast-a's row (without its age)" "vast-a True https://vms-a.example.com:443 5.3.0" "$(kc get vc vast-a --no-headers | awk '{print $1, $2, $3, $4}')"
expect "status per cluster read back" "7 3 12 40 5 1610612736 10995116277760" \
  "$(kc get vt acme -o jsonpath='{.status.clusters[0].tenantId} {.status.clusters[0].vipPoolId} {.status.clusters[0].viewPolicyId} {.status.clusters[0].rootQuotaId} {.status.clusters[0].managerId} {.status.clusters[0].usedBytes} {.status.clusters[0].limitBytes}')"
expect "VastCluster capacity read back" "1000000000000000 600000000000000" \
  "$(kc get vc vast-a -o jsonpath='{.status.capacity.totalBytes} {.status.capacity.freeBytes}')"

# A status write through the main resource changes nothing (nor does a spec write through
# /status); generation counts spec changes only.
gen=$(kc get vt acme -o jsonpath='{.metadata.generation}')
kc patch tenant acme --type merge -p '{"status":{"used":"9Ti","clusterCount":4}}' >/dev/null
expect "status written through the main resource: unchanged" "1.5Gi 1 $gen" "$(kc get vt acme -o jsonpath='{.status.used} {.status.clusterCount} {.metadata.generation}')"
kc patch tenant acme --subresource=status --type merge -p '{"spec":{"deletionPolicy":"Delete"}}' >/dev/null
expect "spec written through /status: unchanged" "Retain $gen" "$(kc get vt acme -o jsonpath='{.spec.deletionPolicy} {.metadata.generation}')"

# The status schema holds too (the operator's own writes are checked).
refuse "Tenant status: a condition status Maybe" 'status.conditions[0].status: Unsupported value: "Maybe"' '"True", "False", "Unknown"' \
  -- patch tenant acme --subresource=status --dry-run=server --type merge -p \
  "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Maybe\",\"reason\":\"X\",\"message\":\"m\",\"lastTransitionTime\":\"$now\"}]}}"
refuse "Tenant status: a condition without a reason" "status.conditions[0].reason: Required value" \
  -- patch tenant acme --subresource=status --dry-run=server --type merge -p \
  "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"message\":\"m\",\"lastTransitionTime\":\"$now\"}]}}"
refuse "Tenant status: a condition type twice" 'status.conditions[1]: Duplicate value' \
  -- patch tenant acme --subresource=status --dry-run=server --type merge -p \
  "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"A\",\"message\":\"m\",\"lastTransitionTime\":\"$now\"},{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"B\",\"message\":\"m\",\"lastTransitionTime\":\"$now\"}]}}"
refuse "VastCluster status: totalBytes as text" 'status.capacity.totalBytes: Invalid value: "string"' "must be of type integer" \
  -- patch vastcluster vast-a --subresource=status --dry-run=server --type merge -p '{"status":{"capacity":{"totalBytes":"1PB"}}}'

if ((fail)); then echo "FAIL: operator.crds"; else echo "ok: operator.crds"; fi
exit $fail
