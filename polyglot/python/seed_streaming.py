# The seed's streaming client calls, unchanged, against the Rust reference server.
# Run by polyglot/python/run.sh (and so by CI) with stubs generated from proto/user.proto.
import grpc
import user_pb2_grpc
from user_pb2 import ChatMessage, CreateUserRequest, ListUsersRequest

with grpc.insecure_channel('localhost:50051') as channel:
    stub = user_pb2_grpc.UserServiceStub(channel)

    # ANCHOR: list_users
    responses = stub.ListUsers(ListUsersRequest(page=1, page_size=10))
    for user in responses:
        print(user.name)
    # ANCHOR_END: list_users

    # ANCHOR: create_users
    def generate_requests():
        for name, email in [("John", "john@example.com"), ("Jane", "jane@example.com")]:
            yield CreateUserRequest(name=name, email=email)

    response = stub.CreateUsers(generate_requests())
    print(response.count)
    # ANCHOR_END: create_users

    # ANCHOR: chat
    def generate_messages():
        for msg in ["Hello", "How are you?", "Goodbye"]:
            yield ChatMessage(user="Client", message=msg)

    responses = stub.Chat(generate_messages())
    for response in responses:
        print(response.message)
    # ANCHOR_END: chat
