#!/usr/bin/env python3
"""Signature verification with boto3 and the AWS CLI (tests/smoke/run.sh starts an lbsim with
--verify-signatures and the keys below in its config, and sets AWS_ENDPOINT_URL to it).

Each client signs as it always does; lbsim must accept the right secret and answer a wrong
secret, an unknown key, a skewed clock and a tampered body with the error AWS gives in each
service (EC2: SignatureDoesNotMatch, AuthFailure, RequestExpired; STS: SignatureDoesNotMatch,
InvalidClientTokenId, "Signature expired: …").

Prints one line per check and ends with "N passed, M failed"; exits 1 on any failure.
"""

import datetime
import os
import subprocess
import sys
import traceback

import boto3
import botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError

KEY, SECRET = "AKIALBSIMSMOKE000001", "smoke/secret+KEY"
CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def client(service, key=KEY, secret=SECRET):
    return boto3.client(service, region_name=REGION, config=CONFIG, aws_access_key_id=key, aws_secret_access_key=secret)


def error(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("the call succeeded")


@check
def boto3_right_secret_is_accepted():
    assert client("sts").get_caller_identity()["Account"] == "111122223333"
    assert client("ec2").describe_vpcs()["Vpcs"]


@check
def boto3_wrong_secret():
    code, msg, status = error(client("ec2", secret="wrong").describe_vpcs)
    assert (code, status) == ("SignatureDoesNotMatch", 403), (code, status)
    assert msg.startswith("The request signature we calculated does not match"), msg
    code, _, status = error(client("sts", secret="wrong").get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403), (code, status)


@check
def boto3_unknown_key():
    code, msg, status = error(client("ec2", key="AKIANOTCONFIGURED01").describe_vpcs)
    assert (code, status) == ("AuthFailure", 401), (code, status, msg)
    code, msg, status = error(client("sts", key="AKIANOTCONFIGURED01").get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403), (code, status, msg)
    # A 12-digit key names an account, but it has no secret: refused too.
    code, _, _ = error(client("sts", key="111122223333").get_caller_identity)
    assert code == "InvalidClientTokenId", code


@check
def boto3_skewed_clock():
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: real() - datetime.timedelta(minutes=20)
    try:
        code, msg, status = error(client("ec2").describe_vpcs)
        assert (code, msg, status) == ("RequestExpired", "Request has expired.", 400), (code, msg, status)
        code, msg, _ = error(client("sts").get_caller_identity)
        assert code == "SignatureDoesNotMatch" and msg.startswith("Signature expired: ") and msg.endswith(" - 15 min.)"), (code, msg)
    finally:
        botocore.auth.get_current_datetime = real
    # Ten minutes off is within AWS's window.
    botocore.auth.get_current_datetime = lambda: real() - datetime.timedelta(minutes=10)
    try:
        client("sts").get_caller_identity()
    finally:
        botocore.auth.get_current_datetime = real


@check
def boto3_tampered_body():
    ec2 = client("ec2")

    def tamper(request, **_):
        # After signing: the body now asks for something else than what was signed.
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        assert b"Action=DescribeVpcs" in body, body
        request.body = body.replace(b"Action=DescribeVpcs", b"Action=DescribeVpcs&DryRun=true")
        request.headers["Content-Length"] = str(len(request.body))

    ec2.meta.events.register("before-send.ec2.DescribeVpcs", tamper)
    code, _, status = error(ec2.describe_vpcs)
    assert (code, status) == ("SignatureDoesNotMatch", 403), (code, status)


def aws(*args, key=KEY, secret=SECRET):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    return subprocess.run(["aws", *args], env=env, capture_output=True, text=True, timeout=60)


@check
def cli_right_secret_is_accepted():
    r = aws("sts", "get-caller-identity", "--query", "Account", "--output", "text")
    assert r.returncode == 0 and r.stdout.strip() == "111122223333", (r.returncode, r.stdout, r.stderr)


@check
def cli_wrong_secret_and_unknown_key():
    r = aws("ec2", "describe-vpcs", secret="wrong")
    assert r.returncode != 0 and "(SignatureDoesNotMatch)" in r.stderr, (r.returncode, r.stderr)
    r = aws("ec2", "describe-vpcs", key="AKIANOTCONFIGURED01")
    assert r.returncode != 0 and "(AuthFailure)" in r.stderr, (r.returncode, r.stderr)


def main():
    passed = failed = 0
    for fn in CHECKS:
        try:
            fn()
            passed += 1
            print(f"ok   {fn.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}:")
            print("     " + traceback.format_exc().strip().replace("\n", "\n     "))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
