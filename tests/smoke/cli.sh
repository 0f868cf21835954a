#!/usr/bin/env bash
# AWS CLI smoke test against a running lbsim (tests/smoke/run.sh starts one and sets
# AWS_ENDPOINT_URL and dummy credentials). Works with CLI v1 and v2. Families that land separately
# (security groups, instances, ELBv2) are probed once: an InvalidAction answer skips them.
# Prints one line per check and ends with "N passed, M failed"; exits 1 on any failure.
set -uo pipefail

if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
  echo "cli.sh: set AWS_ENDPOINT_URL to a running lbsim (tests/smoke/run.sh does)"
  exit 2
fi
export AWS_PAGER="" AWS_DEFAULT_OUTPUT=json

passed=0
failed=0
skipped=0
declare -A served

# Runs one check function; a check fails by returning non-zero, after printing why.
check() {
  local name=$1 out status
  out=$("$name" 2>&1)
  status=$?
  if [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
    echo "ok   $name"
  elif [[ $status -eq 77 ]]; then
    skipped=$((skipped + 1))
    echo "skip $name: $out"
  else
    failed=$((failed + 1))
    echo "FAIL $name:"
    printf '     %s\n' "${out//$'\n'/$'\n'     }"
  fi
}

# eq WHAT GOT WANT
eq() {
  if [[ $2 != "$3" ]]; then
    echo "$1: got '$2', want '$3'"
    return 1
  fi
}

# fails_with CODE aws ...: the command must fail, naming CODE the way the CLI prints it.
fails_with() {
  local code=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "expected $code, but '$*' succeeded: $out"
    return 1
  fi
  if [[ $out != *"($code)"* ]]; then
    echo "expected ($code) from '$*', got: $out"
    return 1
  fi
}

# needs FAMILY aws ...: probe once whether lbsim serves an action family (exit 77 = skip).
needs() {
  local family=$1 out
  shift
  if [[ -z ${served[$family]:-} ]]; then
    if out=$("$@" 2>&1) || [[ $out != *"(InvalidAction)"* ]]; then
      served[$family]=yes
    else
      served[$family]=no
    fi
  fi
  if [[ ${served[$family]} == no ]]; then
    echo "$family not served yet (InvalidAction)"
    exit 77
  fi
}

default_vpc() {
  aws ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId' --output text
}

sts_identity() {
  eq account "$(aws sts get-caller-identity --query Account --output text)" 000000000000 || return 1
  eq arn "$(aws sts get-caller-identity --query Arn --output text)" arn:aws:iam::000000000000:root || return 1
  eq "12-digit key" "$(AWS_ACCESS_KEY_ID=123456789012 aws sts get-caller-identity --query Account --output text)" 123456789012
}

default_world() {
  local vpc
  vpc=$(default_vpc) || return 1
  [[ $vpc == vpc-* ]] || { echo "default VPC id '$vpc'"; return 1; }
  eq cidr "$(aws ec2 describe-vpcs --vpc-ids "$vpc" --query 'Vpcs[0].CidrBlock' --output text)" 172.31.0.0/16 || return 1
  local n
  n=$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" Name=default-for-az,Values=true --query 'length(Subnets)' --output text) || return 1
  ((n >= 3)) || { echo "$n default subnets"; return 1; }
  n=$(aws ec2 describe-availability-zones --query 'length(AvailabilityZones)' --output text) || return 1
  ((n >= 3)) || { echo "$n zones"; return 1; }
  eq "zones in another region" "$(aws ec2 describe-availability-zones --region eu-west-1 --query 'AvailabilityZones[0].ZoneName' --output text)" eu-west-1a || return 1
  eq "default-vpc attribute" "$(aws ec2 describe-account-attributes --attribute-names default-vpc \
    --query 'AccountAttributes[0].AttributeValues[0].AttributeValue' --output text)" "$vpc"
}

vpc_lifecycle() {
  local vpc subnet
  vpc=$(aws ec2 create-vpc --cidr-block 10.77.0.0/16 --tag-specifications 'ResourceType=vpc,Tags=[{Key=Name,Value=cli-smoke}]' \
    --query Vpc.VpcId --output text) || return 1
  eq "by tag" "$(aws ec2 describe-vpcs --filters Name=tag:Name,Values=cli-smoke --query 'Vpcs[0].VpcId' --output text)" "$vpc" || return 1
  subnet=$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.77.3.0/24 --query Subnet.SubnetId --output text) || return 1
  fails_with DependencyViolation aws ec2 delete-vpc --vpc-id "$vpc" || return 1
  aws ec2 delete-subnet --subnet-id "$subnet" || return 1
  aws ec2 delete-vpc --vpc-id "$vpc" || return 1
  fails_with InvalidVpcID.NotFound aws ec2 describe-vpcs --vpc-ids "$vpc"
}

