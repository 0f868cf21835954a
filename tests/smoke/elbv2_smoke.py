#!/usr/bin/env python3
"""ELBv2 smoke run against a real lbsim socket with boto3 and the AWS CLI (botocore's parser is
the second oracle besides aws-sdk-rust). Usage: tests/smoke/elbv2_smoke.py [path/to/lbsim]
(default target/debug/lbsim). Exits non-zero on the first mismatch."""
import json, os, subprocess, sys, tempfile

import boto3
from botocore.exceptions import ClientError

binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/lbsim"
cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
cfg.write("seed: 1\nregions:\n  us-east-1:\n    target_healthy_seconds: 0\n")
cfg.close()
server = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--config", cfg.name], stdout=subprocess.PIPE, text=True)
try:
    line = server.stdout.readline()
    assert line.startswith("lbsim listening on "), line
    url = line.split()[-1]
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    ec2, elb = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)

    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
    lb = elb.create_load_balancer(Name="smoke", Type="network", Scheme="internal", Subnets=[subnets[0]["SubnetId"], subnets[1]["SubnetId"]],
                                  Tags=[{"Key": "env", "Value": "smoke"}])["LoadBalancers"][0]
    assert lb["LoadBalancerArn"].startswith("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/smoke/"), lb
    assert lb["DNSName"].endswith(".elb.us-east-1.amazonaws.com") and lb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI", lb
    assert lb["CreatedTime"].tzinfo is not None and len(lb["AvailabilityZones"]) == 2, lb
    elb.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig={"Delay": 1, "MaxAttempts": 3})

    tg = elb.create_target_group(Name="smoke", Protocol="TCP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    assert tg["HealthCheckPort"] == "traffic-port" and tg["LoadBalancerArns"] == [], tg
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    assert listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"] == tg["TargetGroupArn"], listener
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "172.31.0.77", "Port": 8080}])
    elb.get_waiter("target_in_service").wait(TargetGroupArn=tg["TargetGroupArn"], WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"][0]
    assert health["TargetHealth"]["State"] == "healthy" and health["HealthCheckPort"] == "8080", health

    rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    assert rules[0]["IsDefault"] is True and rules[0]["Priority"] == "default", rules
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"], tg["TargetGroupArn"]])["TagDescriptions"]
    assert tags[0]["Tags"] == [{"Key": "env", "Value": "smoke"}] and tags[1]["Tags"] == [], tags
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["deletion_protection.enabled"] == "false", attrs
    limits = {l["Name"]: l["Max"] for l in elb.describe_account_limits()["Limits"]}
    assert limits["network-load-balancers"] == "50", limits

    try:
        elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
        raise AssertionError("DeleteTargetGroup of a group in use succeeded")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceInUse", e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    try:
        elb.describe_load_balancers(Names=["ghost"])
        raise AssertionError("DescribeLoadBalancers of an unknown name succeeded")
    except ClientError as e:
        assert e.response["Error"] == {"Type": "Sender", "Code": "LoadBalancerNotFound", "Message": "Load balancers '[ghost]' not found"}, e.response

    cli_env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run(["aws", "--endpoint-url", url, "elbv2", "describe-load-balancers", "--names", "smoke"],
                         env=cli_env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["LoadBalancers"][0]["LoadBalancerName"] == "smoke", out
    out = subprocess.run(["aws", "--endpoint-url", url, "elbv2", "describe-target-health", "--target-group-arn", tg["TargetGroupArn"]],
                         env=cli_env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["TargetHealthDescriptions"][0]["TargetHealth"]["State"] == "healthy", out

    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    print("elbv2 smoke: ok")
finally:
    server.terminate()
    server.wait()
    os.unlink(cfg.name)
