#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""promql_names.py EXPOSITION FILE...: every metric name that the PromQL
expressions in FILEs (a Grafana dashboard's JSON: targets' expr, variables'
queries; a Prometheus rules YAML: expr) select must be exported in the
Prometheus text EXPOSITION (a scrape of a running smalld), or be `up`, or be
recorded by a rule (`record:`) of one of the rules files among the FILEs.
Prints each expression's names; exits 1 naming any unknown metric."""
import json
import re
import sys

import yaml

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "offset", "and", "or", "unless", "inf", "nan"}


def exported(path):
    names = {"up"}  # Prometheus's own, for every target
    for line in open(path):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
    return names


def expressions(path):
    text = open(path).read()
    if path.endswith(".json"):
        found = []

        def walk(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("expr", "definition") and isinstance(value, str):
                        found.append(value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
        walk(json.loads(text))
        return found
    rules = yaml.safe_load(text)
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


def recorded(paths):
    names = set()
    for path in paths:
        if not path.endswith(".json"):
            rules = yaml.safe_load(open(path))
            names.update(r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r)
    return names


def metric_names(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)   # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)               # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)              # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"label_values\(([^,()]*)(,[^)]*)?\)", r"\1", expr)  # Grafana's
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word = m.group(0)
        rest = expr[m.end():].lstrip()
        if word in KEYWORDS or rest.startswith("("):
            continue
        if m.start() > 0 and (expr[m.start() - 1].isdigit() or expr[m.start() - 1] in ".$"):
            continue  # 1e3, $__interval
        names.add(word)
    return names


def main():
    known = exported(sys.argv[1]) | recorded(sys.argv[2:])
    bad = 0
    for path in sys.argv[2:]:
        exprs = expressions(path)
        if not exprs:
            print(f"{path}: no expressions found")
            bad += 1
        for expr in exprs:
            names = metric_names(expr)
            if not names:
                print(f"{path}: no metric in: {expr}")
                bad += 1
            for name in sorted(names - known):
                print(f"{path}: {name} is not exported by smalld nor recorded (in: {expr.strip()})")
                bad += 1
        print(f"{path}: {len(exprs)} expressions, metrics known to the daemon or recorded")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
