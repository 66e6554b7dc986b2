# The Event recorder against the real kube-apiserver (tests/k8s/lib.sh on loopback):
# kube_events_real writes (kube_events_real.c says what), kubectl reads back: one
# Event with series.count 1000 for 1,000 repeats, three Events for three reasons, 25
# for 30 reasons on one object (the spam filter), and no credential in any note.
# Without the tool cache it fails saying what to run, as the k8s tests do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../k8s/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl
dir=$(mktemp -d /tmp/vk-event-real.XXXXXX)
trap 'k8s_stop; rm -rf "$dir"' EXIT
k8s_start "$dir/k8s"

"$KUBE_EVENTS_REAL" | tee "$dir/out.txt"
k get events.v1.events.k8s.io -n default -o json >"$dir/events.json"
/usr/bin/python3 - "$dir/events.json" "$dir/out.txt" "$K8S_ADMIN_TOKEN" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))["items"]
uids = {l.split()[1]: l.split()[2] for l in open(sys.argv[2]) if l.startswith("uid ")}
token = sys.argv[3]
fails = 0
def check(ok, what):
    global fails
    print(("ok: " if ok else "FAIL: ") + what)
    fails += not ok
def about(name):
    # the namespace also holds the control plane's own Events, some regarding no named object
    return [e for e in events if (e.get("regarding") or {}).get("name") == name]

flap = about("vk-ev-flap")
check(len(flap) == 1, f"one Event for 1,000 repeats (kubectl sees {len(flap)})")
if flap:
    e = flap[0]
    count = (e.get("series") or {}).get("count")
    check(count == 1000, f"its series.count is 1000 (kubectl: {count})")
    check(e["type"] == "Warning" and e["reason"] == "ProvisioningFailed" and e["action"] == "Provision",
          "type, reason and action as recorded")
    check(e["reportingController"] == "vast-k8s.io/test" and e["reportingInstance"] == "test-1", "reporting controller and instance")
    check(e["regarding"]["uid"] == uids["vk-ev-flap"] and e["regarding"]["kind"] == "ConfigMap", "regarding the ConfigMap by uid")
    check(e["metadata"]["name"].startswith("vk-ev-flap."), f"named after its object ({e['metadata']['name']})")
    check(bool((e.get("series") or {}).get("lastObservedTime")), "series.lastObservedTime set")
distinct = sorted(e["reason"] for e in about("vk-ev-distinct"))
check(distinct == ["Created", "Synced", "Updated"], f"three reasons, three Events ({distinct})")
check(all((e.get("series") or {}).get("count") == 2 for e in about("vk-ev-distinct")), "each seen twice: series.count 2")
spam = about("vk-ev-spam")
check(len(spam) == 25, f"30 reasons on one object: 25 Events, the burst (kubectl sees {len(spam)})")
secret = about("vk-ev-secret")
check(len(secret) == 1, "the note quoting credentials was recorded")
text = json.dumps(events)
check("Hunter2-Pass" not in text and token not in text, "no password or bearer token in any Event")
if secret:
    print("note as stored: " + secret[0]["note"])
    check("vms.example" in secret[0]["note"], "the rest of the note kept")
sys.exit(1 if fails else 0)
PY
echo "ok: events against the real API server"
