#!/usr/bin/env bash
# Builds the upstream Kubernetes test tools from their released Go modules, at the
# versions pinned in scripts/k8s-tools.versions: csi-sanity (two versions), the CSI
# sidecars, snapshot-controller and its CRDs, kube-apiserver, kube-controller-manager,
# kubectl, etcd, the COSI controller and objectstorage sidecar with their CRDs, and helm.
# Nothing is installed system-wide and nothing lands in the tree:
# everything lives under ${XDG_CACHE_HOME:-$HOME/.cache}/vast-k8s/ (module cache, build
# cache, one directory per tool@version). A tool whose stamp matches its recipe is not
# built again, so a second run takes seconds.
#
#   scripts/k8s-tools.sh [GROUP...]   build (all groups, or: sanity sidecars kubernetes etcd cosi helm)
#   scripts/k8s-tools.sh --print-bin  print the bin directory of this version set
#   scripts/k8s-tools.sh --print-crd  print the directory of the snapshot CRD yamls
#   scripts/k8s-tools.sh --print-cosi-crd  print the directory of the COSI v1alpha1 CRD yamls
#   scripts/k8s-tools.sh --check      exit 0 when every tool of the set is built
#
# Needs only Go (PATH or /usr/local/go) and the Go module proxy. Why each version:
# docs/testing.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSIONS="$HERE/k8s-tools.versions"
# shellcheck source=k8s-tools.versions
source "$VERSIONS"
PY=/usr/bin/python3

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vast-k8s"
TOOLS="$CACHE/tools"
# The bin directory is named after the pinned versions, so a changed pin never mixes
# with binaries of the old set (the tools themselves are shared per tool@version).
SET_ID=$(grep -E '^[A-Z_]+=' "$VERSIONS" | sha256sum | cut -c1-12)
SET_DIR="$CACHE/set-$SET_ID"
BIN="$SET_DIR/bin"
CRD="$SET_DIR/crd"
COSI_CRD="$SET_DIR/cosi-crd"
# The COSI monorepo's controller and sidecar import a module of the same repository that
# was never tagged (.../internal, holding internal/runtime). Upstream's released ancestor of
# that package is the controller package of container-object-storage-interface-api
# (COSI_RUNTIME_API_VERSION): cosi_runtime_module relocates it, unchanged but for its import
# paths, into a module of that name under the cache, built in as a replace.
COSI_MODULE=sigs.k8s.io/container-object-storage-interface
COSI_RUNTIME_API=sigs.k8s.io/container-object-storage-interface-api
COSI_RUNTIME_DIR="$TOOLS/cosi-runtime@$COSI_RUNTIME_API_VERSION"

# the staging modules of k8s.io/kubernetes vX.Y.Z are released as v0.Y.Z
K8S_STAGING_VERSION="v0.${KUBERNETES_VERSION#v1.}"

