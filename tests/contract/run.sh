#!/usr/bin/env bash
# The admin API contract: starts `lbsim serve` (with its demo cluster, so the Kubernetes
# endpoints have something to answer) on a free loopback port and runs schemathesis against the
# OpenAPI document the server itself serves (GET /_lbsim/openapi.json), with the checks and the
# few exceptions in schemathesis.toml. Any mismatch fails the run.
#
# Usage: tests/contract/run.sh [path/to/lbsim]   (SCHEMATHESIS: the executable; MAX_EXAMPLES:
# examples per operation, default 30). Builds nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/target/debug/lbsim}
st=${SCHEMATHESIS:-schemathesis}
if [[ ! -x $bin ]]; then
  echo "contract/run.sh: no lbsim binary at $bin" >&2
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

LBSIM_LOG=warn "$bin" serve --listen 127.0.0.1:0 >"$work/stdout" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 200); do
  if grep -q '^Ready\.$' "$work/stdout"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.05
done
url=$(sed -n 's/^lbsim listening on //p' "$work/stdout")
[[ -n $url ]] || { echo "contract/run.sh: lbsim did not start" >&2; exit 1; }

cd "$here"
"$st" --config-file schemathesis.toml run "$url/_lbsim/openapi.json" \
  --max-examples "${MAX_EXAMPLES:-30}" --seed "${SEED:-1}" --warnings off
if ! kill -0 "$pid" 2>/dev/null; then
  echo "FAIL lbsim died during the contract run" >&2
  tail -n 40 "$work/server.log" >&2
  exit 1
fi
