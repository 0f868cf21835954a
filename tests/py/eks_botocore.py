"""EKS DescribeCluster / ListClusters through botocore against a running lbsim (argv[1] = URL).
Exits non-zero on any mismatch; run by tests/eks_api.rs when botocore is importable."""
import sys

import botocore.session
from botocore.exceptions import ClientError

url = sys.argv[1]
s = botocore.session.get_session()
eks = s.create_client("eks", region_name="us-east-1", endpoint_url=url,
                      aws_access_key_id="000000000000", aws_secret_access_key="x")
c = eks.describe_cluster(name="demo")["cluster"]
assert c["status"] == "ACTIVE", c
assert c["arn"] == "arn:aws:eks:us-east-1:000000000000:cluster/demo", c["arn"]
vpc = c["resourcesVpcConfig"]
assert vpc["clusterSecurityGroupId"] == "sg-0123456789abcdef0", vpc
assert vpc["subnetIds"] == ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"], vpc
assert vpc["vpcId"] == "vpc-0cccccccccccccccc", vpc
assert c["endpoint"].startswith("https://"), c
assert c["createdAt"].year >= 2020, c["createdAt"]
assert eks.list_clusters()["clusters"] == ["demo"]
try:
    eks.describe_cluster(name="nope")
    raise SystemExit("expected ResourceNotFoundException")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "nope" in e.response["Error"]["Message"]
print("eks botocore ok")
