#!/usr/bin/env python3
"""Every scenario file (scenarios/*.yaml) and the README's "Write a scenario" example validate
against scenarios/schema.json with an independent JSON Schema implementation (the `jsonschema`
package, draft 2020-12), and a file with an unknown key does not. The schema is derived from the
Rust types (src/scenario/schema.rs); this proves what editors see accepts what lbsim runs.

Usage: check_scenarios.py [REPO_ROOT]; prints "N passed, M failed", exits 1 on a failure."""
import json
import pathlib
import sys

import jsonschema
import yaml

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
schema = json.loads((root / "scenarios/schema.json").read_text())
validator = jsonschema.Draft202012Validator(schema)
passed = failed = 0


def check(name, doc, want_valid=True):
    global passed, failed
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if (not errors) == want_valid:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        detail = "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:3]) or "accepted"
        print(f"FAIL {name}: {detail}")


for path in sorted((root / "scenarios").glob("*.yaml")):
    check(path.name, yaml.safe_load(path.read_text()))
readme = (root / "README.md").read_text()
section = readme[readme.index("### Write a scenario"):]
start = section.index("```yaml\n") + len("```yaml\n")
example = yaml.safe_load(section[start:section.index("```", start)])
check("README example", example)
check("unknown key refused", {**example, "stpes": []}, want_valid=False)
check("unknown step refused", {**example, "steps": [{"aply": {}}]}, want_valid=False)
print(f"\n{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