# ---------- what the set is: name, module, version, companion version, binaries ----------
# One line per tool: NAME MODULE VERSION COMPANION BINARY=PACKAGE...
# COMPANION is the version of the modules the tool's go.mod replaces with a local path
# (its own sub-modules, released with the same tag, or Kubernetes' staging modules).
tool_lines() {
  local g
  for g in "${GROUPS_WANTED[@]}"; do
    case $g in
      sanity)
        echo "csi-sanity github.com/kubernetes-csi/csi-test/v5 $CSI_SANITY_VERSION $CSI_SANITY_VERSION" \
          "csi-sanity=github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity"
        echo "csi-sanity github.com/kubernetes-csi/csi-test/v5 $CSI_SANITY_OLD_VERSION $CSI_SANITY_OLD_VERSION" \
          "csi-sanity=github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity"
        ;;
      sidecars)
        echo "csi-provisioner github.com/kubernetes-csi/external-provisioner/v6 $CSI_PROVISIONER_VERSION" \
          "$CSI_PROVISIONER_VERSION csi-provisioner=github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner"
        echo "csi-resizer github.com/kubernetes-csi/external-resizer/v2 $CSI_RESIZER_VERSION $CSI_RESIZER_VERSION" \
          "csi-resizer=github.com/kubernetes-csi/external-resizer/v2/cmd/csi-resizer"
        echo "external-snapshotter github.com/kubernetes-csi/external-snapshotter/v8 $EXTERNAL_SNAPSHOTTER_VERSION" \
          "$EXTERNAL_SNAPSHOTTER_VERSION" \
          "csi-snapshotter=github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter" \
          "snapshot-controller=github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller"
        ;;
      kubernetes)
        echo "kubernetes k8s.io/kubernetes $KUBERNETES_VERSION $K8S_STAGING_VERSION" \
          "kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver" \
          "kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager" \
          "kubectl=k8s.io/kubernetes/cmd/kubectl"
        ;;
      etcd)
        echo "etcd go.etcd.io/etcd/server/v3 $ETCD_VERSION $ETCD_VERSION etcd=go.etcd.io/etcd/server/v3"
        ;;
      cosi)
        # one module (the repository's root) holds both commands at this release; its
        # client and proto modules are tagged client/vX and proto/vX with the same version
        echo "cosi $COSI_MODULE $COSI_VERSION $COSI_VERSION" \
          "cosi-controller=$COSI_MODULE/controller/cmd objectstorage-sidecar=$COSI_MODULE/sidecar/cmd"
        ;;
      helm)
        echo "helm helm.sh/helm/v3 $HELM_VERSION $HELM_VERSION helm=helm.sh/helm/v3/cmd/helm"
        ;;
      *)
        echo "k8s-tools: unknown group '$g' (groups: sanity sidecars kubernetes etcd cosi helm)" >&2
        return 2
        ;;
    esac
  done
}

# tool_ldflags NAME VERSION: the -ldflags a tool's own release build sets, where the
# binary reports its version from them (Kubernetes' hack/lib/version.sh sets these
# variables; without them kube-apiserver and kubectl call themselves v0.0.0-master).
# Helm's Makefile sets its version and the Kubernetes version it assumes when no cluster
# answers (helm template, helm lint: .Capabilities.KubeVersion and the deprecation check),
# which is 1.(MINOR of its k8s.io modules); left unset, helm assumes v1.20.
tool_ldflags() {
  local name=$1 version=$2 minor pkg flags="" gomod
  if [[ $name == kubernetes ]]; then
    minor=${version#v1.}
    minor=${minor%%.*}
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    done
  elif [[ $name == helm ]]; then
    gomod=$(go_json_field "helm.sh/helm/v3@$version" GoMod) || return 1
    minor=$("$GO" mod edit -json "$gomod" | "$PY" -c 'import json, sys
m = json.load(sys.stdin)
v = [r["Version"] for r in m.get("Require") or [] if r["Path"] == "k8s.io/client-go"]
if not v: sys.exit("helm requires no k8s.io/client-go")
print(v[0].split(".")[1])') || return 1
    flags="-X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
      flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$minor"
    done
  fi
  echo "${flags# }"
}

# tool_local_replaces NAME: -replace flags to a directory made here, after the carried
# ones (the later flag wins): the relocated COSI runtime for the untagged internal module.
tool_local_replaces() {
  [[ $1 == cosi ]] && echo "-replace=$COSI_MODULE/internal=$COSI_RUNTIME_DIR"
  return 0
}

# tool_local_hash NAME: a hash of what goes into the tool from such a directory (its
# recipe changes with it, so a changed relocation is built again).
tool_local_hash() {
  [[ $1 == cosi ]] || return 0
  (cd "$COSI_RUNTIME_DIR" && find . -type f \( -name '*.go' -o -name go.mod \) | LC_ALL=C sort | xargs sha256sum) |
    sha256sum | cut -c1-16
}

die() {
  echo "k8s-tools: ERROR: $*" >&2
  exit 1
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# ---------- options ----------
GROUPS_WANTED=()
MODE=build
for arg in "$@"; do
  case $arg in
    --print-bin) MODE=print-bin ;;
    --print-crd) MODE=print-crd ;;
    --print-cosi-crd) MODE=print-cosi-crd ;;
    --check) MODE=check ;;
    -h | --help)
      sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*) die "unknown option $arg (see --help)" ;;
    *) GROUPS_WANTED+=("$arg") ;;
  esac
