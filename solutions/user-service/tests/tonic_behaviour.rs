//! What tonic 0.14 does on its own, where it differs from the gRPC specification or from
//! grpc-go and grpc-java. The book states these facts; these tests keep them true (and will
//! say so if a tonic upgrade changes them).

use std::{sync::Arc, time::Duration};

use test_support::{TestServer, expect_code, oversized_get_user_request, raw_unary_call};
use tokio::sync::Semaphore;
use tonic::{Code, Request, service::Routes};
use workbook_proto::user::{
    ListUsersRequest, User, user_service_client::UserServiceClient,
    user_service_server::UserServiceServer,
};

#[tokio::test]
async fn an_oversized_request_is_out_of_range_not_resource_exhausted() {
    // A bare tonic server: the reference server's `limits` layer is what turns this into the
    // specification's RESOURCE_EXHAUSTED.
    let store = Arc::new(lab03::InMemoryUserStore::with_seed_users(1));
    let server = TestServer::start(Routes::new(UserServiceServer::new(
        lab03::UserServiceImpl::new(store),
    )))
    .await;
    let status = expect_code(
        raw_unary_call(
            server.channel(),
            "/user.UserService/GetUser",
            oversized_get_user_request(),
        )
        .await,
        Code::OutOfRange,
    );
    assert!(
        status
            .message()
            .starts_with("Error, decoded message length too large")
    );
}

/// A source that answers its first fetch and then never again.
struct StallsAfterFirstChunk {
    gate: Semaphore,
}

impl lab04::UserPages for StallsAfterFirstChunk {
    async fn fetch(&self, offset: usize, limit: usize) -> Vec<User> {
        self.gate
            .acquire()
            .await
            .expect("the gate is never closed")
            .forget();
        (offset..offset + limit)
            .map(|position| lab03::seed_user(position as i32 + 1))
            .collect()
    }
}

#[tokio::test(start_paused = true)]
async fn a_client_timeout_does_not_cover_the_messages_of_a_server_stream() {
    // Time is paused: it jumps ahead whenever every task is waiting, so the 200 ms and 5 s
    // below pass instantly and always in the same order.
    let source = Arc::new(StallsAfterFirstChunk {
        gate: Semaphore::new(1),
    });
    let channel = test_support::serve_in_memory(Routes::new(UserServiceServer::new(
        lab04::ListUsersService::new(source),
    )))
    .await;
    let mut client = UserServiceClient::new(channel);

    let mut request = Request::new(ListUsersRequest {
        page: 1,
        page_size: 1000,
    });
    request.set_timeout(Duration::from_millis(200));
    let mut stream = client
        .list_users(request)
        .await
        .expect("the response headers arrive well within 200 ms")
        .into_inner();
    for _ in 0..lab04::FETCH_CHUNK {
        stream
            .message()
            .await
            .expect("the first chunk streams")
            .expect("a user");
    }

    // The source now stalls. grpc-go or grpc-java would end the call with DEADLINE_EXCEEDED
    // after 200 ms; tonic's timeout covered only the wait for the response headers, so the
    // stream just waits. A client that wants a deadline on the whole stream has to impose it
    // itself (user-client's `list` does).
    let next = tokio::time::timeout(Duration::from_secs(5), stream.message()).await;
    assert!(
        next.is_err(),
        "expected the stream to still be waiting 5 s after its 200 ms deadline, got {next:?}"
    );
}
