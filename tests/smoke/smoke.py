#!/usr/bin/env python3
"""boto3 smoke test against a running lbsim (tests/smoke/run.sh starts one).

Reads the endpoint from AWS_ENDPOINT_URL like any boto3 program. Covers what lbsim serves today
(STS, VPCs, subnets, zones, account attributes, error codes through ClientError) and, each behind a
probe, the families that land separately: security groups, instances, ELBv2. A probe calls one
harmless describe; an `InvalidAction` answer means the family is not served yet and its checks are
skipped, so this run grows by itself as the work lands.

Prints one line per check and ends with "N passed, M failed"; exits 1 on any failure.
"""

import ipaddress
import os
import re
import sys
import time
import traceback
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# One attempt: an error must show its first answer, and a hang must not be retried into minutes.
CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ID = re.compile(r"^[a-z]+(-[a-z]+)*-[0-9a-f]{8}([0-9a-f]{9})?$")

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


class Skip(Exception):
    """A check whose actions lbsim does not serve yet."""


def client(service, key=None, region=None):
    kw = {"config": CONFIG, "region_name": region or REGION}
    if key:
        kw.update(aws_access_key_id=key, aws_secret_access_key="test")
    return boto3.client(service, **kw)


ec2 = client("ec2")
sts = client("sts")
elbv2 = client("elbv2")


def expect_error(code, fn, *args, **kwargs):
    """Calls fn, which must fail with `code`; returns the ClientError."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, "expected %s, got %s: %s" % (code, got, e.response["Error"].get("Message"))
        assert e.response["Error"].get("Message"), "error %s has no message" % code
        rid = e.response["ResponseMetadata"].get("RequestId", "")
        assert UUID.match(rid), "error request id %r is not a uuid" % rid
        return e
    raise AssertionError("expected %s, but the call succeeded" % code)


_served = {}


def served(family, fn, **kwargs):
    """Probes once per family whether lbsim serves it (InvalidAction means not yet)."""
    if family not in _served:
        try:
            fn(**kwargs)
            _served[family] = True
        except ClientError as e:
            _served[family] = e.response["Error"]["Code"] != "InvalidAction"
    if not _served[family]:
        raise Skip("%s not served yet (InvalidAction)" % family)


def eventually(fn, code="DependencyViolation", seconds=3.0):
    """Retries fn while it fails with `code` (resources AWS releases asynchronously)."""
    deadline = time.time() + seconds
    while True:
        try:
            return fn()
        except ClientError as e:
            if e.response["Error"]["Code"] != code or time.time() > deadline:
                raise
            time.sleep(0.2)


def quietly(fn, **kwargs):
    """Clean-up: a resource that is already gone is fine; the check's own failure is what counts."""
    try:
        fn(**kwargs)
    except ClientError as e:
        if not e.response["Error"]["Code"].endswith("NotFound"):
            raise


def delete_group_eventually(sg, seconds=3.0):
    """Clean-up of a group an instance or NLB used: its interfaces may take a while to go (as on
    AWS, configurable in lbsim). Still in use after `seconds` is left behind, not failed: the
    server is thrown away after the run, and the check asserts other things."""
    try:
        eventually(lambda: quietly(ec2.delete_security_group, GroupId=sg), seconds=seconds)
    except ClientError as e:
        if e.response["Error"]["Code"] != "DependencyViolation":
            raise
        print("     (left %s behind: still in use after %.0f s)" % (sg, seconds))


def name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def default_vpc():
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    return vpcs[0]


