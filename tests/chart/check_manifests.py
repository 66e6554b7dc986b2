"""Checks of the chart's rendered manifests (helm template output), one per property the
chart promises: prints "ok   - WHAT" or "FAIL - WHAT: why" per check; chart.sh turns the
lines into the suite's pass/fail. Parsed with PyYAML, never by matching text.

  check_manifests.py defaults FILE VERSIONS    the default values' objects
  check_manifests.py off FILE                  every part switched off: no object at all
  check_manifests.py all FILE CRD_DIR          every part on, extra Secret namespaces
  check_manifests.py kubelet FILE DIR          node.kubeletDir=DIR everywhere it matters
  check_manifests.py FILE monitoring CHART     metrics' PodMonitor, PrometheusRule, dashboard on
  check_manifests.py FILE nometrics            metrics.enabled=false: no --http-endpoint, no port
(FILE comes first: check_manifests.py FILE CHECK [ARG], as tests/chart/chart.sh calls it.)
"""
import os
import re
import sys

import yaml

NS = "vast-system"
REL = "vast-k8s"


def say(ok, what, why=""):
    print(("ok   - %s" if ok else "FAIL - %s") % (what if ok or not why else "%s: %s" % (what, why)))


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name=None):
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs, kind, name):
    found = find(docs, kind, name)
    if len(found) != 1:
        say(False, "one %s %s" % (kind, name), "found %d" % len(found))
        return None
    return found[0]


def containers(workload):
    return {c["name"]: c for c in workload["spec"]["template"]["spec"]["containers"]}


def workloads(docs):
    return find(docs, "Deployment") + find(docs, "DaemonSet")


def restricted(c):
    sc = c.get("securityContext") or {}
    return (sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
            and (sc.get("capabilities") or {}).get("drop") == ["ALL"])


def rules_of(docs, kind, name, ns=None):
    for d in find(docs, kind, name):
        if ns is None or d["metadata"].get("namespace") == ns:
            return d.get("rules") or []
    return None


def grants(rules, resource, verb):
    return any(resource in r.get("resources", []) and verb in r.get("verbs", []) for r in rules or [])


def versions(path):
    pins = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^([A-Z_]+)=(\S+)$", line.strip())
        if m:
            pins[m.group(1)] = m.group(2)
    return pins


def common(docs):
    """What holds for every rendering: security, resources, no wildcards in RBAC."""
    for w in workloads(docs):
        name = w["metadata"]["name"]
        for c in containers(w).values():
            req = (c.get("resources") or {}).get("requests") or {}
            say("cpu" in req and "memory" in req, "%s/%s requests cpu and memory" % (name, c["name"]),
                "requests %r" % req)
            if c.get("securityContext", {}).get("privileged"):
                continue
            say(restricted(c), "%s/%s: read-only root, no privilege escalation, every capability dropped" % (
                name, c["name"]), "securityContext %r" % c.get("securityContext"))
        spec = w["spec"]["template"]["spec"]
        say(spec.get("priorityClassName") in ("system-cluster-critical", "system-node-critical"),
            "%s has a system priority class" % name, "priorityClassName %r" % spec.get("priorityClassName"))
    wild = [(d["kind"], d["metadata"]["name"]) for d in find(docs, "ClusterRole") + find(docs, "Role")
            for r in d.get("rules") or [] if "*" in r.get("verbs", []) + r.get("resources", []) + r.get("apiGroups", [])]
    say(not wild, "no RBAC rule has a wildcard", "in %r" % wild)
    bidi = [(w["metadata"]["name"], c["name"], m["mountPath"]) for w in workloads(docs)
            for c in containers(w).values() for m in c.get("volumeMounts", []) if m.get("mountPropagation")]
    return bidi