error_codes() {
  fails_with InvalidVpcID.NotFound aws ec2 describe-vpcs --vpc-ids vpc-12345678 || return 1
  fails_with InvalidVpcID.Malformed aws ec2 delete-vpc --vpc-id vpc-xyz || return 1
  fails_with DryRunOperation aws ec2 create-vpc --cidr-block 10.9.0.0/16 --dry-run || return 1
  fails_with InvalidAction aws ec2 describe-vpn-gateways || return 1
  fails_with InvalidAction aws sts get-session-token
}

security_groups() {
  needs "security groups" aws ec2 describe-security-groups --max-results 5
  local vpc sg
  vpc=$(default_vpc) || return 1
  sg=$(aws ec2 create-security-group --group-name "cli-smoke-$$" --description "cli smoke" --vpc-id "$vpc" \
    --query GroupId --output text) || return 1
  aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 443 --cidr 10.0.0.0/8 >/dev/null || return 1
  fails_with InvalidPermission.Duplicate aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 443 --cidr 10.0.0.0/8 || return 1
  eq "ingress port" "$(aws ec2 describe-security-groups --group-ids "$sg" --query 'SecurityGroups[0].IpPermissions[0].FromPort' --output text)" 443 || return 1
  aws ec2 revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 443 --cidr 10.0.0.0/8 >/dev/null || return 1
  eq "ingress after revoke" "$(aws ec2 describe-security-groups --group-ids "$sg" --query 'length(SecurityGroups[0].IpPermissions)' --output text)" 0 || return 1
  aws ec2 delete-security-group --group-id "$sg" || return 1
  fails_with InvalidGroup.NotFound aws ec2 describe-security-groups --group-ids "$sg"
}

instances() {
  needs instances aws ec2 describe-instances --max-results 5
  local subnet iid state
  subnet=$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$(default_vpc)" --query 'Subnets[0].SubnetId' --output text) || return 1
  iid=$(aws ec2 run-instances --image-id ami-12345678 --instance-type t3.micro --count 1 --subnet-id "$subnet" \
    --query 'Instances[0].InstanceId' --output text) || return 1
  [[ $iid == i-* ]] || { echo "instance id '$iid'"; return 1; }
  eq "described" "$(aws ec2 describe-instances --instance-ids "$iid" --query 'Reservations[0].Instances[0].InstanceId' --output text)" "$iid" || return 1
  state=$(aws ec2 terminate-instances --instance-ids "$iid" --query 'TerminatingInstances[0].CurrentState.Name' --output text) || return 1
  [[ $state == shutting-down || $state == terminated ]] || { echo "state after terminate: $state"; return 1; }
  fails_with InvalidInstanceID.Malformed aws ec2 describe-instances --instance-ids i-xyz
}

load_balancer() {
  needs ELBv2 aws elbv2 describe-load-balancers --page-size 1
  local vpc subnets tg lb listener
  vpc=$(default_vpc) || return 1
  subnets=$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" --query 'Subnets[0:2].SubnetId' --output text) || return 1
  tg=$(aws elbv2 create-target-group --name "cli-smoke-$$" --protocol TCP --port 80 --vpc-id "$vpc" --target-type ip \
    --query 'TargetGroups[0].TargetGroupArn' --output text) || return 1
  # shellcheck disable=SC2086 # two subnet ids, split on purpose
  lb=$(aws elbv2 create-load-balancer --name "cli-smoke-$$" --type network --scheme internal --subnets $subnets \
    --query 'LoadBalancers[0].LoadBalancerArn' --output text) || return 1
  [[ $lb == *:loadbalancer/net/* ]] || { echo "load balancer ARN '$lb'"; return 1; }
  listener=$(aws elbv2 create-listener --load-balancer-arn "$lb" --protocol TCP --port 80 \
    --default-actions "Type=forward,TargetGroupArn=$tg" --query 'Listeners[0].ListenerArn' --output text) || return 1
  aws elbv2 register-targets --target-group-arn "$tg" --targets Id=172.31.0.10,Port=80 || return 1
  eq "targets" "$(aws elbv2 describe-target-health --target-group-arn "$tg" --query 'length(TargetHealthDescriptions)' --output text)" 1 || return 1
  aws elbv2 delete-listener --listener-arn "$listener" || return 1
  aws elbv2 delete-load-balancer --load-balancer-arn "$lb" || return 1
  aws elbv2 delete-target-group --target-group-arn "$tg" || return 1
  fails_with LoadBalancerNotFound aws elbv2 describe-load-balancers --load-balancer-arns "$lb"
}

aws --version 2>&1
check sts_identity
check default_world
check vpc_lifecycle
check error_codes
check security_groups
check instances
check load_balancer

if ((skipped > 0)); then
  echo "($skipped checks skipped: their actions are not served yet)"
fi
echo "$passed passed, $failed failed"
((failed == 0))
