# Leader election against the real kube-apiserver (tests/k8s/lib.sh on loopback), with
# kube_leader candidates sharing one log (kube_leader.c says what it writes). Short
# durations keep it fast: lease 4 s, renew deadline 3 s, retry 0.5 s.
#   1. A leads, B waits; kubectl shows A as holder.
#   2. SIGTERM A: it stops its work, releases, and B takes over well before A's lease
#      would have run out (FIGURE lease_handover_sigterm_ms).
#   3. kill -9 B (no release): C takes over after about the lease duration, as observed
#      by C (FIGURE lease_handover_kill9_ms), not sooner.
#   4. SIGSTOP C past its renew deadline: D takes over; SIGCONT C: C has done no work
#      since D started, reports the loss, and does not release D's lease.
#   5. The whole log: never two identities' leadership or work at once; kubectl's
#      holderIdentity and leaseTransitions at each step.
# Without the tool cache it fails saying what to run, as the k8s tests do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../k8s/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl
dir=$(mktemp -d /tmp/vk-lease-real.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -9 "$p" 2>/dev/null || true; done
  k8s_stop
  rm -rf "$dir"
}
trap cleanup EXIT
k8s_start "$dir/k8s"

log=$dir/leader.log
: >"$log"
LEASE_S=4 RENEW_MS=3000 RETRY_MS=500
mono() { /usr/bin/python3 -c 'import time; print(int(time.monotonic() * 1000))'; }
fail() { echo "FAIL: $*"; echo "--- log:"; cat "$log"; exit 1; }

declare -A pid_of
candidate() {
  "$KUBE_LEADER" --identity "$1" --log "$log" --name vk-test-leader --lease-s $LEASE_S --renew-ms $RENEW_MS \
    --retry-ms $RETRY_MS >"$dir/$1.out" 2>"$dir/$1.err" &
  pid_of[$1]=$!
  pids+=($!)
}
# wait_line ID EVENT SECONDS: the first "<ms> ID EVENT" line's ms, waiting at most SECONDS.
wait_line() {
  local end=$((SECONDS + $3)) ms
  while ((SECONDS < end)); do
    ms=$(awk -v id="$1" -v ev="$2" '$2 == id && $3 == ev {print $1; exit}' "$log")
    [[ -n $ms ]] && { echo "$ms"; return 0; }
    sleep 0.1
  done
  return 1
}
has_line() { awk -v id="$1" -v ev="$2" '$2 == id && $3 == ev {f = 1} END {exit !f}' "$log"; }
spec() { k get lease vk-test-leader -n default -o jsonpath="{.spec.$1}"; }
expect_lease() { # holder transitions
  local h t
  h=$(spec holderIdentity) t=$(spec leaseTransitions)
  [[ $h == "$1" && $t == "$2" ]] || fail "kubectl: the Lease holds holderIdentity=\"$h\" leaseTransitions=$t, expected \"$1\" and $2"
  echo "ok: kubectl: holderIdentity=$h leaseTransitions=$t"
}

# 1. One leads, the other waits.
candidate leader-a
wait_line leader-a start 60 >/dev/null || fail "leader-a never led"
candidate leader-b
sleep 3
has_line leader-b start && fail "leader-b leads while leader-a holds the lease"
expect_lease leader-a 0
[[ $(spec leaseDurationSeconds) == "$LEASE_S" ]] || fail "leaseDurationSeconds is not $LEASE_S"
echo "ok: leader-a leads, leader-b waits"

# 2. SIGTERM: released, taken over at once.
t0=$(mono)
kill -TERM "${pid_of[leader-a]}"
wait "${pid_of[leader-a]}" || fail "leader-a exited with $?"
grep -q '^[0-9]* leader-a exit released=1 ' "$log" || fail "leader-a did not release the lease"
t1=$(wait_line leader-b start 30) || fail "leader-b never took over after leader-a's release"
handover=$((t1 - t0))
echo "FIGURE lease_handover_sigterm_ms=$handover"
# Without the release it would wait the lease out from its last observation: at
# least lease - retry. The release makes it the next retry (<= 2.2 x 0.5 s) instead.
((handover < LEASE_S * 1000 - RETRY_MS)) || fail "the hand-over after SIGTERM took $handover ms: the release did not work"
expect_lease leader-b 1

