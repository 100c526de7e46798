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

/// How a hand-driven HTTP/2 server answers the first call on its one connection.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// RST_STREAM with this error code, before any response.
    Reset(h2::Reason),
    /// A Trailers-Only response with `grpc-status` 5 and this raw `grpc-message`.
    Message(&'static str),
    /// A Trailers-Only response with `grpc-status` 3 and this raw `grpc-status-details-bin`.
    Details(&'static str),
    /// Drop the whole connection once the call has arrived.
    DropConnection,
}

/// A server that speaks HTTP/2 with the `h2` crate directly, so it can send what no tonic
/// server would, and answers one `GetUser` call with `answer`. Returns the client's result.
async fn call_a_raw_server(answer: Answer) -> Result<(), tonic::Status> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback binds");
    let addr = listener.local_addr().expect("bound");
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("the client connects");
        let mut connection = h2::server::handshake(socket)
            .await
            .expect("HTTP/2 handshake");
        let Some(Ok((_request, mut respond))) = connection.accept().await else {
            return;
        };
        let mut headers = http::Response::new(());
        headers.headers_mut().insert(
            "content-type",
            http::HeaderValue::from_static("application/grpc"),
        );
        match answer {
            Answer::Reset(reason) => respond.send_reset(reason),
            Answer::Message(message) => {
                headers
                    .headers_mut()
                    .insert("grpc-status", http::HeaderValue::from_static("5"));
                headers
                    .headers_mut()
                    .insert("grpc-message", http::HeaderValue::from_static(message));
                let _ = respond.send_response(headers, true);
            }
            Answer::Details(details) => {
                headers
                    .headers_mut()
                    .insert("grpc-status", http::HeaderValue::from_static("3"));
                headers.headers_mut().insert(
                    "grpc-status-details-bin",
                    http::HeaderValue::from_static(details),
                );
                let _ = respond.send_response(headers, true);
            }
            Answer::DropConnection => return,
        }
        // Keep the connection alive until the client has read the answer and gone.
        while let Some(Ok(_)) = connection.accept().await {}
    });
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("valid URI")
        .connect()
        .await
        .expect("connects");
    let mut client = UserServiceClient::new(channel);
    client
        .get_user(workbook_proto::user::GetUserRequest { id: 1 })
        .await
        .map(|_| ())
}

#[tokio::test]
async fn rst_stream_error_codes_map_to_the_specifications_status_codes() {
    for (reason, code) in [
        (h2::Reason::REFUSED_STREAM, Code::Unavailable),
        (h2::Reason::CANCEL, Code::Cancelled),
        (h2::Reason::ENHANCE_YOUR_CALM, Code::ResourceExhausted),
        (h2::Reason::INADEQUATE_SECURITY, Code::PermissionDenied),
        (h2::Reason::INTERNAL_ERROR, Code::Internal),
        (h2::Reason::NO_ERROR, Code::Internal),
    ] {
        let result = call_a_raw_server(Answer::Reset(reason)).await;
        let status = result.expect_err("a reset call fails");
        assert_eq!(status.code(), code, "RST_STREAM {reason:?}: {status:?}");
    }
}

#[tokio::test]
async fn a_connection_that_breaks_under_a_call_is_unknown_not_unavailable() {
    let status = call_a_raw_server(Answer::DropConnection)
        .await
        .expect_err("the call cannot succeed");
    assert_eq!(status.code(), Code::Unknown, "{status:?}");
}

#[tokio::test]
async fn a_grpc_message_that_is_not_utf8_turns_the_whole_status_into_unknown() {
    // `caf%E9` percent-decodes to the bytes "caf" 0xE9: Latin-1, not UTF-8.
    let status = call_a_raw_server(Answer::Message("caf%E9"))
        .await
        .expect_err("grpc-status 5 is an error");
    assert_eq!(status.code(), Code::Unknown, "{status:?}");
    let plain = call_a_raw_server(Answer::Message("no%20such%20user"))
        .await
        .expect_err("grpc-status 5 is an error");
    assert_eq!(
        (plain.code(), plain.message()),
        (Code::NotFound, "no such user")
    );
}

#[tokio::test]
async fn details_that_are_not_base64_panic_the_task_that_reads_the_status() {
    // A bug in tonic 0.14.9 (an `expect` in `Status::from_header_map`): a malformed
    // `grpc-status-details-bin` from a server panics the client's task instead of failing
    // the call. Run in a task so the panic is observed, not propagated.
    let outcome = tokio::spawn(call_a_raw_server(Answer::Details("***"))).await;
    assert!(
        outcome
            .as_ref()
            .is_err_and(tokio::task::JoinError::is_panic),
        "tonic no longer panics here ({outcome:?}): update chapter 11"
    );
}
