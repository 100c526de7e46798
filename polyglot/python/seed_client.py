# The seed's Python client, unchanged: it calls the Rust reference server.
# Run by polyglot/python/run.sh (and so by CI) with stubs generated from proto/user.proto.
# ANCHOR: seed_client
import grpc
import user_pb2
import user_pb2_grpc

def run():
    with grpc.insecure_channel('localhost:50051') as channel:
        stub = user_pb2_grpc.UserServiceStub(channel)
        response = stub.GetUser(user_pb2.GetUserRequest(id=1))
        print(f"User: {response.name}")

if __name__ == '__main__':
    run()
# ANCHOR_END: seed_client
