"""What a Python team would check against the Rust reference server, with stock grpcio.

Run by run.sh after the seed's own client; exits non-zero on the first broken promise.
"""
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

import user_pb2
import user_pb2_grpc

TARGET = sys.argv[1] if len(sys.argv) > 1 else "localhost:50051"


def expect_code(call, code):
    try:
        call()
    except grpc.RpcError as error:
        assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()}"
        return error.details()
    raise AssertionError(f"expected {code}, but the call succeeded")


def main():
    with grpc.insecure_channel(TARGET) as channel:
        stub = user_pb2_grpc.UserServiceStub(channel)

        user = stub.GetUser(user_pb2.GetUserRequest(id=10), timeout=5.0)
        assert (user.id, user.name, user.email) == (10, "User 10", "user10@example.com"), user
        print(f"GetUser(10) -> {user.name} <{user.email}>")

        details = expect_code(
            lambda: stub.GetUser(user_pb2.GetUserRequest(id=0), timeout=5.0),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        print(f"GetUser(0) -> INVALID_ARGUMENT: {details}")
        details = expect_code(
            lambda: stub.GetUser(user_pb2.GetUserRequest(id=11), timeout=5.0),
            grpc.StatusCode.NOT_FOUND,
        )
        print(f"GetUser(11) -> NOT_FOUND: {details}")

        health = health_pb2_grpc.HealthStub(channel)
        for service in ["", "user.UserService"]:
            response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5.0)
            assert response.status == health_pb2.HealthCheckResponse.SERVING, (service, response)
            print(f"grpc.health.v1 Check({service!r}) -> SERVING")

        services = ProtoReflectionDescriptorDatabase(channel).get_services()
        assert "user.UserService" in services, services
        print(f"reflection lists: {', '.join(sorted(services))}")

    print("python checks: all passed")


if __name__ == "__main__":
    main()