def default_subnets():
    vpc = default_vpc()["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return sorted(subnets, key=lambda s: s["AvailabilityZone"])


# ---- what lbsim serves today -------------------------------------------------------------------


@check
def sts_caller_identity():
    ident = sts.get_caller_identity()
    assert ident["Account"] == "000000000000", ident
    assert ident["Arn"] == "arn:aws:iam::000000000000:root", ident
    assert ident["UserId"], ident
    assert UUID.match(ident["ResponseMetadata"]["RequestId"]), ident["ResponseMetadata"]
    header = ident["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid")
    assert header == ident["ResponseMetadata"]["RequestId"], "header %r vs body request id" % header


@check
def sts_account_from_a_12_digit_key():
    ident = client("sts", key="123456789012", region="eu-west-1").get_caller_identity()
    assert ident["Account"] == "123456789012", ident


@check
def default_vpc_and_subnets():
    vpc = default_vpc()
    assert vpc["CidrBlock"] == "172.31.0.0/16", vpc
    assert vpc["IsDefault"] is True and vpc["State"] == "available", vpc
    assert ID.match(vpc["VpcId"]) and vpc["VpcId"].startswith("vpc-"), vpc["VpcId"]
    subnets = default_subnets()
    assert len(subnets) >= 3, subnets
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subnets), subnets
    assert len({s["AvailabilityZone"] for s in subnets}) == len(subnets), "one default subnet per zone"
    for s in subnets:
        assert ipaddress.ip_network(s["CidrBlock"]).subnet_of(ipaddress.ip_network("172.31.0.0/16")), s
        assert s["SubnetArn"] == "arn:aws:ec2:%s:000000000000:subnet/%s" % (REGION, s["SubnetId"]), s


@check
def describe_subnets_pages():
    pages = list(ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5}))
    assert len(pages) >= 2, "6 default subnets in pages of 5: %d pages" % len(pages)
    ids = [s["SubnetId"] for p in pages for s in p["Subnets"]]
    assert len(ids) == len(set(ids)) == len(default_subnets()), ids


@check
def availability_zones():
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert len(zones) >= 3, zones
    assert all(z["State"] == "available" and z["RegionName"] == REGION for z in zones), zones
    assert zones[0]["ZoneName"] == REGION + "a", zones[0]
    other = client("ec2", region="eu-west-1").describe_availability_zones()["AvailabilityZones"]
    assert other[0]["ZoneName"] == "eu-west-1a", other[0]


@check
def account_attributes():
    attrs = ec2.describe_account_attributes()["AccountAttributes"]
    values = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in attrs}
    assert values["default-vpc"] == [default_vpc()["VpcId"]], values
    assert values["vpc-max-security-groups-per-interface"] == ["5"], values
    one = ec2.describe_account_attributes(AttributeNames=["supported-platforms"])["AccountAttributes"]
    assert [a["AttributeName"] for a in one] == ["supported-platforms"], one


