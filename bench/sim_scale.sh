#!/usr/bin/env bash
# vms-sim at scale: for each size N, seeds N views and N quotas (8 clients in parallel
# over plain HTTP) and stops the simulator (a clean stop folds the journal into
# state.json). Then it starts one simulator per size again (the start-up with N objects
# is a figure too) and measures them side by side, one request to each in turn, so that
# a busy machine slows both alike: p50/p99 of POST quota, POST view, GET quotas/?path=,
# GET views/?path__in= with 10 paths (also with fields=id,path, which leaves out the
# usage measured in each view's directory); a full paged walk of quotas/ (page_size=1000,
# with the default fields, which measure each quota's directory, and with
# fields=id,name,path); each simulator's RSS and the sizes of state.json and its
# journal; the p99 ratios of the largest size to the smallest. It measures and reports;
# it fails only when a request or a simulator fails.
#
#   bench/sim_scale.sh [BUILD_DIR] [N...]      (default: build 1000 100000)
#   SAMPLES=1000 (requests per latency figure and size), CLIENTS=8 (seeding)
set -euo pipefail

BUILD=${1:-build}
shift || true
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(1000 100000)
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tools "$SIM"
SAMPLES=${SAMPLES:-1000}
CLIENTS=${CLIENTS:-8}

DRIVER=$(cat <<'EOF'
import base64, http.client, json, random, sys, threading, time

port, phase, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:123456").decode(),
        "Content-Type": "application/json", "Accept": "application/json"}

def call(conn, method, path, body=None, want=(200, 201)):
    conn.request(method, "/api/v1/" + path, body=json.dumps(body) if body is not None else None, headers=AUTH)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status not in want:
        raise SystemExit("%s %s -> %d %s" % (method, path, resp.status, data[:300]))
    return json.loads(data) if data else None

def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=120)

c = conn()
tenant = call(c, "GET", "tenants/?name=vast-k8s")[0]["id"]
policy = call(c, "GET", "viewpolicies/?name=vast-k8s-nfs")[0]["id"]

if phase == "seed":
    clients = int(sys.argv[4])
    def seed(first):
        k = conn()
        for i in range(first, n, clients):
            call(k, "POST", "views/", {"path": "/k8s/s%d" % i, "policy_id": policy, "tenant_id": tenant,
                                       "create_dir": True})
            call(k, "POST", "quotas/", {"name": "s%d" % i, "path": "/k8s/s%d" % i, "hard_limit": 1 << 30})
    t0 = time.monotonic()
    threads = [threading.Thread(target=seed, args=(i,)) for i in range(clients)]
    for t in threads: t.start()
    for t in threads: t.join()
    dt = time.monotonic() - t0
    print("  seeded %d views + %d quotas in %.1f s (%.0f creates/s, %d clients)" % (n, n, dt, 2 * n / dt, clients))
    sys.exit(0)

sys.exit("unknown phase " + phase)
EOF
)

MEASURE=$(cat <<'EOF'
import base64, http.client, json, os, random, signal, subprocess, sys, time

sim, samples = sys.argv[1], int(sys.argv[2])
sizes = [(int(a.split("=", 1)[0]), a.split("=", 1)[1]) for a in sys.argv[3:]]
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:123456").decode(),
        "Content-Type": "application/json", "Accept": "application/json"}

def call(c, method, path, body=None):
    c.request(method, "/api/v1/" + path, body=json.dumps(body) if body is not None else None, headers=AUTH)
    resp = c.getresponse()
    data = resp.read()
    if resp.status not in (200, 201):
        raise SystemExit("%s %s -> %d %s" % (method, path, resp.status, data[:300]))
    return json.loads(data) if data else None

def size_of(path):
    return os.path.getsize(path) if os.path.exists(path) else 0

