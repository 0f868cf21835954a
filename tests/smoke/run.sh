#!/usr/bin/env bash
# Smoke run against a real lbsim process: starts `lbsim serve` on a free loopback port, points
# boto3 and the AWS CLI at it the way users do (AWS_ENDPOINT_URL, dummy credentials), runs
# check_golden.py, smoke.py and cli.sh, and always stops the server.
#
# Usage: tests/smoke/run.sh [path/to/lbsim]   (default: target/release/lbsim, else target/debug/lbsim)
# Builds nothing. Ends with "N passed, M failed" over all scripts; exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}

bin=${1:-}
if [[ -z $bin ]]; then
  for candidate in "$root/target/release/lbsim" "$root/target/debug/lbsim"; do
    if [[ -x $candidate ]]; then bin=$candidate; break; fi
  done
fi
if [[ -z $bin || ! -x $bin ]]; then
  echo "run.sh: no lbsim binary${bin:+ at $bin}; build one first (cargo build --release)" >&2
  exit 2
fi

work=$(mktemp -d)
pid=
stop_server() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LBSIM_LOG=${LBSIM_LOG:-debug} "$bin" serve --listen "127.0.0.1:$port" >"$work/stdout" 2>"$work/server.log" &
pid=$!

# Ready when it prints its listening line (it binds before printing).
for _ in $(seq 1 200); do
  if grep -q '^lbsim listening on ' "$work/stdout"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: lbsim exited before listening:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.05
done
url=$(sed -n 's/^lbsim listening on //p' "$work/stdout")
if [[ -z $url ]]; then
  echo "run.sh: lbsim printed no listening line within 10 s" >&2
  exit 1
fi
echo "lbsim $("$bin" --version 2>/dev/null | awk '{print $2}') listening on $url ($bin)"

# The environment a user sets; nothing from this machine's own AWS set-up may leak in.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
unset AWS_CA_BUNDLE AWS_ENDPOINT_URL_EC2 AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2
export AWS_ENDPOINT_URL=$url
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard

passed=0
failed=0
run_script() {
  local label=$1
  shift
  echo
  echo "== $label"
  local status=0
  "$@" 2>&1 | tee "$work/$label.out" || status=$?
  local summary
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/$label.out" | tail -n 1 || true)
  if [[ -z $summary ]]; then
    echo "FAIL $label: exited $status without a summary line"
    failed=$((failed + 1))
    return
  fi
  local p f
  p=$(awk '{print $1}' <<<"$summary")
  f=$(awk '{print $3}' <<<"$summary")
  passed=$((passed + p))
  failed=$((failed + f))
  if [[ $status -ne 0 && $f -eq 0 ]]; then
    echo "FAIL $label: exited $status"
    failed=$((failed + 1))
  fi
}

run_script golden "$python" "$here/check_golden.py"
run_script scenarios "$python" "$here/check_scenarios.py" "$root"
run_script boto3 "$python" "$here/smoke.py"
run_script cli bash "$here/cli.sh"

# A second server that verifies signatures, with one key and its secret (sigv4.py uses them).
cat >"$work/verify.yaml" <<'YAML'
verify_signatures: true
access_keys:
  AKIALBSIMSMOKE000001: {account: "111122223333", secret: "smoke/secret+KEY"}
YAML
vport=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LBSIM_LOG=warn "$bin" serve --listen "127.0.0.1:$vport" --no-cluster --config "$work/verify.yaml" >"$work/verify.stdout" 2>"$work/verify.log" &
vpid=$!
for _ in $(seq 1 200); do
  if grep -q '^Ready\.$' "$work/verify.stdout"; then break; fi
  sleep 0.05
done
AWS_ENDPOINT_URL="http://127.0.0.1:$vport" run_script sigv4 "$python" "$here/sigv4.py"
kill -TERM "$vpid" 2>/dev/null || true
wait "$vpid" 2>/dev/null || true

# The server survived everything and stops cleanly on SIGTERM.
echo
echo "== server"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  pid=
  if [[ $status -eq 0 ]]; then
    echo "ok   lbsim exited 0 on SIGTERM"
    passed=$((passed + 1))
  else
    echo "FAIL lbsim exited $status on SIGTERM"
    failed=$((failed + 1))
  fi
else
  echo "FAIL lbsim died during the smoke run"
  failed=$((failed + 1))
fi
if ((failed > 0)); then
  echo
  echo "== last lines of the server log"
  tail -n 40 "$work/server.log"
fi

echo
echo "$passed passed, $failed failed"
((failed == 0))