def check_defaults(docs, pins):
    bidi = common(docs)
    kinds = sorted({d["kind"] for d in docs})
    say(kinds == sorted(["CSIDriver", "ClusterRole", "ClusterRoleBinding", "DaemonSet", "Deployment",
                         "PodDisruptionBudget", "Role", "RoleBinding", "ServiceAccount"]),
        "the default objects are of the expected kinds (no CRD, no COSI objects)", "kinds %r" % kinds)
    deploys = sorted(d["metadata"]["name"] for d in find(docs, "Deployment"))
    say(deploys == [REL + "-controller", REL + "-operator"], "Deployments: controller and operator only",
        "found %r" % deploys)

    drv = one(docs, "CSIDriver", "csi.vast-k8s.io")
    if drv:
        want = {"attachRequired": False, "podInfoOnMount": True, "fsGroupPolicy": "File",
                "volumeLifecycleModes": ["Persistent", "Ephemeral"]}
        say(drv["spec"] == want, "CSIDriver: no attach, pod info on mount, fsGroupPolicy File, Persistent + Ephemeral",
            "spec %r" % drv["spec"])

    ctl = one(docs, "Deployment", REL + "-controller")
    if ctl:
        say(ctl["spec"]["replicas"] == 2, "the controller runs 2 replicas", "replicas %r" % ctl["spec"]["replicas"])
        cs = containers(ctl)
        say(sorted(cs) == sorted(["vast-csi", "csi-provisioner", "csi-snapshotter", "csi-resizer", "livenessprobe"]),
            "the controller Pod: vast-csi, provisioner, snapshotter, resizer, livenessprobe", "containers %r" % sorted(cs))
        say("--mode=controller" in cs["vast-csi"]["args"], "vast-csi runs --mode=controller", repr(cs["vast-csi"]["args"]))
        for s in ("csi-provisioner", "csi-snapshotter", "csi-resizer"):
            a = cs.get(s, {}).get("args", [])
            say("--leader-election" in a and "--leader-election-namespace=" + NS in a,
                "%s elects a leader in %s" % (s, NS), repr(a))
        say("--extra-create-metadata" in cs["csi-provisioner"]["args"], "csi-provisioner passes extra create metadata")
        say("--feature-gates=CSIVolumeGroupSnapshot=false" in cs["csi-snapshotter"]["args"],
            "csi-snapshotter leaves group snapshots off (vast-csi has no GroupController)")
        say(cs["vast-csi"]["livenessProbe"]["httpGet"]["port"] == "healthz" and
            "--health-port=9808" in cs["livenessprobe"]["args"], "vast-csi's liveness probe is the livenessprobe sidecar's port")
        ps = ctl["spec"]["template"]["spec"]["securityContext"]
        say(ps.get("runAsNonRoot") is True and ps.get("runAsUser", 0) != 0,
            "the controller Pod runs as a non-root user", "securityContext %r" % ps)
    pdbs = sorted(d["metadata"]["name"] for d in find(docs, "PodDisruptionBudget"))
    say(pdbs == [REL + "-controller", REL + "-operator"], "PodDisruptionBudgets for controller and operator", repr(pdbs))

    node = one(docs, "DaemonSet", REL + "-node")
    if node:
        spec = node["spec"]["template"]["spec"]
        cs = containers(node)
        say(sorted(cs) == sorted(["vast-csi", "node-driver-registrar", "livenessprobe"]),
            "the node Pod: vast-csi, node-driver-registrar, livenessprobe", repr(sorted(cs)))
        say(cs["vast-csi"]["securityContext"].get("privileged") is True, "node vast-csi is privileged (it mounts)")
        priv = [n for n, c in cs.items() if (c.get("securityContext") or {}).get("privileged")]
        say(priv == ["vast-csi"], "no other node container is privileged", repr(priv))
        say(bidi == [(REL + "-node", "vast-csi", "/var/lib/kubelet")],
            "the one propagating mount: Bidirectional, node vast-csi, on the kubelet directory", repr(bidi))
        say(spec.get("hostNetwork") is True and spec.get("dnsPolicy") == "ClusterFirstWithHostNet",
            "the node plugin is on the host network with cluster DNS")
        say({"operator": "Exists"} in (spec.get("tolerations") or []), "the node plugin tolerates every taint")
        say(spec.get("automountServiceAccountToken") is False, "the node Pod mounts no service-account token")
        say(spec.get("priorityClassName") == "system-node-critical", "the node plugin is system-node-critical")
        a = cs["node-driver-registrar"]["args"]
        say("--kubelet-registration-path=/var/lib/kubelet/plugins/csi.vast-k8s.io/csi.sock" in a,
            "the registrar registers the driver's socket under the kubelet directory", repr(a))
    sa = one(docs, "ServiceAccount", REL + "-node")
    if sa:
        say(sa.get("automountServiceAccountToken") is False, "the node ServiceAccount has token automount off")
    bound = [(b["kind"], b["metadata"]["name"]) for b in find(docs, "RoleBinding") + find(docs, "ClusterRoleBinding")
             if any(s.get("name") == REL + "-node" for s in b.get("subjects", []))]
    say(not bound, "no role is bound to the node's ServiceAccount", "bound by %r" % bound)

    ctl_rules = rules_of(docs, "ClusterRole", REL + "-controller")
    say(not grants(ctl_rules, "secrets", "get"), "the controller's ClusterRole grants no Secrets")
    sec = rules_of(docs, "Role", REL + "-controller-secrets", NS)
    say(sec == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
        "the controller may get Secrets in %s, nothing more" % NS, repr(sec))
    op_rules = rules_of(docs, "ClusterRole", REL + "-operator")
    say(not grants(op_rules, "secrets", "get") and not grants(op_rules, "persistentvolumes", "delete"),
        "the operator's ClusterRole grants no Secrets and no PV writes")
    say(not find(docs, "Role", REL + "-operator-credentials"), "no extra credential Role by default")

    op = one(docs, "Deployment", REL + "-operator")
    if op:
        c = containers(op)["vast-operator"]
        a = c["args"]
        say(op["spec"]["replicas"] == 2 and "--leader-elect=true" in a, "the operator: 2 replicas, leader election")
        say("--health-address=0.0.0.0:8081" in a and c["livenessProbe"]["httpGet"]["path"] == "/healthz" and
            c["readinessProbe"]["httpGet"]["path"] == "/readyz", "the operator's probes are its --health-address's /healthz and /readyz")
        say("--driver-namespace=" + NS in a, "the operator writes tenant Secrets into the release's namespace")

    # every vast-csi and the operator serve /metrics behind a port named "metrics"
    for w in workloads(docs):
        for c in containers(w).values():
            if not c["image"].startswith("vast-k8s/"):
                continue
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            where = "%s/%s" % (w["metadata"]["name"], c["name"])
            if c["name"] == "vast-operator":
                say(ports.get("metrics") == 8081, "%s: /metrics on its health port, named metrics" % where, repr(ports))
            else:
                say(ports.get("metrics") == 9810 and "--http-endpoint=0.0.0.0:9810" in c["args"],
                    "%s serves /metrics on port 9810 (--http-endpoint), named metrics" % where,
                    "ports %r, args %r" % (ports, c["args"]))


    want = {"csi-provisioner": pins["CSI_PROVISIONER_VERSION"], "csi-resizer": pins["CSI_RESIZER_VERSION"],
            "csi-snapshotter": pins["EXTERNAL_SNAPSHOTTER_VERSION"], "livenessprobe": pins["LIVENESSPROBE_VERSION"],
            "csi-node-driver-registrar": pins["NODE_DRIVER_REGISTRAR_VERSION"]}
    seen = {}
    for w in workloads(docs):
        for c in containers(w).values():
            repo, _, tag = c["image"].rpartition(":")
            if repo.startswith("registry.k8s.io/sig-storage/"):
                seen[repo.rsplit("/", 1)[1]] = tag
    say(seen == want, "every sidecar image is registry.k8s.io/sig-storage at k8s-tools.versions' pin",
        "images %r, pins %r" % (seen, want))
    ours = sorted({c["image"] for w in workloads(docs) for c in containers(w).values()
                   if not c["image"].startswith("registry.k8s.io/")})
    say(ours == ["vast-k8s/vast-csi:0.1.0", "vast-k8s/vast-operator:0.1.0"],
        "our images default to the chart's appVersion", repr(ours))


