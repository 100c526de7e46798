#!/usr/bin/env bash
# Runs the seed's Python client code (unchanged: seed_client.py, seed_streaming.py) and
# checks.py against the Rust reference server.
#
#   bash polyglot/python/run.sh
#
# Makes a virtualenv in polyglot/python/.venv (grpcio from PyPI), generates the Python stubs
# from proto/user.proto with grpcio-tools, starts `user-service --seed-users 100` on
# 127.0.0.1:50051 (the address the seed's client dials), runs both scripts, and stops the
# server with SIGTERM.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
generated="$here/.generated"
addr="127.0.0.1:50051"

python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating $venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

echo "==> generating Python stubs from proto/user.proto (grpcio-tools)"
rm -rf "$generated" && mkdir -p "$generated"
"$venv/bin/python" -m grpc_tools.protoc -I"$root/proto" \
  --python_out="$generated" --grpc_python_out="$generated" "$root/proto/user.proto"

echo "==> building user-service"
cargo build --quiet --manifest-path "$root/Cargo.toml" -p user-service --bin user-service
server_bin="$root/target/debug/user-service"

if (exec 3<>"/dev/tcp/127.0.0.1/50051") 2>/dev/null; then
  echo "error: something already listens on $addr, which the seed's client dials; stop it first" >&2
  exit 1
fi

log="$(mktemp)"
"$server_bin" --addr "$addr" --seed-users 100 >"$log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "error: user-service exited" >&2; exit 1; }
  sleep 0.05
done
grep -q "listening on" "$log" || { cat "$log" >&2; echo "error: user-service did not start" >&2; exit 1; }
echo "==> $(head -n 1 "$log")"

echo "==> the seed's client: seed_client.py"
output="$(cd "$generated" && PYTHONPATH="$generated" "$venv/bin/python" "$here/seed_client.py")"
echo "$output"
if [ "$output" != "User: User 1" ]; then
  echo "error: expected the seed's client to print 'User: User 1'" >&2
  exit 1
fi

echo "==> the seed's streaming calls: seed_streaming.py"
output="$(cd "$generated" && PYTHONPATH="$generated" "$venv/bin/python" "$here/seed_streaming.py")"
echo "$output"
expected="$(printf 'User %s\n' 1 2 3 4 5 6 7 8 9 10; printf '2\nEcho: Hello\nEcho: How are you?\nEcho: Goodbye')"
if [ "$output" != "$expected" ]; then
  echo "error: the seed's streaming calls printed something else; expected:" >&2
  echo "$expected" >&2
  exit 1
fi

echo "==> checks.py"
PYTHONPATH="$generated" "$venv/bin/python" "$here/checks.py" "localhost:50051"

kill -TERM "$server_pid"
wait "$server_pid"
echo "==> user-service stopped cleanly"