done
((${#GROUPS_WANTED[@]})) || GROUPS_WANTED=(sanity sidecars kubernetes etcd cosi helm)

case $MODE in
  print-bin) echo "$BIN" && exit 0 ;;
  print-crd) echo "$CRD" && exit 0 ;;
  print-cosi-crd) echo "$COSI_CRD" && exit 0 ;;
esac

# stamp_ok DIR RECIPE BINARY...: the tool was built from exactly this recipe.
stamp_ok() {
  local dir=$1 recipe=$2 b
  shift 2
  [[ -f "$dir/stamp" && "$(cat "$dir/stamp")" == "$recipe" ]] || return 1
  for b in "$@"; do [[ -x "$dir/bin/$b" ]] || return 1; done
}

# binaries_of BINARY=PACKAGE...: the binary names.
binaries_of() { local s; for s in "$@"; do echo "${s%%=*}"; done; }

if [[ $MODE == check ]]; then
  missing=0
  while read -r name module version companion specs; do
    # shellcheck disable=SC2086 # specs is a word list by construction
    mapfile -t bins < <(binaries_of $specs)
    for b in "${bins[@]}"; do
      [[ -x "$BIN/$b-$version" ]] || { echo "missing: $b $version ($module)"; missing=1; }
    done
  done < <(tool_lines)
  [[ -f "$CRD/snapshot.storage.k8s.io_volumesnapshots.yaml" ]] || { echo "missing: snapshot CRDs"; missing=1; }
  [[ -f "$COSI_CRD/objectstorage.k8s.io_bucketclaims.yaml" ]] || { echo "missing: COSI CRDs"; missing=1; }
  exit $missing
fi