def check_monitoring(docs, chart):
    """metrics.podMonitor, prometheusRule and dashboard on: the objects, and their content
    the files of the chart, unchanged."""
    import json
    pm = one(docs, "PodMonitor", REL)
    if pm:
        ep = pm["spec"]["podMetricsEndpoints"]
        say(pm["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": REL, "app.kubernetes.io/instance": REL}
            and [e["port"] for e in ep] == ["metrics"], "the PodMonitor scrapes every release Pod's metrics port", repr(pm["spec"]))
        relabel = ep[0].get("relabelings", [{}])[0]
        say(relabel.get("targetLabel") == "job" and relabel.get("replacement") == REL + "-$1",
            "the PodMonitor's job is <release>-<component>, as the alerts match", repr(relabel))
    rule = one(docs, "PrometheusRule", REL)
    with open(os.path.join(chart, "prometheus", "rules.yaml"), encoding="utf-8") as f:
        want_rules = yaml.safe_load(f)["spec"]
    if rule:
        say(rule["spec"] == want_rules, "the PrometheusRule holds prometheus/rules.yaml's groups unchanged")
        alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]]
        say("VastCsiDriverDown" in alerts and "VastTenantDegraded" in alerts and
            all(r["annotations"].get("runbook_url") for g in rule["spec"]["groups"] for r in g["rules"]),
            "every alert has a runbook_url (driver down and tenant Degraded among them)", repr(alerts))
    cm = one(docs, "ConfigMap", REL + "-dashboard")
    if cm:
        with open(os.path.join(chart, "dashboards", "vast-k8s.json"), encoding="utf-8") as f:
            want = json.load(f)
        say(json.loads(cm["data"]["vast-k8s.json"]) == want and cm["metadata"]["labels"].get("grafana_dashboard") == "1",
            "the dashboard ConfigMap holds dashboards/vast-k8s.json, labelled for Grafana's sidecar")


