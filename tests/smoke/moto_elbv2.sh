#!/usr/bin/env bash
# Runs moto's own ELBv2 test suite in moto's server mode against a real lbsim process: moto's
# decorators then send every boto3 call (and the `/moto-api/reset` between tests) to lbsim
# instead of mocking in process, so each test checks lbsim's answers the way it checks moto's.
#
# moto's tests are not part of this repository. Export them from getmoto/moto at the tag of the
# installed moto version (`python3 -c "import moto; print(moto.__version__)"`), e.g.
#   git -C moto archive 5.2.1 tests/__init__.py tests/conftest.py tests/test_elbv2 \
#       tests/test_ec2/__init__.py | tar -x -C /tmp/moto-elbv2
# and pass the directory that holds `tests/`.
#
# Usage: [MOTO_LENIENT=1] tests/smoke/moto_elbv2.sh DIR [path/to/lbsim] [pytest args...]
# lbsim serves moto's default account (123456789012, which the tests put in their ARNs).
# moto's suite builds most load balancers in a new VPC with a security group of the default VPC,
# which AWS refuses (InvalidConfigurationRequest); MOTO_LENIENT=1 turns lbsim's
# `elb_security_group_vpc_check` off in the tests' Regions so the rest of each test runs.
# Needs python3 with moto (for its decorators), boto3 and pytest. Prints pytest's summary and
# writes the per-test outcome to DIR/moto-elbv2.junit.xml. Builds nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}

dir=${1:-}
if [[ -z $dir || ! -d $dir/tests/test_elbv2 ]]; then
  echo "usage: moto_elbv2.sh DIR [lbsim] [pytest args]: DIR must hold moto's tests/test_elbv2" >&2
  exit 2
fi
dir=$(cd "$dir" && pwd)
shift
bin=${1:-}
if [[ -n $bin && -x $bin ]]; then
  shift
else
  bin=
  for candidate in "$root/target/release/lbsim" "$root/target/debug/lbsim"; do
    if [[ -x $candidate ]]; then bin=$candidate; break; fi
  done
fi
if [[ -z $bin ]]; then
  echo "moto_elbv2.sh: no lbsim binary; build one first (cargo build --release)" >&2
  exit 2
fi
if ! "$python" -c 'import moto, boto3, pytest' 2>/dev/null; then
  echo "moto_elbv2.sh: $python lacks moto, boto3 or pytest (pip install 'moto[server]' pytest)" >&2
  exit 2
fi

work=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
{
  echo 'default_account: "123456789012"'
  if [[ ${MOTO_LENIENT:-} == 1 ]]; then
    echo 'regions:'
    for region in us-east-1 us-west-1 us-west-2 eu-central-1 eu-west-1; do
      printf '  %s:\n    elb_security_group_vpc_check: false\n' "$region"
    done
  fi
} >"$work/lbsim.yaml"
# The demo cluster would add resources moto's tests do not expect.
"$bin" serve --listen "127.0.0.1:$port" --no-cluster --config "$work/lbsim.yaml" >"$work/stdout" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 200); do
  if grep -q '^lbsim listening on ' "$work/stdout"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "moto_elbv2.sh: lbsim exited before listening:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.05
done
url=$(sed -n 's/^lbsim listening on //p' "$work/stdout")
echo "lbsim listening on $url ($bin); moto $("$python" -c 'import moto; print(moto.__version__)') tests from $dir"

unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
export TEST_SERVER_MODE=true TEST_SERVER_MODE_ENDPOINT=$url
export AWS_ACCESS_KEY_ID=FOOBARKEY AWS_SECRET_ACCESS_KEY=FOOBARSECRET AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true

cd "$dir"
status=0
"$python" -m pytest -p no:cacheprovider -q -rf --tb=line --junitxml="$dir/moto-elbv2.junit.xml" tests/test_elbv2 "$@" || status=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "moto_elbv2.sh: lbsim died during the run" >&2
  tail -n 40 "$work/server.log" >&2
  exit 1
fi
exit "$status"
