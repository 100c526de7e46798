#!/usr/bin/env bash
# Runs the seed's Python client code (unchanged: seed_client.py, seed_streaming.py),
# checks.py and tls_checks.py against the Rust reference server.
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
pki="$(mktemp -d)"
server_pid=""
lb_pids=()
trap 'stop_server; for pid in "${lb_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$log" "$pki"' EXIT

# start_server ADDR ARGS...: starts user-service on ADDR and waits for its start-up line.
start_server() {
  local listen="$1"
  shift
  "$server_bin" --addr "$listen" "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do
    grep -q "listening on" "$log" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "error: user-service exited" >&2; exit 1; }
    sleep 0.05
  done
  grep -q "listening on" "$log" || { cat "$log" >&2; echo "error: user-service did not start" >&2; exit 1; }
  echo "==> $(head -n 1 "$log") ($*)"
  # The bound port, from the start-up line (`user-service listening on 127.0.0.1:PORT`).
  server_port="$(head -n 1 "$log" | sed -E 's/.*:([0-9]+)$/\1/')"
}

# stop_server: SIGTERM, and wait for a clean exit.
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid"
    server_pid=""
  fi
}

start_server "$addr" --seed-users 100

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
stop_server
echo "==> user-service stopped cleanly"

echo "==> a throwaway PKI for the TLS checks (keys exist only in $pki)"
cargo run --quiet --manifest-path "$root/Cargo.toml" -p solution08-security --bin test-pki -- "$pki" >/dev/null
# Any free port: only the seed's own client needs 50051.
tls_addr="127.0.0.1:0"

echo "==> TLS: tls_checks.py"
start_server "$tls_addr" --seed-users 10 --tls-cert "$pki/server.pem" --tls-key "$pki/server.key"
PYTHONPATH="$generated" "$venv/bin/python" "$here/tls_checks.py" --target "localhost:$server_port" \
  --ca "$pki/ca.pem" --other-ca "$pki/foreign-ca.pem"
stop_server

echo "==> mutual TLS and bearer tokens: tls_checks.py"
start_server "$tls_addr" --seed-users 10 --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" \
  --client-ca "$pki/ca.pem" --auth-token "py-writer" --read-only-token "py-reader"
PYTHONPATH="$generated" "$venv/bin/python" "$here/tls_checks.py" --target "localhost:$server_port" \
  --ca "$pki/ca.pem" --other-ca "$pki/foreign-ca.pem" \
  --cert "$pki/client.pem" --key "$pki/client.key" --client-ca \
  --foreign-cert "$pki/foreign-client.pem" --foreign-key "$pki/foreign-client.key" \
  --token "py-writer" --read-only-token "py-reader"
stop_server

echo "==> grpcio's own round_robin over three servers, one killed half-way: lb_checks.py"
lb_targets=""
for i in 1 2 3; do
  lb_log="$log.lb$i"
  "$server_bin" --addr 127.0.0.1:0 --seed-users 10 >"$lb_log" 2>&1 &
  lb_pids+=($!)
  for _ in $(seq 600); do
    grep -q "listening on" "$lb_log" && break
    sleep 0.05
  done
  port="$(head -n 1 "$lb_log" | sed -E 's/.*:([0-9]+)$/\1/')"
  lb_targets="$lb_targets${lb_targets:+,}127.0.0.1:$port"
done
echo "==> three servers: $lb_targets"
PYTHONPATH="$generated" "$venv/bin/python" "$here/lb_checks.py" --targets "$lb_targets" \
  --kill-pid "${lb_pids[1]}"
wait "${lb_pids[1]}" 2>/dev/null || true # killed by lb_checks.py, as planned
for pid in "${lb_pids[0]}" "${lb_pids[2]}"; do
  kill -TERM "$pid"
  wait "$pid"
done
lb_pids=()
rm -f "$log".lb*
echo "==> all Python checks passed"
