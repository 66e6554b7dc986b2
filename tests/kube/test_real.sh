# The kube layer against the real kube-apiserver (tests/k8s/lib.sh on loopback).
# Without the tool cache it fails saying what to run, as the k8s tests do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../k8s/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl
dir=$(mktemp -d /tmp/vk-kube-real.XXXXXX)
trap 'k8s_stop; rm -rf "$dir"' EXIT
k8s_start "$dir"
"$KUBE_PROBE"