@check
def vpc_and_subnet_lifecycle():
    tag = name("smoke")
    vpc = ec2.create_vpc(
        CidrBlock="10.42.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": tag}]}],
    )["Vpc"]
    vpc_id = vpc["VpcId"]
    assert vpc["CidrBlock"] == "10.42.0.0/16" and vpc["IsDefault"] is False, vpc
    assert {"Key": "Name", "Value": tag} in vpc["Tags"], vpc
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [tag]}])["Vpcs"]
    assert [v["VpcId"] for v in found] == [vpc_id], found
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.42.1.0/24", AvailabilityZone=REGION + "b")["Subnet"]
    assert subnet["AvailableIpAddressCount"] == 251, subnet
    assert subnet["AvailabilityZone"] == REGION + "b" and subnet["VpcId"] == vpc_id, subnet
    expect_error("InvalidSubnet.Conflict", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.42.1.128/25")
    expect_error("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.43.0.0/24")
    expect_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    expect_error("InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=[subnet["SubnetId"]])
    ec2.delete_vpc(VpcId=vpc_id)
    expect_error("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[vpc_id])


@check
def ec2_error_codes():
    e = expect_error("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=["vpc-12345678"])
    assert e.response["Error"]["Message"] == "The vpc ID 'vpc-12345678' does not exist", e.response["Error"]
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    expect_error("InvalidVpcID.Malformed", ec2.describe_vpcs, VpcIds=["vpc-xyz"])
    e = expect_error("DryRunOperation", ec2.create_vpc, CidrBlock="10.9.0.0/16", DryRun=True)
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    expect_error("InvalidVpc.Range", ec2.create_vpc, CidrBlock="10.0.0.0/8")
    expect_error("InvalidParameterValue", ec2.describe_vpcs, Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    # An action lbsim will never serve: the code every SDK maps to "unknown operation".
    expect_error("InvalidAction", ec2.describe_vpn_gateways)


@check
def sts_error_codes():
    expect_error("InvalidAction", sts.get_session_token)


# ---- security groups (landing separately) ------------------------------------------------------


@check
def security_groups():
    served("security groups", ec2.describe_security_groups, MaxResults=5)
    vpc_id = default_vpc()["VpcId"]
    group = name("smoke-sg")
    sg = ec2.create_security_group(
        GroupName=group,
        Description="lbsim smoke",
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": "smoke"}]}],
    )["GroupId"]
    peer = ec2.create_security_group(GroupName=group + "-peer", Description="peer", VpcId=vpc_id)["GroupId"]
    try:
        described = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
        assert described["GroupName"] == group and described["VpcId"] == vpc_id, described
        egress = described["IpPermissionsEgress"]
        assert egress and egress[0]["IpProtocol"] == "-1", "the default allow-all egress rule: %r" % egress
        expect_error("InvalidGroup.Duplicate", ec2.create_security_group, GroupName=group, Description="x", VpcId=vpc_id)
        perms = [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "https"}]},
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": peer}]},
        ]
        out = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perms)
        assert out.get("Return") is True and len(out["SecurityGroupRules"]) == 2, out
        assert all(r["SecurityGroupRuleId"].startswith("sgr-") for r in out["SecurityGroupRules"]), out
        expect_error("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=perms[:1])
        ingress = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"]
        assert len(ingress) == 2, ingress
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
        assert len([r for r in rules if not r["IsEgress"]]) == 2, rules
        by_filter = ec2.describe_security_groups(Filters=[{"Name": "tag:team", "Values": ["smoke"]}])["SecurityGroups"]
        assert sg in [g["GroupId"] for g in by_filter], by_filter
        expect_error("DependencyViolation", ec2.delete_security_group, GroupId=peer)
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perms)
        assert ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"] == []
        # In the default VPC AWS does not refuse unknown permissions: it returns them
        # (aws-api.md §2.2); in any other VPC the revoke fails and changes nothing.
        lenient = ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perms[:1])
        assert len(lenient.get("UnknownIpPermissions", [])) == 1, lenient
        other_vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
        strict = ec2.create_security_group(GroupName=group, Description="strict", VpcId=other_vpc)["GroupId"]
        try:
            expect_error("InvalidPermission.NotFound", ec2.revoke_security_group_ingress, GroupId=strict, IpPermissions=perms[:1])
        finally:
            quietly(ec2.delete_security_group, GroupId=strict)
            quietly(ec2.delete_vpc, VpcId=other_vpc)
    finally:
        quietly(ec2.delete_security_group, GroupId=sg)
        quietly(ec2.delete_security_group, GroupId=peer)
    expect_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=[sg])
    expect_error("InvalidGroupId.Malformed", ec2.describe_security_groups, GroupIds=["sg-xyz"])


# ---- instances (landing separately) ------------------------------------------------------------


@check
def instances():
    served("instances", ec2.describe_instances, MaxResults=5)
    served("security groups", ec2.describe_security_groups, MaxResults=5)
    subnet = default_subnets()[0]
    sg = ec2.create_security_group(GroupName=name("smoke-inst"), Description="smoke", VpcId=subnet["VpcId"])["GroupId"]
    try:
        run = ec2.run_instances(
            ImageId="ami-12345678",
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet["SubnetId"],
            SecurityGroupIds=[sg],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "smoke"}]}],
        )
        inst = run["Instances"][0]
        iid = inst["InstanceId"]
        assert iid.startswith("i-") and inst["SubnetId"] == subnet["SubnetId"], inst
        ip = ipaddress.ip_address(inst["PrivateIpAddress"])
        assert ip in ipaddress.ip_network(subnet["CidrBlock"]), inst["PrivateIpAddress"]
        assert [g["GroupId"] for g in inst["SecurityGroups"]] == [sg], inst["SecurityGroups"]
        assert inst["NetworkInterfaces"] and inst["NetworkInterfaces"][0]["NetworkInterfaceId"].startswith("eni-"), inst
        res = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
        assert res[0]["Instances"][0]["InstanceId"] == iid, res
        tagged = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["smoke"]}])["Reservations"]
        assert iid in [i["InstanceId"] for r in tagged for i in r["Instances"]], tagged
        expect_error("DependencyViolation", ec2.delete_security_group, GroupId=sg)
        expect_error("InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"])
        expect_error("InvalidInstanceID.Malformed", ec2.describe_instances, InstanceIds=["i-xyz"])
        gone = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"]
        assert gone[0]["InstanceId"] == iid and gone[0]["CurrentState"]["Name"] in ("shutting-down", "terminated"), gone
    finally:
        delete_group_eventually(sg)


