"""The seed's Python client over TLS, mutual TLS and bearer tokens, against the Rust server.

Run against `user-service` started with TLS flags (and at least one seed user):

    user-service --addr 127.0.0.1:50443 --seed-users 10 \\
        --tls-cert server.pem --tls-key server.key \\
        [--client-ca ca.pem] [--auth-token TOKEN [--read-only-token TOKEN]]

    python tls_checks.py --target localhost:50443 --ca ca.pem --other-ca foreign-ca.pem \\
        [--cert client.pem --key client.key] \\
        [--client-ca --foreign-cert foreign-client.pem --foreign-key foreign-client.key] \\
        [--token TOKEN [--read-only-token TOKEN]]

`cargo run -p solution08-security --bin test-pki -- DIR` writes every file named here into
DIR: a throwaway CA, a server certificate for localhost, a client key pair, and a foreign CA
with a client key pair of its own. Exits non-zero on the first broken promise.
"""
import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

import user_pb2
import user_pb2_grpc

TIMEOUT = 5.0


def read(path):
    with open(path, "rb") as file:
        return file.read()


# ANCHOR: tls_channel
def tls_channel(target, ca_path):
    # The seed's `grpc.ssl_channel_credentials()` trusts the public CAs bundled with grpcio;
    # a service with its own CA names it as the only root to trust.
    credentials = grpc.ssl_channel_credentials(root_certificates=read(ca_path))
    return grpc.secure_channel(target, credentials)
# ANCHOR_END: tls_channel


# ANCHOR: mtls_channel
def mtls_channel(target, ca_path, cert_path, key_path):
    # Mutual TLS: the client also presents its certificate and proves it holds the key.
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(ca_path),
        private_key=read(key_path),
        certificate_chain=read(cert_path),
    )
    return grpc.secure_channel(target, credentials)
# ANCHOR_END: mtls_channel


# ANCHOR: token_channel
def token_channel(target, ca_path, token, cert_path=None, key_path=None):
    # Call credentials add `authorization: Bearer <token>` to every call on the channel.
    # grpcio attaches them only to secure channels: a token never travels in plaintext.
    channel_credentials = grpc.ssl_channel_credentials(
        root_certificates=read(ca_path),
        private_key=read(key_path) if key_path else None,
        certificate_chain=read(cert_path) if cert_path else None,
    )
    credentials = grpc.composite_channel_credentials(
        channel_credentials, grpc.access_token_call_credentials(token)
    )
    return grpc.secure_channel(target, credentials)
# ANCHOR_END: token_channel


def expect_code(what, call, *codes):
    try:
        call()
    except grpc.RpcError as error:
        assert error.code() in codes, (
            f"{what}: expected {' or '.join(map(str, codes))}, "
            f"got {error.code()}: {error.details()}"
        )
        print(f"{what} -> {error.code().name}: {error.details()}")
        return error
    raise AssertionError(f"{what}: expected {codes}, but the call succeeded")


def get_user_name(channel, metadata=None):
    stub = user_pb2_grpc.UserServiceStub(channel)
    return stub.GetUser(user_pb2.GetUserRequest(id=1), timeout=TIMEOUT, metadata=metadata).name


def every_method(channel, metadata=None):
    """Calls each UserService method once; returns nothing, raises grpc.RpcError."""
    stub = user_pb2_grpc.UserServiceStub(channel)
    yield "GetUser", lambda: stub.GetUser(
        user_pb2.GetUserRequest(id=1), timeout=TIMEOUT, metadata=metadata
    )
    yield "ListUsers", lambda: list(
        stub.ListUsers(
            user_pb2.ListUsersRequest(page=1, page_size=5), timeout=TIMEOUT, metadata=metadata
        )
    )
    # An empty batch: passes every check a real batch must pass, and stores nothing.
    yield "CreateUsers", lambda: stub.CreateUsers(iter([]), timeout=TIMEOUT, metadata=metadata)
    yield "Chat", lambda: list(
        stub.Chat(
            iter([user_pb2.ChatMessage(user="Client", message="hi")]),
            timeout=TIMEOUT,
            metadata=metadata,
        )
    )