# 3. kill -9: no release, the lease runs out as observed by the successor.
candidate leader-c
sleep 2
has_line leader-c start && fail "leader-c leads while leader-b holds the lease"
t0=$(mono)
kill -9 "${pid_of[leader-b]}"
wait "${pid_of[leader-b]}" 2>/dev/null || true
echo "$(mono) leader-b killed" >>"$log"
t1=$(wait_line leader-c start 60) || fail "leader-c never took over after leader-b was killed"
handover=$((t1 - t0))
echo "FIGURE lease_handover_kill9_ms=$handover"
# B's last renew was at most a retry period (plus a request) before the kill; C counts
# the lease from when it saw that renew, and reads every 0.5..1.1 s.
lo=$((LEASE_S * 1000 - RETRY_MS - 300))
hi=$((LEASE_S * 1000 + 2 * 1100 + 4000)) # two jittered reads late, and 4 s for a loaded machine under ASan
((handover >= lo)) || fail "leader-c took over $handover ms after the kill: sooner than the lease allows ($lo ms)"
((handover <= hi)) || fail "leader-c took over $handover ms after the kill: later than $hi ms"
expect_lease leader-c 2

# 4. A paused leader: its authority ends at its renew deadline, before D may start.
candidate leader-d
sleep 2
has_line leader-d start && fail "leader-d leads while leader-c holds the lease"
kill -STOP "${pid_of[leader-c]}"
tstop=$(mono)
td=$(wait_line leader-d start 60) || fail "leader-d never took over from the paused leader-c"
sleep 1
kill -CONT "${pid_of[leader-c]}"
wait_line leader-c stop 30 >/dev/null || fail "leader-c, woken, did not report the loss"
sleep 1.5 # C is a candidate again: its next rounds must not release D's lease
expect_lease leader-d 3
last_c_work=$(awk '$2 == "leader-c" && $3 == "work" {m = $1} END {print m}' "$log")
((last_c_work < td)) || fail "leader-c worked at $last_c_work, after leader-d started at $td"
echo "ok: paused at $tstop, leader-d started at $td, leader-c's last work at $last_c_work, its loss reported on waking"
kill -TERM "${pid_of[leader-c]}"
wait "${pid_of[leader-c]}" || fail "leader-c exited with $?"
grep -q '^[0-9]* leader-c exit released=0 lost=1$' "$log" || fail "leader-c released a lease it had lost, or did not count the loss"
expect_lease leader-d 3
kill -TERM "${pid_of[leader-d]}"
wait "${pid_of[leader-d]}" || fail "leader-d exited with $?"
[[ -z $(spec holderIdentity) && $(spec leaseDurationSeconds) == 1 ]] || fail "leader-d's release did not empty the holder with 1 s left"
echo "ok: kubectl: released (holderIdentity \"\", leaseDurationSeconds 1)"

# 5. Never two at once. Leadership runs from start to stop (or killed); C's stop after
# its pause is late by design (it could not run), so its leadership ends at its last
# work. Every work line lies in its own identity's leadership, and no two overlap.
/usr/bin/python3 - "$log" <<'EOF' || fail "overlapping leadership (above)"
import sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
lines.sort(key=lambda f: int(f[0]))
spans, open_at, last_work = [], {}, {}
for f in lines:
    ms, who, ev = int(f[0]), f[1], f[2]
    if ev == "start":
        open_at[who] = ms
    elif ev == "work":
        if who not in open_at:
            sys.exit(f"{who} worked at {ms} without leading")
        last_work[who] = ms
    elif ev in ("stop", "killed") and who in open_at:
        start = open_at.pop(who)
        end = ms if who != "leader-c" else max(last_work.get(who, start), start)
        spans.append((start, end, who))
for who, start in open_at.items():
    sys.exit(f"{who} still leads at the end of the log")
spans.sort()
for (s1, e1, w1), (s2, e2, w2) in zip(spans, spans[1:]):
    if s2 <= e1:
        sys.exit(f"{w1} led {s1}..{e1} and {w2} from {s2}")
print("ok: %d leaderships, none overlapping: %s" % (len(spans), ", ".join(f"{w} {e - s} ms" for s, e, w in spans)))
EOF
if grep -l 'runtime error\|Sanitizer' "$dir"/leader-*.err; then fail "a sanitizer reported (above)"; fi
echo "ok: leader election against the real API server"