def check_nometrics(docs):
    served = ["%s/%s" % (w["metadata"]["name"], c["name"]) for w in workloads(docs) for c in containers(w).values()
              if any(a.startswith("--http-endpoint") for a in c.get("args", []))
              or any(p["name"] == "metrics" for p in c.get("ports", []) if c["name"] != "vast-operator")]
    say(served == [], "metrics.enabled=false: no vast-csi serves metrics", repr(served))


def check_all(docs, crd_dir):
    common(docs)
    crds = {d["metadata"]["name"]: d for d in find(docs, "CustomResourceDefinition")}
    names = sorted(crds)
    want = sorted(n[len("snapshot.storage.k8s.io_"):-len(".yaml")] + ".snapshot.storage.k8s.io"
                  for n in os.listdir(crd_dir) if n.startswith("snapshot.storage.k8s.io_"))
    say(names == want, "installCRDs renders the three VolumeSnapshot v1 CRDs", "%r, want %r" % (names, want))
    same = True
    for n in os.listdir(crd_dir):
        if not n.startswith("snapshot.storage.k8s.io_"):
            continue
        upstream = yaml.safe_load(open(os.path.join(crd_dir, n), encoding="utf-8"))
        ours = crds.get(upstream["metadata"]["name"])
        if ours is None:
            same = False
            continue
        keep = ours["metadata"]["annotations"].pop("helm.sh/resource-policy", None)
        same = same and keep == "keep" and ours == upstream
    say(same, "each is the pinned external-snapshotter release's CRD, plus helm's keep annotation")
    snap = one(docs, "Deployment", REL + "-snapshot-controller")
    if snap:
        a = containers(snap)["snapshot-controller"]["args"]
        say("--leader-election" in a, "the snapshot controller elects a leader", repr(a))
        say("--feature-gates=CSIVolumeGroupSnapshot=false" in a,
            "the snapshot controller leaves group snapshots off (no CRDs or rules of them)", repr(a))
    cosi = one(docs, "Deployment", REL + "-cosi")
    if cosi:
        cs = containers(cosi)
        say("--mode=cosi" in cs["vast-csi"]["args"] and "--vms-secret-dir=/etc/vast-csi/cluster" in cs["vast-csi"]["args"],
            "the COSI provisioner runs vast-csi --mode cosi with the cluster Secret as its --vms-secret-dir")
        vols = {v["name"]: v for v in cosi["spec"]["template"]["spec"]["volumes"]}
        say(vols.get("vms-secret", {}).get("secret", {}).get("secretName") == "vast-cosi",
            "the COSI Pod mounts Secret cosi.clusterSecret", repr(vols.get("vms-secret")))
        say("--driver-addr=unix:///var/lib/cosi/cosi.sock" in cs["objectstorage-sidecar"]["args"],
            "the objectstorage sidecar talks to the driver's socket")
    holders = sorted(d["metadata"]["name"] for d in find(docs, "ClusterRole") if grants(d.get("rules"), "secrets", "get"))
    say(holders == [REL + "-cosi"], "only the COSI provisioner holds Secrets cluster-wide (it writes access keys)",
        repr(holders))
    extra = rules_of(docs, "Role", REL + "-controller-secrets", "team-a")
    say(extra == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
        "secretNamespaces: the controller may get Secrets in team-a too", repr(extra))
    cred = rules_of(docs, "Role", REL + "-operator-credentials", "ops")
    say(cred == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
        "credentialSecretNamespaces: the operator may get Secrets in ops, only that", repr(cred))
    say(not find(docs, "Role", REL + "-operator-credentials") or
        all(d["metadata"]["namespace"] != NS for d in find(docs, "Role", REL + "-operator-credentials")),
        "no duplicate credential Role for the release's own namespace")


