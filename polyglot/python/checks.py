"""What a Python team would check against the Rust reference server, with stock grpcio.

Run by run.sh after the seed's own client; exits non-zero on the first broken promise.
"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor

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


def list_ids(stub, page, page_size):
    request = user_pb2.ListUsersRequest(page=page, page_size=page_size)
    return [user.id for user in stub.ListUsers(request, timeout=10.0)]


def all_ids(stub):
    ids, page = [], 1
    while True:
        chunk = list_ids(stub, page, 1000)
        ids.extend(chunk)
        if len(chunk) < 1000:
            return ids
        page += 1


def check_streaming(stub, seeded):
    # The seed's streaming client (seed_streaming.py) already created John and Jane, as
    # users seeded + 1 and seeded + 2.
    assert list_ids(stub, 1, 10) == list(range(1, 11)), list_ids(stub, 1, 10)
    assert list_ids(stub, 2, 10) == list(range(11, 21)), list_ids(stub, 2, 10)
    assert list_ids(stub, 0, 0) == list(range(1, 51)), "the default page is users 1..50"
    print("ListUsers: pages 1 and 2 of 10, and the default page of 50")
    details = expect_code(
        lambda: list_ids(stub, 1, -5), grpc.StatusCode.INVALID_ARGUMENT
    )
    print(f"ListUsers(page_size=-5) -> INVALID_ARGUMENT: {details}")

    before = all_ids(stub)
    bad_batch = [
        user_pb2.CreateUserRequest(name="Ok", email="ok@example.com"),
        user_pb2.CreateUserRequest(name="", email="not-an-email"),
    ]
    details = expect_code(
        lambda: stub.CreateUsers(iter(bad_batch), timeout=5.0),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert all_ids(stub) == before, "an invalid batch must store nothing"
    print(f"CreateUsers(invalid batch) -> INVALID_ARGUMENT, nothing stored: {details}")

    def create_fifty(creator):
        requests = (
            user_pb2.CreateUserRequest(name=f"C{creator}-{n}", email=f"c{creator}.{n}@example.com")
            for n in range(50)
        )
        response = stub.CreateUsers(requests, timeout=30.0)
        assert response.count == 50, response.count
        return [user.id for user in response.users]

    with ThreadPoolExecutor(max_workers=20) as pool:
        batches = list(pool.map(create_fifty, range(20)))
    created = [user_id for batch in batches for user_id in batch]
    assert len(created) == 1000 and len(set(created)) == 1000, "ids must be unique"
    after = all_ids(stub)
    assert len(after) == len(before) + 1000 and len(set(after)) == len(after), len(after)
    print("CreateUsers: 20 concurrent creators x 50 users, 1000 unique ids, none lost")

    replies = [
        reply.message
        for reply in stub.Chat(
            iter([user_pb2.ChatMessage(user="Client", message=m) for m in ["a", "b", "c"]]),
            timeout=5.0,
        )
    ]
    assert replies == ["Echo: a", "Echo: b", "Echo: c"], replies
    print("Chat: three messages echoed in order")

    # A deadline that passes while the handler runs: an upload that stalls after one user.
    before = all_ids(stub)

    def stalled_upload():
        yield user_pb2.CreateUserRequest(name="Slow", email="slow@example.com")
        time.sleep(1.5)

    details = expect_code(
        lambda: stub.CreateUsers(stalled_upload(), timeout=0.3),
        grpc.StatusCode.DEADLINE_EXCEEDED,
    )
    assert all_ids(stub) == before, "a call that ran out of time must store nothing"
    print(f"CreateUsers(timeout=0.3, stalled) -> DEADLINE_EXCEEDED, nothing stored: {details}")


def main():
    with grpc.insecure_channel(TARGET) as channel:
        stub = user_pb2_grpc.UserServiceStub(channel)

        user = stub.GetUser(user_pb2.GetUserRequest(id=10), timeout=5.0)
        assert (user.id, user.name, user.email) == (10, "User 10", "user10@example.com"), user
        print(f"GetUser(10) -> {user.name} <{user.email}>")
        seeded = 100

        details = expect_code(
            lambda: stub.GetUser(user_pb2.GetUserRequest(id=0), timeout=5.0),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        print(f"GetUser(0) -> INVALID_ARGUMENT: {details}")
        details = expect_code(
            lambda: stub.GetUser(user_pb2.GetUserRequest(id=seeded + 1000), timeout=5.0),
            grpc.StatusCode.NOT_FOUND,
        )
        print(f"GetUser({seeded + 1000}) -> NOT_FOUND: {details}")

        check_streaming(stub, seeded)

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