# ---- ELBv2 (landing separately) ----------------------------------------------------------------


@check
def network_load_balancer():
    served("ELBv2", elbv2.describe_load_balancers, PageSize=1)
    served("security groups", ec2.describe_security_groups, MaxResults=5)
    subnets = default_subnets()[:2]
    vpc_id = subnets[0]["VpcId"]
    sg = ec2.create_security_group(GroupName=name("smoke-nlb"), Description="smoke", VpcId=vpc_id)["GroupId"]
    tg_arn = lb_arn = None
    try:
        tg = elbv2.create_target_group(Name=name("smoke"), Protocol="TCP", Port=80, VpcId=vpc_id, TargetType="ip")["TargetGroups"][0]
        tg_arn = tg["TargetGroupArn"]
        assert ":targetgroup/" in tg_arn and tg["Protocol"] == "TCP" and tg["Port"] == 80, tg
        lb = elbv2.create_load_balancer(
            Name=name("smoke"),
            Type="network",
            Scheme="internal",
            Subnets=[s["SubnetId"] for s in subnets],
            SecurityGroups=[sg],
            Tags=[{"Key": "team", "Value": "smoke"}],
        )["LoadBalancers"][0]
        lb_arn = lb["LoadBalancerArn"]
        assert ":loadbalancer/net/" in lb_arn and lb["Type"] == "network" and lb["Scheme"] == "internal", lb
        assert lb["SecurityGroups"] == [sg] and lb["VpcId"] == vpc_id, lb
        assert lb["DNSName"].startswith("internal-"), lb["DNSName"]
        assert len(lb["AvailabilityZones"]) == 2, lb["AvailabilityZones"]
        described = elbv2.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"]
        assert described[0]["LoadBalancerArn"] == lb_arn, described
        listener = elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="TCP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
        )["Listeners"][0]
        assert listener["Port"] == 80 and listener["DefaultActions"][0]["TargetGroupArn"] == tg_arn, listener
        targets = [{"Id": str(ipaddress.ip_network(s["CidrBlock"])[10]), "Port": 80} for s in subnets]
        elbv2.register_targets(TargetGroupArn=tg_arn, Targets=targets)
        health = elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        assert sorted(h["Target"]["Id"] for h in health) == sorted(t["Id"] for t in targets), health
        assert all(h["TargetHealth"]["State"] in ("initial", "healthy") for h in health), health
        expect_error("DependencyViolation", ec2.delete_security_group, GroupId=sg)
        expect_error("ResourceInUse", elbv2.delete_target_group, TargetGroupArn=tg_arn)
        expect_error("LoadBalancerNotFound", elbv2.describe_load_balancers, Names=["no-such-lb"])
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    finally:
        if lb_arn:
            quietly(elbv2.delete_load_balancer, LoadBalancerArn=lb_arn)
        if tg_arn:
            eventually(lambda: quietly(elbv2.delete_target_group, TargetGroupArn=tg_arn), code="ResourceInUse")
        delete_group_eventually(sg)
    expect_error("LoadBalancerNotFound", elbv2.describe_load_balancers, LoadBalancerArns=[lb_arn])


def main():
    if not os.environ.get("AWS_ENDPOINT_URL"):
        print("smoke.py: set AWS_ENDPOINT_URL to a running lbsim (tests/smoke/run.sh does)")
        return 2
    passed = failed = skipped = 0
    for fn in CHECKS:
        start = time.time()
        try:
            fn()
            passed += 1
            print("ok   %s (%.0f ms)" % (fn.__name__, (time.time() - start) * 1000))
        except Skip as s:
            skipped += 1
            print("skip %s: %s" % (fn.__name__, s))
        except Exception as e:  # one failure must not hide the others
            failed += 1
            print("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
            traceback.print_exc(limit=3, file=sys.stdout)
    if skipped:
        print("(%d checks skipped: their actions are not served yet)" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