def check_health(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ["", "user.UserService"]:
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        assert response.status == health_pb2.HealthCheckResponse.SERVING, (service, response)
        print(f"grpc.health.v1 Check({service!r}) without a token -> SERVING")


# What a refused handshake looks like to grpcio: the channel never becomes ready.
REFUSED = (grpc.StatusCode.UNAVAILABLE,)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="localhost:50443")
    parser.add_argument("--ca", required=True, help="the CA that signed the server certificate")
    parser.add_argument("--other-ca", required=True, help="a CA that did not")
    parser.add_argument("--cert", help="the client certificate (mutual TLS)")
    parser.add_argument("--key", help="the client private key (mutual TLS)")
    parser.add_argument(
        "--client-ca", action="store_true", help="the server was started with --client-ca"
    )
    parser.add_argument("--foreign-cert", help="a client certificate from another CA")
    parser.add_argument("--foreign-key", help="its private key")
    parser.add_argument("--token", help="the server's --auth-token")
    parser.add_argument("--read-only-token", help="the server's --read-only-token")
    args = parser.parse_args()
    if args.client_ca and not (args.cert and args.key and args.foreign_cert and args.foreign_key):
        parser.error("--client-ca needs --cert, --key, --foreign-cert and --foreign-key")
    target = args.target
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else None

    def good_channel():
        if args.cert and args.key:
            return mtls_channel(target, args.ca, args.cert, args.key)
        return tls_channel(target, args.ca)

    with good_channel() as channel:
        name = get_user_name(channel, metadata)
        assert name == "User 1", name
        print(f"GetUser(1) over TLS{' with a client certificate' if args.cert else ''} -> {name}")

    with grpc.insecure_channel(target) as channel:
        expect_code(
            "a plaintext client", lambda: get_user_name(channel, metadata), *REFUSED
        )

    with tls_channel(target, args.other_ca) as channel:
        expect_code(
            "a client trusting another CA", lambda: get_user_name(channel, metadata), *REFUSED
        )

    if args.client_ca:
        with tls_channel(target, args.ca) as channel:
            expect_code(
                "mutual TLS, a client without a certificate",
                lambda: get_user_name(channel, metadata),
                *REFUSED,
            )
        with mtls_channel(target, args.ca, args.foreign_cert, args.foreign_key) as channel:
            expect_code(
                "mutual TLS, a client certificate from a foreign CA",
                lambda: get_user_name(channel, metadata),
                *REFUSED,
            )

    if args.token:
        with good_channel() as channel:
            for method, call in every_method(channel):
                expect_code(f"{method} without a token", call, grpc.StatusCode.UNAUTHENTICATED)
            for method, call in every_method(channel, [("authorization", "Bearer wrong")]):
                expect_code(f"{method} with a wrong token", call, grpc.StatusCode.UNAUTHENTICATED)
            for method, call in every_method(channel, [("authorization", args.token)]):
                expect_code(
                    f"{method} with a bare token (no 'Bearer ')",
                    call,
                    grpc.StatusCode.UNAUTHENTICATED,
                )
            check_health(channel)

        # ANCHOR: token_metadata
        # The seed's server reads `authorization` from the call's metadata; a client can
        # also send it by hand on each call.
        with good_channel() as channel:
            stub = user_pb2_grpc.UserServiceStub(channel)
            response = stub.GetUser(
                user_pb2.GetUserRequest(id=1),
                metadata=[("authorization", f"Bearer {args.token}")],
                timeout=TIMEOUT,
            )
        # ANCHOR_END: token_metadata
        assert response.name == "User 1", response
        print("GetUser with the token in per-call metadata -> User 1")

        with token_channel(target, args.ca, args.token, args.cert, args.key) as channel:
            for method, call in every_method(channel):
                call()
                print(f"{method} with access_token_call_credentials -> OK")

        if args.read_only_token:
            with token_channel(target, args.ca, args.read_only_token, args.cert, args.key) as channel:
                for method, call in every_method(channel):
                    if method in ("GetUser", "ListUsers"):
                        call()
                        print(f"{method} with the read-only token -> OK")
                    else:
                        expect_code(
                            f"{method} with the read-only token",
                            call,
                            grpc.StatusCode.PERMISSION_DENIED,
                        )

    print("python TLS checks: all passed")


if __name__ == "__main__":
    sys.exit(main())