def check_kubelet(docs, kdir):
    node = one(docs, "DaemonSet", REL + "-node")
    if not node:
        return
    spec = node["spec"]["template"]["spec"]
    cs = containers(node)
    paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    say(paths.get("kubelet-dir") == kdir and paths.get("registration-dir") == kdir + "/plugins_registry" and
        paths.get("plugin-dir") == kdir + "/plugins/csi.vast-k8s.io", "node.kubeletDir sets every kubelet host path",
        repr(paths))
    say("--kubelet-dir=" + kdir in cs["vast-csi"]["args"], "vast-csi confines paths to node.kubeletDir")
    mounts = [m for m in cs["vast-csi"]["volumeMounts"] if m["name"] == "kubelet-dir"]
    say(mounts and mounts[0]["mountPath"] == kdir and mounts[0]["mountPropagation"] == "Bidirectional",
        "the kubelet directory is mounted at its host path, Bidirectional", repr(mounts))
    say("--kubelet-registration-path=%s/plugins/csi.vast-k8s.io/csi.sock" % kdir in cs["node-driver-registrar"]["args"],
        "the registrar registers under node.kubeletDir")


def main():
    path, what = sys.argv[1], sys.argv[2]  # check_manifests.py FILE CHECK [ARG]
    docs = load(path)
    if what == "defaults":
        check_defaults(docs, versions(sys.argv[3]))
    elif what == "off":
        say(docs == [], "every part switched off renders no object", "rendered %r" % [(d["kind"], d["metadata"]["name"]) for d in docs])
    elif what == "all":
        check_all(docs, sys.argv[3])
    elif what == "kubelet":
        check_kubelet(docs, sys.argv[3])
    elif what == "monitoring":
        check_monitoring(docs, sys.argv[3])
    elif what == "nometrics":
        check_nometrics(docs)
    else:
        sys.exit("unknown check " + what)


if __name__ == "__main__":
    main()
