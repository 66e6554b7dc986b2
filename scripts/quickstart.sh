#!/usr/bin/env bash
# Quickstart: installs what is needed, builds, starts vast-csi on a scratch socket and
# walks through what it serves today with csictl, printing each step. It leaves
# nothing running: the plugin is stopped with SIGTERM and its directory removed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/vast-quickstart.XXXXXX")
endpoint="unix://$work/csi.sock"
plugin_pid=""
stop() {
  if [[ -n "$plugin_pid" ]] && kill -0 "$plugin_pid" 2>/dev/null; then
    kill -TERM "$plugin_pid"
    wait "$plugin_pid" || true
  fi
  rm -rf "$work"
}
trap stop EXIT

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

echo "Starting vast-csi (controller + node) on $endpoint; its log: $work/vast-csi.log"
build/csi/vast-csi --endpoint "$endpoint" --mode all --node-id quickstart-node 2>"$work/vast-csi.log" &
plugin_pid=$!

ctl=(build/csictl/csictl -e "$endpoint")
step "Wait until the plugin answers Probe" "${ctl[@]}" --wait 10000 Probe
step "Plugin name and version" "${ctl[@]}" GetPluginInfo
step "Plugin capabilities" "${ctl[@]}" GetPluginCapabilities
step "Node identity (what the kubelet registers)" "${ctl[@]}" NodeGetInfo
step "Controller capabilities" "${ctl[@]}" ControllerGetCapabilities
printf '\n\033[1m== An unknown method is refused at once with UNIMPLEMENTED (exit status 12)\033[0m\n'
rc=0
"${ctl[@]}" /csi.v1.Example/NoSuchMethod || rc=$?
echo "exit status $rc"

printf '\n\033[1m== Stop the plugin with SIGTERM\033[0m\n'
kill -TERM "$plugin_pid"
rc=0
wait "$plugin_pid" || rc=$?
plugin_pid=""
echo "vast-csi exited with status $rc; its log:"
cat "$work/vast-csi.log"