sims = []
try:
    for n, data in sizes:
        ports = os.path.join(data, "ports.json")
        t0 = time.monotonic()
        proc = subprocess.Popen([sim, "--data-dir", data, "--http", "127.0.0.1:0", "--port-file", ports,
                                 "--log-level", "warn"], stderr=open(data + ".log", "ab"))
        s = {"n": n, "data": data, "proc": proc, "lat": {}, "rng": random.Random(7)}
        sims.append(s)
        while not os.path.exists(ports):
            if proc.poll() is not None or time.monotonic() - t0 > 120:
                raise SystemExit("vms-sim with %d objects did not start" % n)
            time.sleep(0.01)
        startup = time.monotonic() - t0
        c = s["conn"] = http.client.HTTPConnection("127.0.0.1", json.load(open(ports))["http"], timeout=120)
        s["tenant"] = call(c, "GET", "tenants/?name=vast-k8s")[0]["id"]
        s["policy"] = call(c, "GET", "viewpolicies/?name=vast-k8s-nfs")[0]["id"]
        print("  %6d: start-up %.2f s; state.json %d bytes, journal %d bytes" % (
            n, startup, size_of(os.path.join(data, "state.json")), size_of(os.path.join(data, "state.json.journal"))))

    ops = [
        ("POST quotas/", lambda s, i: ("POST", "quotas/", {"name": "m%d" % i, "path": "/k8s/m%d" % i,
                                                          "create_dir": True})),
        ("POST views/", lambda s, i: ("POST", "views/", {"path": "/k8s/mv%d" % i, "policy_id": s["policy"],
                                                        "tenant_id": s["tenant"], "create_dir": True})),
        ("GET quotas/?path=X", lambda s, i: ("GET", "quotas/?path=/k8s/s%d" % s["rng"].randrange(s["n"]), None)),
        ("GET views/?path__in=(10 paths)", lambda s, i: ("GET", "views/?path__in=" + ",".join(
            "/k8s/s%d" % s["rng"].randrange(s["n"]) for _ in range(10)), None)),
        # the same without the measured usage fields: the store's share of the cost
        ("GET views/?path__in=(10),fields=", lambda s, i: ("GET", "views/?fields=id,path&path__in=" + ",".join(
            "/k8s/s%d" % s["rng"].randrange(s["n"]) for _ in range(10)), None)),
    ]
    for label, make in ops:
        for i in range(samples):
            for s in sims:  # in turn: the machine's noise falls on every size alike
                method, path, body = make(s, i)
                t0 = time.perf_counter()
                call(s["conn"], method, path, body)
                s["lat"].setdefault(label, []).append((time.perf_counter() - t0) * 1000)
    print("  %-32s%s" % ("", "".join("%28s" % ("N=%d" % s["n"]) for s in sims)))
    for label, _ in ops:
        row = ""
        for s in sims:
            lat = sorted(s["lat"][label])
            s.setdefault("p99", {})[label] = lat[int(0.99 * len(lat))]
            row += "   p50 %6.2f p99 %6.2f ms" % (lat[len(lat) // 2], s["p99"][label])
        print("  %-32s%s" % (label, row))
    for extra, what in (("", "default fields"), ("&fields=id,name,path", "fields=id,name,path")):
        row = ""
        for s in sims:
            t0, page, seen = time.monotonic(), 1, 0
            while True:
                body = call(s["conn"], "GET", "quotas/?page_size=1000&page=%d%s" % (page, extra))
                seen += len(body["results"])
                if not body["next"]:
                    break
                page += 1
            row += "%16.2f s (%d quotas)" % (time.monotonic() - t0, seen)
        print("  %-32s%s" % ("paged walk, " + what, row))
    for s in sims:
        rss = [l.split(None, 1)[1].strip() for l in open("/proc/%d/status" % s["proc"].pid) if l.startswith("VmRSS")]
        print("  %6d: RSS %s; state.json %d bytes, journal %d bytes" % (
            s["n"], rss[0], size_of(os.path.join(s["data"], "state.json")),
            size_of(os.path.join(s["data"], "state.json.journal"))))
    if len(sims) >= 2:
        a, b = sims[0], sims[-1]
        for label, _ in ops:
            print("  p99 ratio N=%d/N=%d %-32s %.2f" % (b["n"], a["n"], label, b["p99"][label] / a["p99"][label]))
finally:
    for s in sims:
        if s["proc"].poll() is None:
            s["proc"].send_signal(signal.SIGTERM)
    for s in sims:
        if s["proc"].wait(60) != 0:
            raise SystemExit("vms-sim with %d objects exited with %d" % (s["n"], s["proc"].returncode))
EOF
)

make_work vk-sim-scale
for n in "${SIZES[@]}"; do
  echo "== seeding $n views + $n quotas (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -rf "$WORK/sim"
  start_sim
  /usr/bin/python3 -c "$DRIVER" "$SIM_HTTP_PORT" seed "$n" "$CLIENTS" || die "seeding failed"
  stop_sim
  mv "$WORK/sim" "$WORK/data.$n"
done
dirs=()
for n in "${SIZES[@]}"; do dirs+=("$n=$WORK/data.$n"); done
echo "== measuring, one request to each simulator in turn (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/python3 -c "$MEASURE" "$SIM" "$SAMPLES" "${dirs[@]}" ||
  die "measuring failed"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
