#!/usr/bin/python3
"""Scrapes a /metrics endpoint and reads it with the Prometheus project's own parser
(Debian's python3-prometheus-client), for the metrics tests.

  prom.py snapshot URL OUT.json [FAMILY...]
      GET URL; every family must parse, each histogram series must be well formed
      (cumulative buckets ending in +Inf, +Inf bucket == _count) and each FAMILY named
      must be there with its TYPE; the samples are saved to OUT.json. Problems are
      printed and the exit status is 1.
  prom.py delta BEFORE.json AFTER.json NAME [label=value...]
      prints the change of NAME summed over the series whose labels include those given
      (a series absent from a snapshot counts 0).
  prom.py value SNAP.json NAME [label=value...]
      the same sum in one snapshot.
  prom.py get URL
      prints status and body of a GET (for /healthz, /readyz).
"""
import json
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def check_histogram(name, samples, problems):
    """Buckets cumulative and ending in +Inf whose count is _count, per label set."""
    series = {}
    for s in samples:
        labels = {k: v for k, v in s.labels.items() if k != "le"}
        key = json.dumps(labels, sort_keys=True)
        one = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if s.name == name + "_bucket":
            one["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name == name + "_count":
            one["count"] = s.value
        elif s.name == name + "_sum":
            one["sum"] = s.value
    for key, one in series.items():
        b = one["buckets"]
        where = "%s%s" % (name, key)
        if not b or b[-1][0] != float("inf"):
            problems.append("%s: no +Inf bucket last" % where)
            continue
        if any(b[i][0] >= b[i + 1][0] or b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            problems.append("%s: buckets not increasing and cumulative: %s" % (where, b))
        if one["count"] != b[-1][1]:
            problems.append("%s: _count %s != +Inf bucket %s" % (where, one["count"], b[-1][1]))
        if one["sum"] is None or one["sum"] < 0:
            problems.append("%s: _sum missing or negative" % where)


def snapshot(url, out, wanted):
    status, ctype, text = fetch(url)
    problems = []
    if status != 200:
        problems.append("GET %s answered %d" % (url, status))
    if not ctype.startswith("text/plain") or "version=0.0.4" not in ctype:
        problems.append("Content-Type %r is not the text format 0.0.4" % ctype)
    types, samples = {}, []
    try:
        for family in text_string_to_metric_families(text):
            # the parser names a counter family without its _total (OpenMetrics style)
            types[family.name + ("_total" if family.type == "counter" else "")] = family.type
            if family.type == "histogram":
                check_histogram(family.name, family.samples, problems)
            for s in family.samples:
                samples.append({"name": s.name, "labels": s.labels, "value": s.value})
    except Exception as e:  # the parser's own words say what is wrong
        problems.append("the exposition does not parse: %s" % e)
    for w in wanted:
        name, _, kind = w.partition(":")
        if types.get(name) != kind:
            problems.append("family %s: expected TYPE %s, got %s" % (name, kind, types.get(name)))
    with open(out, "w") as f:
        json.dump({"types": types, "samples": samples}, f)
    for p in problems:
        print(p)
    return 1 if problems else 0


def total(snap_file, name, wanted):
    with open(snap_file) as f:
        snap = json.load(f)
    want = dict(a.split("=", 1) for a in wanted)
    return sum(s["value"] for s in snap["samples"]
               if s["name"] == name and all(s["labels"].get(k) == v for k, v in want.items()))


def number(v):
    return str(int(v)) if v == int(v) else repr(v)


def main(argv):
    cmd = argv[1]
    if cmd == "snapshot":
        return snapshot(argv[2], argv[3], argv[4:])
    if cmd == "delta":
        print(number(total(argv[3], argv[4], argv[5:]) - total(argv[2], argv[4], argv[5:])))
        return 0
    if cmd == "value":
        print(number(total(argv[2], argv[3], argv[4:])))
        return 0
    if cmd == "get":
        status, _, body = fetch(argv[2])
        print(status, body.strip())
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
