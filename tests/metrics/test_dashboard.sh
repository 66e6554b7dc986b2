#!/usr/bin/env bash
# The chart's Grafana dashboard (charts/vast-k8s/dashboards/vast-k8s.json) and alert rules
# (charts/vast-k8s/prometheus/rules.yaml) agree with the code and the runbooks: the JSON
# and the YAML parse (jansson's and libyaml's neighbours here: Python's json and PyYAML);
# every metric an expression names is a family the code registers (vk_metric_* in
# lib/, csi/, operator/), of the right type for its suffix (_bucket only of histograms);
# every registered family has a dashboard panel; panels have unique ids, a data source and
# a place on the grid; the rules are a PrometheusRule whose alerts each have an expr,
# a severity, a summary, a description and a runbook_url naming an anchor that
# docs/operations.md has; the alert names are those of docs/operations.md's alert table,
# and the table's are all there; parentheses and braces of each expression balance.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
exec /usr/bin/python3 - "$ROOT" <<'PY'
import glob, json, os, re, sys
import yaml

root = sys.argv[1]
checks = failures = 0
def check(what, problems):
    global checks, failures
    checks += 1
    if problems:
        failures += 1
        print("FAIL - %s: %s" % (what, "; ".join(problems)))
    else:
        print("ok   - %s" % what)

# the families the code registers, by type
registered = {}
for path in glob.glob(os.path.join(root, "lib/**/*.c"), recursive=True) + \
        glob.glob(os.path.join(root, "csi/*.c")) + glob.glob(os.path.join(root, "operator/*.c")):
    text = open(path).read()
    for kind, name in re.findall(r'vk_metric_(counter|gauge_fn|gauge|histogram)\(\s*"([a-z_:]+)"', text):
        registered[name] = "gauge" if kind == "gauge_fn" else kind
check("the code registers the metrics (found %d families)" % len(registered),
      [] if len(registered) >= 15 else ["only %s" % sorted(registered)])

def metric_names(expr):
    return set(re.findall(r"\b(vast_[a-z_]+)", expr))

def unknown_metrics(expr):
    problems = []
    for name in metric_names(expr):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name in registered:
            continue
        if base in registered and registered[base] == "histogram":
            continue
        problems.append("%s is no registered family%s" % (
            name, " (a %s has no %s)" % (registered[base], name[len(base):]) if base in registered else ""))
    return problems

def balanced(expr):
    pairs, stack = {")": "(", "}": "{", "]": "["}, []
    for ch in re.sub(r'"[^"]*"', '""', expr):
        if ch in "({[":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                return False
    return not stack

# ---- the dashboard ----
dash_path = os.path.join(root, "charts/vast-k8s/dashboards/vast-k8s.json")
try:
    dash = json.load(open(dash_path))
    check("the dashboard is JSON", [])
except ValueError as e:
    check("the dashboard is JSON", [str(e)])
    sys.exit(1)
check("the dashboard has a uid, a title and a schemaVersion",
      [k for k in ("uid", "title", "schemaVersion") if not dash.get(k)])
names = [v["name"] for v in dash.get("templating", {}).get("list", [])]
check("its variables: datasource and namespace", [] if names == ["datasource", "namespace"] else [str(names)])
panels = [p for p in dash["panels"] if p["type"] != "row"]
ids = [p["id"] for p in dash["panels"]]
check("panel ids are unique", [] if len(ids) == len(set(ids)) else ["ids %s" % ids])
problems, used = [], set()
for p in panels:
    where = "panel %r" % p.get("title")
    if p.get("datasource", {}).get("uid") != "${datasource}":
        problems.append(where + ": not on the ${datasource} variable")
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
        problems.append(where + ": gridPos %s" % g)
    if not p.get("targets"):
        problems.append(where + ": no query")
    for t in p.get("targets", []):
        e = t.get("expr", "")
        used |= {re.sub(r"_(bucket|sum|count)$", "", n) for n in metric_names(e)}
        problems += ["%s: %s" % (where, u) for u in unknown_metrics(e)]
        if not balanced(e):
            problems.append("%s: unbalanced %s" % (where, e))
        if 'namespace=~"$namespace"' not in e:
            problems.append("%s: %s is not filtered by $namespace" % (where, e))
check("every panel queries registered metrics, filtered by namespace, on the grid", problems)
check("every registered family has a panel", ["%s has none" % n for n in sorted(set(registered) - used)])

# ---- the alert rules ----
rules_path = os.path.join(root, "charts/vast-k8s/prometheus/rules.yaml")
try:
    rules = yaml.safe_load(open(rules_path))
    check("the rules are YAML", [])
except yaml.YAMLError as e:
    check("the rules are YAML", [str(e)])
    sys.exit(1)
check("a PrometheusRule of monitoring.coreos.com/v1",
      [] if (rules.get("apiVersion"), rules.get("kind")) == ("monitoring.coreos.com/v1", "PrometheusRule") else
      ["%s %s" % (rules.get("apiVersion"), rules.get("kind"))])
ops = open(os.path.join(root, "docs/operations.md")).read()
anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', ops))
alerts, problems = [], []
for group in rules["spec"]["groups"]:
    for r in group["rules"]:
        a = r.get("alert", "?")
        alerts.append(a)
        e = r.get("expr", "")
        if not e:
            problems.append(a + ": no expr")
        problems += ["%s: %s" % (a, u) for u in unknown_metrics(e)]
        if not metric_names(e):
            problems.append(a + ": names no vast metric")
        if not balanced(e):
            problems.append(a + ": unbalanced expr")
        if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            problems.append(a + ": severity %r" % r.get("labels", {}).get("severity"))
        ann = r.get("annotations", {})
        for k in ("summary", "description", "runbook_url"):
            if not ann.get(k):
                problems.append("%s: no %s" % (a, k))
        m = re.fullmatch(r"docs/operations\.md#([a-z0-9-]+)", ann.get("runbook_url", ""))
        if not m or m.group(1) not in anchors:
            problems.append("%s: runbook_url %r is no anchor of docs/operations.md" % (a, ann.get("runbook_url")))
        if "for" in r and not re.fullmatch(r"[0-9]+[smh]", r["for"]):
            problems.append("%s: for %r" % (a, r["for"]))
check("every alert: a registered metric, severity, summary, description, a runbook anchor that exists", problems)
check("alert names are unique", [] if len(alerts) == len(set(alerts)) else [str(alerts)])
alerts_section = ops.split("\n## Alerts\n", 1)[-1].split("\n## ", 1)[0]
table = set(re.findall(r"^\| `(Vast[A-Za-z]+)` \|", alerts_section, re.M))
check("the alerts are those of docs/operations.md's table",
      ["%s not in the rules" % a for a in sorted(table - set(alerts))] +
      ["%s not in the table" % a for a in sorted(set(alerts) - table)])
wanted = {"VastCsiDriverDown", "VastCsiRpcErrorRatio", "VastVmsLatencyHigh", "VastCsiStaleMounts", "VastTenantDegraded"}
check("driver down, error ratio, VMS latency, stale mounts and tenant Degraded are alerted",
      ["%s missing" % a for a in sorted(wanted - set(alerts))])

print("%d passed, %d failed" % (checks - failures, failures))
sys.exit(1 if failures else 0)
PY
