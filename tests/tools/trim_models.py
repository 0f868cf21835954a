#!/usr/bin/env python3
"""Writes fixtures/models/<service>.json: the output shapes of the operations lbsim serves, cut
from the installed botocore's service models, for the model-name check (tests/it/model_names.rs).

The operations are read from lbsim's dispatch tables (the same `"Action" =>` lines the Rust test
reads), so the extract holds exactly what lbsim serves; each shape keeps only what decides the
XML a response may contain: its type, structure members (shape and `locationName`), list members
(and `flattened`), map key/value names, enum values and timestamp formats. Documentation and
input shapes are left out.

Usage: python3 tests/tools/trim_models.py   (from anywhere; rewrites the three files)
Re-run after adding an action to a dispatch table or upgrading botocore, and commit the diff.
"""

import json
import os
import re
import sys

import botocore
import botocore.loaders

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# botocore service name, API version, dispatch table (relative to src/api/), extract name.
SERVICES = [
    ("ec2", "2016-11-15", "ec2/mod.rs"),
    ("elbv2", "2015-12-01", "elbv2/mod.rs"),
    ("sts", "2011-06-15", "sts.rs"),
]
# One dispatch arm per served action: `"CreateVpc" => ...` (the Rust test uses the same rule).
ARM = re.compile(r'^\s*"([A-Za-z0-9]+)" =>', re.M)
KEEP_SHAPE = ("type", "enum", "flattened", "timestampFormat")
KEEP_REF = ("shape", "locationName", "flattened")


def served(table):
    with open(os.path.join(ROOT, "src", "api", table)) as f:
        return sorted(set(ARM.findall(f.read())))


def ref(r):
    return {k: r[k] for k in KEEP_REF if k in r}


def trim(model, roots):
    shapes, todo = {}, list(roots)
    while todo:
        name = todo.pop()
        if name in shapes:
            continue
        s = model["shapes"][name]
        out = {k: s[k] for k in KEEP_SHAPE if k in s}
        if s["type"] == "structure":
            out["members"] = {m: ref(r) for m, r in s.get("members", {}).items()}
            todo.extend(r["shape"] for r in s.get("members", {}).values())
        elif s["type"] == "list":
            out["member"] = ref(s["member"])
            todo.append(s["member"]["shape"])
        elif s["type"] == "map":
            out["key"], out["value"] = ref(s["key"]), ref(s["value"])
            todo.extend([s["key"]["shape"], s["value"]["shape"]])
        shapes[name] = out
    return dict(sorted(shapes.items()))


def extract(loader, service, version, table):
    model = loader.load_service_model(service, "service-2", version)
    ops = {}
    for action in served(table):
        op = model["operations"].get(action)
        if op is None:
            sys.exit("%s: %s is in src/api/%s but not in botocore's model" % (service, action, table))
        out = op.get("output")
        ops[action] = {"output": out["shape"], "resultWrapper": out.get("resultWrapper")} if out else {"output": None}
    roots = [o["output"] for o in ops.values() if o["output"]]
    return {
        "generated_by": "tests/tools/trim_models.py",
        "botocore": botocore.__version__,
        "service": service,
        "apiVersion": version,
        "protocol": model["metadata"]["protocol"],
        "operations": ops,
        "shapes": trim(model, roots),
    }


def main():
    loader = botocore.loaders.Loader()
    for service, version, table in SERVICES:
        data = extract(loader, service, version, table)
        path = os.path.join(ROOT, "fixtures", "models", service + ".json")
        with open(path, "w") as f:
            json.dump(data, f, indent=1, sort_keys=False)
            f.write("\n")
        print("%s: %d operations, %d shapes -> %s" % (service, len(data["operations"]), len(data["shapes"]), os.path.relpath(path, ROOT)))


if __name__ == "__main__":
    main()
