"""grpcio's own round_robin over three Rust user-service instances, one of them killed.

Start three instances (each with at least one seed user), then run:

    user-service --addr 127.0.0.1:50061 --seed-users 10 &
    user-service --addr 127.0.0.1:50062 --seed-users 10 &
    user-service --addr 127.0.0.1:50063 --seed-users 10 & victim=$!

    python lb_checks.py --targets 127.0.0.1:50061,127.0.0.1:50062,127.0.0.1:50063 \\
        --kill-pid "$victim"

It makes one channel over the three addresses with the seed's
`('grpc.lb_policy_name', 'round_robin')`, makes 30 GetUser calls (all must succeed), kills
the instance PID with SIGKILL (a crash: no GOAWAY, no goodbye), makes 30 more calls, and
asserts that at most one of them failed. Prints the counts; exits non-zero on a broken
promise.
"""
import argparse
import os
import signal
import sys

import grpc

import user_pb2
import user_pb2_grpc

CALLS = 30
TIMEOUT = 5.0


# ANCHOR: round_robin_channel
def round_robin_channel(addresses):
    # The seed's option, over a static list of addresses. The `ipv4:` scheme names several
    # addresses in one target; grpcio then keeps a subchannel (a connection) to each, and
    # its round_robin picker rotates every call over the ones that are READY.
    target = "ipv4:" + ",".join(addresses)
    options = [
        ("grpc.lb_policy_name", "round_robin"),
        # Without this, grpcio sends the whole comma-separated list as the `:authority`
        # header, which is not a valid authority: the Rust server (hyper) resets every
        # stream with PROTOCOL_ERROR. Name the service instead, as a DNS target would.
        ("grpc.default_authority", "localhost"),
    ]
    return grpc.insecure_channel(target, options=options)
# ANCHOR_END: round_robin_channel


def addresses_from(targets):
    """`127.0.0.1:P1,127.0.0.1:P2` or the short form `127.0.0.1:P1,P2,P3`."""
    addresses, host = [], None
    for part in targets.split(","):
        part = part.strip()
        if ":" in part:
            host = part.rsplit(":", 1)[0]
            addresses.append(part)
        elif host is not None:
            addresses.append(f"{host}:{part}")
        else:
            raise SystemExit(f"error: {part!r} has no host; write 127.0.0.1:{part}")
    return addresses


def calls(stub, count):
    ok, failed = 0, []
    for _ in range(count):
        try:
            stub.GetUser(user_pb2.GetUserRequest(id=1), timeout=TIMEOUT)
            ok += 1
        except grpc.RpcError as error:
            failed.append(f"{error.code().name}: {error.details()}")
    return ok, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", required=True, help="host:port,host:port,host:port")
    parser.add_argument("--kill-pid", type=int, required=True, help="the instance to kill")
    args = parser.parse_args()

    addresses = addresses_from(args.targets)
    assert len(addresses) >= 2, f"round robin needs several addresses, got {addresses}"
    channel = round_robin_channel(addresses)
    grpc.channel_ready_future(channel).result(timeout=10.0)
    stub = user_pb2_grpc.UserServiceStub(channel)

    ok, failed = calls(stub, CALLS)
    print(f"before the kill: {ok} ok, {len(failed)} failed over {len(addresses)} instances")
    assert ok == CALLS, f"every call should succeed while all instances run: {failed}"

    os.kill(args.kill_pid, signal.SIGKILL)
    print(f"killed pid {args.kill_pid} with SIGKILL")

    ok, failed = calls(stub, CALLS)
    print(f"after the kill: {ok} ok, {len(failed)} failed")
    for failure in failed:
        print(f"  failed: {failure}")
    assert len(failed) <= 1, f"round_robin should stop using a dead instance at once: {failed}"
    channel.close()
    print("lb_checks.py: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