# ---------- the Go environment: everything under the cache ----------
GO=$(command -v go || true)
[[ -n $GO ]] || { [[ -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go; }
[[ -n $GO ]] || die "no Go toolchain: install Go (go.dev/doc/install) or put it in PATH"
export GOPATH="$CACHE/gopath" GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache"
# read-write module cache, so that rm -rf of the cache works
export GOFLAGS="-modcacherw"
# a module that needs a newer Go fails with a clear message rather than fetching a
# toolchain behind the user's back; set GOTOOLCHAIN yourself to allow it
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
mkdir -p "$TOOLS" "$BIN" "$CRD" "$COSI_CRD"

# One run at a time: a second one waits for the first and then finds its stamps.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  echo "k8s-tools: waiting for another k8s-tools.sh run to finish"
  flock 9
fi

# go_json_field MODULE@VERSION FIELD: a field of `go mod download -json`.
go_json_field() {
  "$GO" mod download -json "$1" | "$PY" -c 'import json, sys
text = sys.stdin.read()
if not text.strip(): sys.exit("go mod download %s gave no answer" % sys.argv[2])
d = json.loads(text)
if d.get("Error"): sys.exit(d["Error"])
print(d[sys.argv[1]])' "$2" "$1"
}

# replace_flags GOMOD COMPANION: the -replace flags of `go mod edit` that rebuild the
# tool's own build list in a throwaway module (a dependency's replace directives are
# ignored by Go, so they are carried over): module replaces as they are; a local-path
# replace of a module it requires becomes that module at COMPANION (the sub-module or
# staging module released with the same tag). Local replaces of modules it does not
# require (guards such as etcd's FORBIDDEN_DEPENDENCY) are left out.
replace_flags() {
  "$GO" mod edit -json "$1" | "$PY" -c 'import json, sys
m = json.load(sys.stdin)
companion = sys.argv[1]
required = {r["Path"] for r in m.get("Require") or []}
for r in m.get("Replace") or []:
    old, new = r["Old"], r["New"]
    lhs = old["Path"] + ("@" + old["Version"] if old.get("Version") else "")
    if new.get("Version"):
        print("-replace=%s=%s@%s" % (lhs, new["Path"], new["Version"]))
    elif old["Path"] in required:
        print("-replace=%s=%s@%s" % (lhs, old["Path"], companion))' "$2"
}

# build_steps MODULE VERSION COMPANION LDFLAGS LOCAL_REPLACES BINDIR BINARY=PACKAGE...: in
# an empty directory, the throwaway module and the builds; stops at the first failing step
# (each checked: set -e does not apply where a caller tests the status).
build_steps() {
  local module=$1 version=$2 companion=$3 ldflags=$4 local_replaces=$5 bindir=$6 gomod spec flags
  shift 6
  "$GO" mod init vast-k8s.tools/build || return 1
  gomod=$(go_json_field "$module@$version" GoMod) || return 1
  flags=$(replace_flags "$gomod" "$companion") || return 1
  flags+=" $local_replaces"
  # shellcheck disable=SC2086 # one -replace flag a word, no spaces inside
  "$GO" mod edit "-require=$module@$version" $flags || return 1
  for spec in "$@"; do
    echo "--- go get ${spec#*=}@$version"
    nice -n 19 "$GO" get "${spec#*=}@$version" || return 1
  done
  for spec in "$@"; do
    echo "--- go build ${spec#*=}"
    nice -n 19 "$GO" build -ldflags "$ldflags" -o "$bindir/${spec%%=*}" "${spec#*=}" || return 1
  done
}

# build_tool NAME MODULE VERSION COMPANION BINARY=PACKAGE...: builds the packages of
# MODULE@VERSION into $TOOLS/NAME@VERSION/bin through a throwaway module.
build_tool() {
  local name=$1 module=$2 version=$3 companion=$4
  shift 4
  local ldflags local_replaces local_hash
  ldflags=$(tool_ldflags "$name" "$version") || die "cannot work out the -ldflags of $name $version"
  local_replaces=$(tool_local_replaces "$name")
  local_hash=$(tool_local_hash "$name")
  local dir="$TOOLS/$name@$version" recipe="$module@$version companion=$companion $*"
  [[ -z $ldflags ]] || recipe+=" ldflags=[$ldflags]"
  [[ -z $local_hash ]] || recipe+=" local=$local_hash"
  local t0 log bins
  t0=$(now)
  mapfile -t bins < <(binaries_of "$@")
  if stamp_ok "$dir" "$recipe" "${bins[@]}"; then
    echo "k8s-tools: $name $version: cached ($(since "$t0"))"
    return 0
  fi
  echo "k8s-tools: $name $version: building ${bins[*]} from $module@$version ..."
  rm -rf "$dir"
  mkdir -p "$dir/src" "$dir/bin"
  log="$dir/build.log"
  if ! (cd "$dir/src" && build_steps "$module" "$version" "$companion" "$ldflags" "$local_replaces" "$dir/bin" "$@") >"$log" 2>&1; then
    echo "k8s-tools: ERROR: building $name $version failed after $(since "$t0"); the end of $log:" >&2
    tail -n 25 "$log" >&2
    exit 1
  fi
  printf '%s' "$recipe" >"$dir/stamp"
  echo "k8s-tools: $name $version: built in $(since "$t0")"
}

# link_tool NAME VERSION BINARY...: BIN/BINARY-VERSION for every tool, and BIN/BINARY
# as well except for csi-sanity's older version (plain csi-sanity is the current one).
link_tool() {
  local name=$1 version=$2 b
  shift 2
  for b in "$@"; do
    ln -sfn "$TOOLS/$name@$version/bin/$b" "$BIN/$b-$version"
    if [[ $name != csi-sanity || $version == "$CSI_SANITY_VERSION" ]]; then
      ln -sfn "$TOOLS/$name@$version/bin/$b" "$BIN/$b"
    fi
  done
}

# snapshot_crds: the CRD yamls of the snapshotter's client module, as released.
snapshot_crds() {
  local t0 dir src
  t0=$(now)
  dir="$TOOLS/snapshot-crds@$EXTERNAL_SNAPSHOTTER_VERSION"
  if [[ ! -f "$dir/stamp" ]]; then
    src=$(go_json_field "github.com/kubernetes-csi/external-snapshotter/client/v8@$EXTERNAL_SNAPSHOTTER_VERSION" Dir) ||
      die "cannot download the snapshotter's client module (the snapshot CRDs)"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src"/config/crd/*.storage.k8s.io_*.yaml "$dir/"
    chmod u+w "$dir"/*.yaml
    : >"$dir/stamp"
  fi
  local f
  for f in "$dir"/*.yaml; do ln -sfn "$f" "$CRD/$(basename "$f")"; done
  echo "k8s-tools: snapshot CRDs $EXTERNAL_SNAPSHOTTER_VERSION: $(find "$dir" -name '*.yaml' | wc -l) files ($(since "$t0"))"
}

# cosi_crds: the v1alpha1 CRD yamls of the COSI client module, as released with
# COSI_VERSION, with the annotations the release's root kustomization.yaml adds to them
# (commonAnnotations; among them api-approved.kubernetes.io, without which the API server
# refuses a CRD of a *.k8s.io group), so that `kubectl apply -f DIR` installs them.
cosi_crds() {
  local t0 dir src root f recipe="annotated from kustomization.yaml"
  t0=$(now)
  dir="$TOOLS/cosi-crds@$COSI_VERSION"
  if [[ ! -f "$dir/stamp" || "$(cat "$dir/stamp")" != "$recipe" ]]; then
    src=$(go_json_field "$COSI_MODULE/client@$COSI_VERSION" Dir) ||
      die "cannot download the COSI client module (the COSI CRDs)"
    root=$(go_json_field "$COSI_MODULE@$COSI_VERSION" Dir) ||
      die "cannot download the COSI root module (its kustomization.yaml)"
    rm -rf "$dir"
    mkdir -p "$dir"
    for f in "$src"/config/crd/objectstorage.k8s.io_*.yaml; do
      "$PY" - "$root/kustomization.yaml" "$f" "$dir/$(basename "$f")" <<'PY' || die "annotating $f failed"
import re, sys
kust, crd, out = sys.argv[1:4]
notes, inside = [], False
for line in open(kust, encoding="utf-8"):
    if re.match(r"commonAnnotations:\s*$", line):
        inside = True
    elif inside and re.match(r"\s+\S", line):
        notes.append("    " + line.strip() + "\n")
    elif inside and line.strip():
        inside = False
if not any(n.strip().startswith("api-approved.kubernetes.io:") for n in notes):
    sys.exit("no api-approved.kubernetes.io in the commonAnnotations of " + kust)
text = open(crd, encoding="utf-8").read()
head = "metadata:\n  annotations:\n"
if head not in text:
    sys.exit("no metadata.annotations in " + crd)
open(out, "w", encoding="utf-8").write(text.replace(head, head + "".join(notes), 1))
PY
    done
    printf '%s' "$recipe" >"$dir/stamp"
  fi
  for f in "$dir"/*.yaml; do ln -sfn "$f" "$COSI_CRD/$(basename "$f")"; done
  echo "k8s-tools: COSI CRDs $COSI_VERSION: $(find "$dir" -name '*.yaml' | wc -l) files ($(since "$t0"))"
}

# cosi_runtime_module: the module sigs.k8s.io/container-object-storage-interface/internal
# that the COSI v0.2.x controller and sidecar import (package runtime: leader election,
# informers, a work queue calling the listeners), made from its released ancestor, the
# controller package of $COSI_RUNTIME_API@$COSI_RUNTIME_API_VERSION. The code is upstream's;
# what changes is where it lives: its package name and import paths (the api module's
# apis/ and client/ became the monorepo's client module), and the one signature client-go
# changed since (a workqueue ProcessFunc takes an isInInitialList flag). Each rewrite is
# checked to have applied, so a different upstream text fails here, not at build time.
cosi_runtime_module() {
  local recipe="relocated from $COSI_RUNTIME_API@$COSI_RUNTIME_API_VERSION for $COSI_MODULE@$COSI_VERSION"
  [[ -f "$COSI_RUNTIME_DIR/stamp" && "$(cat "$COSI_RUNTIME_DIR/stamp")" == "$recipe" ]] && return 0
  local src
  src=$(go_json_field "$COSI_RUNTIME_API@$COSI_RUNTIME_API_VERSION" Dir) ||
    die "cannot download $COSI_RUNTIME_API@$COSI_RUNTIME_API_VERSION (the COSI runtime)"
  rm -rf "$COSI_RUNTIME_DIR"
  mkdir -p "$COSI_RUNTIME_DIR/runtime"
  "$PY" - "$src/controller" "$COSI_RUNTIME_DIR/runtime" "$COSI_RUNTIME_API" "$COSI_MODULE" <<'PY' || die "relocating the COSI runtime failed"
import os, sys
src, out, api, mono = sys.argv[1:5]
rewrites = [  # each must change something somewhere in the package
    ('"%s/apis/' % api, '"%s/client/apis/' % mono),
    ('"%s/client/' % api, '"%s/client/' % mono),
    ("package controller\n", "package runtime\n"),
    ("Process: func(obj interface{}) error {", "Process: func(obj interface{}, _ bool) error {"),
]
used = [0] * len(rewrites)
names = sorted(n for n in os.listdir(src) if n.endswith(".go") and not n.endswith("_test.go"))
if not names:
    sys.exit("no Go files in " + src)
for n in names:
    text = open(os.path.join(src, n), encoding="utf-8").read()
    for i, (old, new) in enumerate(rewrites):
        used[i] += text.count(old)
        text = text.replace(old, new)
    open(os.path.join(out, n), "w", encoding="utf-8").write(text)
missing = [rewrites[i][0] for i, u in enumerate(used) if not u]
if missing:
    sys.exit("these rewrites found nothing to change (upstream text differs): %r" % missing)
PY
  # the versions the v0.2.x commands are built with (their go.mod), so the build list is theirs
  cat >"$COSI_RUNTIME_DIR/go.mod" <<EOF
module $COSI_MODULE/internal

go 1.23.0

require (
	github.com/spf13/viper v1.19.0
	k8s.io/api v0.32.3
	k8s.io/apimachinery v0.32.3
	k8s.io/client-go v0.32.3
	k8s.io/klog/v2 v2.130.1
	$COSI_MODULE/client $COSI_VERSION
)
EOF
  printf '%s' "$recipe" >"$COSI_RUNTIME_DIR/stamp"
  echo "k8s-tools: COSI runtime relocated from $COSI_RUNTIME_API@$COSI_RUNTIME_API_VERSION"
}

T_ALL=$(now)
echo "k8s-tools: $("$GO" version), cache $CACHE"
while read -r name module version companion specs; do
  if [[ $name == cosi ]]; then cosi_runtime_module; fi
  # shellcheck disable=SC2086 # specs is a word list by construction
  build_tool "$name" "$module" "$version" "$companion" $specs
  # shellcheck disable=SC2086
  mapfile -t bins < <(binaries_of $specs)
  link_tool "$name" "$version" "${bins[@]}"
  if [[ $name == external-snapshotter ]]; then snapshot_crds; fi
  if [[ $name == cosi ]]; then cosi_crds; fi
done < <(tool_lines)
echo "k8s-tools: done in $(since "$T_ALL"); bin directory $BIN"
