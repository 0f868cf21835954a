#!/usr/bin/env python3
"""Parses every golden response under fixtures/wire with botocore's own response parsers.

tests/it/wire_golden.rs proves lbsim sends exactly these bodies; this proves the bodies are what
the SDKs understand: success bodies through the operation's output shape (EC2 or Query parser),
error bodies through both the EC2 and the Query error parsers (a client may be either kind when
lbsim cannot tell the service), checking that code and request id come out.

For a success body, every leaf element of the output (a text element, or an empty list or
structure) must come out of botocore's parser as one value: botocore silently drops elements it
does not know, so a misnamed or misplaced element shows up here as a missing value. The one
exception is EC2's `<return>true</return>` where the model has no `return` member (AWS sends it,
botocore ignores it; see tests/it/model_names.rs).

Usage: check_golden.py [FIXTURES_DIR]. Prints one line per case and "N passed, M failed".
"""

import os
import sys
import xml.etree.ElementTree as ET

import botocore.parsers
import botocore.session

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "wire")
# Signing name (fixture directory) -> botocore service name.
SERVICES = {"ec2": "ec2", "sts": "sts", "elasticloadbalancing": "elbv2"}


def cases(root):
    for service in sorted(os.listdir(root)):
        sdir = os.path.join(root, service)
        if not os.path.isdir(sdir):
            continue
        for case in sorted(os.listdir(sdir)):
            cdir = os.path.join(sdir, case)
            if os.path.isfile(os.path.join(cdir, "response.xml")):
                yield service, case, cdir


def request_action(cdir):
    with open(os.path.join(cdir, "request.form"), "rb") as f:
        for pair in f.read().strip().split(b"&"):
            if pair.startswith(b"Action="):
                return pair[len(b"Action="):].decode("utf-8", "replace")
    return None


def local(tag):
    return tag.rsplit("}", 1)[-1]


def leaves(node):
    """Leaf elements under node: text elements and empty containers count one each."""
    children = list(node)
    return sum(leaves(c) for c in children) if children else 1


def xml_leaf_count(body, op, protocol):
    """The leaves of the output members: EC2 puts them under the root next to requestId, Query
    under the result wrapper."""
    root = ET.fromstring(body)
    if protocol == "ec2":
        shape = op.output_shape
        modelled = set()
        if shape is not None:
            modelled = {m.serialization.get("name", n) for n, m in shape.members.items()}
        nodes = [c for c in root if local(c.tag) != "requestId" and not (local(c.tag) == "return" and "return" not in modelled)]
        return sum(leaves(c) for c in nodes)
    wrapper = op.output_shape.serialization.get("resultWrapper") if op.output_shape is not None else None
    result = [c for c in root if local(c.tag) == wrapper]
    assert len(result) == 1, "no %s element" % wrapper
    return sum(leaves(c) for c in result[0])


def value_count(v):
    """Values botocore produced: each scalar one, each empty list or dict one."""
    if isinstance(v, dict):
        return sum(value_count(x) for x in v.values()) if v else 1
    if isinstance(v, list):
        return sum(value_count(x) for x in v) if v else 1
    return 1


def check(session, service, case, cdir):
    with open(os.path.join(cdir, "response.xml"), "rb") as f:
        body = f.read().rstrip(b"\n")
    with open(os.path.join(cdir, "status")) as f:
        status = int(f.read().strip())
    response = {"body": body, "headers": {}, "status_code": status}
    if status < 300:
        model = session.get_service_model(SERVICES[service])
        if request_action(cdir) not in model.operation_names:
            # An action newer than this botocore (ValidateSecurityGroupQuotasForInterface came with
            # botocore 1.44): nothing here can parse it; the Rust model-name check still does.
            return "skipped: botocore %s has no %s" % (botocore.__version__, request_action(cdir))
        op = model.operation_model(request_action(cdir))
        parser = botocore.parsers.create_parser(model.metadata["protocol"])
        parsed = parser.parse(response, op.output_shape)
        assert parsed["ResponseMetadata"].get("RequestId") == "{uuid}", parsed
        members = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        want = xml_leaf_count(body, op, model.metadata["protocol"])
        got = value_count(members) if members else 0
        assert got == want, "botocore parsed %d values from %d leaf elements: %r" % (got, want, members)
        return "%s %s (%d values)" % (op.name, ",".join(members) or "no members", got)
    # The expected code is the case name's suffix after the action (`DeleteVpc.InvalidVpcID.NotFound`)
    # or the whole name for protocol errors (`MissingAction`, `RequestEntityTooLarge.x`).
    codes = []
    for protocol in ("ec2", "query"):
        parsed = botocore.parsers.create_parser(protocol).parse(response, None)
        err = parsed.get("Error", {})
        assert err.get("Code") and err.get("Message"), "%s parser: %r" % (protocol, parsed)
        assert case.startswith(err["Code"]) or ("." + err["Code"]) in case, "code %s vs case %s" % (err["Code"], case)
        rid = parsed.get("ResponseMetadata", {}).get("RequestId") or parsed.get("RequestID")
        assert rid == "{uuid}", "%s parser: request id %r" % (protocol, parsed)
        codes.append(err["Code"])
    return "%d %s" % (status, codes[0])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else ROOT
    session = botocore.session.get_session()
    passed = failed = 0
    for service, case, cdir in cases(root):
        try:
            what = check(session, service, case, cdir)
            print("ok   %s/%s: %s" % (service, case, what))
            passed += 1
        except Exception as e:  # one bad case must not hide the others
            print("FAIL %s/%s: %s: %s" % (service, case, type(e).__name__, e))
            failed += 1
    if passed + failed == 0:
        print("FAIL no golden cases under %s" % root)
        failed = 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
