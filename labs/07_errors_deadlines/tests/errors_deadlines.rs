//! Lab 7's tests, in the order of the TODOs: status codes, the `grpc-timeout` header, the
//! deadline layer (its body, then the service), deadline propagation, backoff and retries.
//!
//! The same file tests your code (`cargo test -p lab07-errors-deadlines`) and the reference
//! solution (`cargo test -p solution07-errors-deadlines`).
//!
//! Nearly every test runs with tokio's clock paused (`start_paused = true`): time stands still
//! while any task can run, and jumps straight to the next timer when all of them wait. A 10 s
//! deadline passes in microseconds, always in the same order, so the tests can assert exact
//! times ("the attempt started at 300 ms") without ever sleeping for real. Servers run on
//! in-memory pipes, never on real sockets, so no real I/O can race the paused clock.

use std::{
    io,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http::HeaderMap;
use http_body::Frame;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use lab03::seed_user;
use lab07::{
    Attempt, CallDeadline, DEFAULT_DOWNSTREAM_DEADLINE, DeadlineBody, DeadlineLayer, Idempotency,
    PROPAGATION_MARGIN, RetryPolicy, UserGateway, call_timeout, call_with_retries,
    create_users_with_retries, get_user_with_retries, is_local_timeout, is_retryable,
    list_users_with_retries, local_timeout_as_deadline_exceeded, never_reached_the_server,
    parse_grpc_timeout, remaining_budget,
    testing::{Behaviour, CallRecord, Ended, FaultyUserService, LISTED_USERS, RawGrpcClient},
};
use prost::Message;
use test_support::{describe_result, expect_code, serve_in_memory};
use tokio::{sync::mpsc, time::Instant};
use tonic::{
    Code, Request, Response, Status, Streaming,
    service::Routes,
    transport::{Channel, Endpoint, Server, Uri},
};
use tower::Layer;
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient,
    user_service_server::{UserService, UserServiceServer},
};

const GET_USER: &str = "/user.UserService/GetUser";

/// `service` behind the lab's deadline layer, for one service: how `Routes` takes it.
fn with_deadlines<S>(service: S) -> Routes
where
    S: UserService,
{
    Routes::new(DeadlineLayer::new().layer(UserServiceServer::new(service)))
}

/// A raw HTTP/2 client of a tonic server serving `routes` in memory, with the deadline layer
/// on the whole server (`Server::builder().layer(...)`, as the reference server uses it) or
/// without it (tonic alone).
async fn raw_client(routes: Routes, deadline_layer: bool) -> RawGrpcClient {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let incoming = tokio_stream::once(Ok::<_, io::Error>(server_io));
    if deadline_layer {
        tokio::spawn(
            Server::builder()
                .layer(DeadlineLayer::new())
                .add_routes(routes)
                .serve_with_incoming(incoming),
        );
    } else {
        tokio::spawn(
            Server::builder()
                .add_routes(routes)
                .serve_with_incoming(incoming),
        );
    }
    RawGrpcClient::handshake(client_io).await
}

/// A channel made from `endpoint` (with whatever settings a test gives it) to `routes`,
/// served in memory.
async fn channel_from(endpoint: Endpoint, routes: Routes) -> Channel {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(
        Server::builder()
            .add_routes(routes)
            .serve_with_incoming(tokio_stream::once(Ok::<_, io::Error>(server_io))),
    );
    let mut client_io = Some(client_io);
    endpoint
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let io = client_io.take();
            async move {
                io.map(TokioIo::new)
                    .ok_or_else(|| io::Error::other("an in-memory channel connects only once"))
            }
        }))
        .await
        .expect("connecting to an in-memory server cannot fail")
}

/// A channel whose first `refusals` connection attempts are refused, as by a server that is
/// not listening yet; after that it connects to `routes`, served in memory.
fn channel_refusing_first(refusals: usize, routes: Routes) -> Channel {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(
        Server::builder()
            .add_routes(routes)
            .serve_with_incoming(tokio_stream::once(Ok::<_, io::Error>(server_io))),
    );
    let mut refusals_left = refusals;
    let mut client_io = Some(client_io);
    Endpoint::from_static("http://flaky.test").connect_with_connector_lazy(tower::service_fn(
        move |_: Uri| {
            let connection = if refusals_left > 0 {
                refusals_left -= 1;
                Err(io::Error::from(io::ErrorKind::ConnectionRefused))
            } else {
                client_io
                    .take()
                    .map(TokioIo::new)
                    .ok_or_else(|| io::Error::other("an in-memory channel connects only once"))
            };
            async move { connection }
        },
    ))
}

/// A `GetUserRequest` for `id`, encoded as it travels.
fn get_user_message(id: i32) -> Vec<u8> {
    GetUserRequest { id }.encode_to_vec()
}

/// A `GetUser(id)` request with a deadline `timeout` from now.
fn get_user_within(id: i32, timeout: Duration) -> Request<GetUserRequest> {
    let mut request = Request::new(GetUserRequest { id });
    request.set_timeout(timeout);
    request
}

/// The one call `service` has seen.
#[track_caller]
fn only_call(service: &FaultyUserService) -> CallRecord {
    let calls = service.calls();
    assert_eq!(calls.len(), 1, "expected exactly one call, got {calls:#?}");
    calls.into_iter().next().expect("one call")
}

/// A policy without jitter, so every wait is known in advance: 100, 200, 400, 800, 1000 ms...
fn exact_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        multiplier: 2.0,
        jitter: 0.0,
    }
}

/// `future`'s output, or a failed test if it is still running after a minute of tokio's
/// (paused) clock: this is what code that ignores a deadline looks like here.
async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(60), future).await {
        Ok(output) => output,
        Err(_) => panic!("{what} was still waiting after 60 s: some deadline was not enforced"),
    }
}

fn millis(duration: Duration) -> u128 {
    duration.as_millis()
}

mod step_1_status_codes {
    use super::*;

    // ANCHOR: only_unavailable_is_retried_as_is
    #[test]
    fn only_unavailable_is_retried_as_is() {
        let verdicts = [
            (Code::Ok, false, "OK is not a failure"),
            (
                Code::Cancelled,
                false,
                "CANCELLED: someone gave up on the call",
            ),
            (
                Code::Unknown,
                false,
                "UNKNOWN: an unclassified server error, likely a bug",
            ),
            (
                Code::InvalidArgument,
                false,
                "INVALID_ARGUMENT: the same request fails the same way",
            ),
            (
                Code::DeadlineExceeded,
                false,
                "DEADLINE_EXCEEDED: the time is up; the caller decides",
            ),
            (
                Code::NotFound,
                false,
                "NOT_FOUND: asking again finds nothing new",
            ),
            (
                Code::AlreadyExists,
                false,
                "ALREADY_EXISTS: describes the request",
            ),
            (
                Code::PermissionDenied,
                false,
                "PERMISSION_DENIED: the caller, not the moment",
            ),
            (
                Code::ResourceExhausted,
                false,
                "RESOURCE_EXHAUSTED: a quota or limit; retrying at once makes it worse",
            ),
            (
                Code::FailedPrecondition,
                false,
                "FAILED_PRECONDITION: don't retry until the state is fixed",
            ),
            (
                Code::Aborted,
                false,
                "ABORTED: retry at a higher level (the whole read-modify-write), not this call",
            ),
            (
                Code::OutOfRange,
                false,
                "OUT_OF_RANGE: describes the request",
            ),
            (
                Code::Unimplemented,
                false,
                "UNIMPLEMENTED: the method will not appear by itself",
            ),
            (
                Code::Internal,
                false,
                "INTERNAL: a broken invariant; it may even have been processed",
            ),
            (
                Code::Unavailable,
                true,
                "UNAVAILABLE: transient, the one code to retry as is",
            ),
            (Code::DataLoss, false, "DATA_LOSS: unrecoverable"),
            (
                Code::Unauthenticated,
                false,
                "UNAUTHENTICATED: fix the credentials first",
            ),
        ];
        for (code, expected, why) in verdicts {
            assert_eq!(
                is_retryable(code),
                expected,
                "is_retryable({code:?}) should be {expected}: {why}"
            );
        }
    }
    // ANCHOR_END: only_unavailable_is_retried_as_is

    // ANCHOR: tonics_own_expired_timeout_is_cancelled_and_maps_to_deadline_exceeded
    #[tokio::test(start_paused = true)]
    async fn tonics_own_expired_timeout_is_cancelled_and_maps_to_deadline_exceeded() {
        let service = FaultyUserService::always(Behaviour::Hang);
        let mut client = UserServiceClient::new(serve_in_memory(service.routes()).await);

        let result = client
            .get_user(get_user_within(1, Duration::from_millis(100)))
            .await;

        // What tonic 0.14.9 does: the specification says DEADLINE_EXCEEDED.
        let status = expect_code(result, Code::Cancelled);
        assert_eq!(status.message(), "Timeout expired");
        assert!(
            is_local_timeout(&status),
            "this CANCELLED is tonic's own timer running out: look for a tonic::TimeoutExpired \
             in the status's source chain (std::error::Error::source)"
        );
        let mapped = local_timeout_as_deadline_exceeded(status);
        assert_eq!(mapped.code(), Code::DeadlineExceeded, "got {mapped:?}");
    }
    // ANCHOR_END: tonics_own_expired_timeout_is_cancelled_and_maps_to_deadline_exceeded

    // ANCHOR: a_status_that_merely_says_timeout_expired_is_not_a_local_timeout
    #[test]
    fn a_status_that_merely_says_timeout_expired_is_not_a_local_timeout() {
        // A server may send exactly these words; only the error type behind a status tells
        // tonic's own timer apart from what a server said.
        let from_a_server = Status::cancelled("Timeout expired");
        assert!(
            !is_local_timeout(&from_a_server),
            "a status without a TimeoutExpired source came from a server: don't match messages"
        );
        let kept = local_timeout_as_deadline_exceeded(from_a_server);
        assert_eq!(kept.code(), Code::Cancelled);
        assert!(!is_local_timeout(&Status::deadline_exceeded(
            "the server's deadline"
        )));
    }
    // ANCHOR_END: a_status_that_merely_says_timeout_expired_is_not_a_local_timeout

    // ANCHOR: a_refused_connection_never_reached_the_server
    #[tokio::test]
    async fn a_refused_connection_never_reached_the_server() {
        let service = FaultyUserService::new([]);
        let channel = channel_refusing_first(1, service.routes());

        let result = UserServiceClient::new(channel)
            .get_user(GetUserRequest { id: 1 })
            .await;

        let status = expect_code(result, Code::Unavailable);
        assert!(
            never_reached_the_server(&status),
            "tonic could not connect, so no request left: look for a tonic::ConnectError in \
             the source chain of {status:?}"
        );
        assert_eq!(service.attempts(), 0);
    }
    // ANCHOR_END: a_refused_connection_never_reached_the_server

    // ANCHOR: unavailable_from_a_server_and_a_timeout_may_have_reached_it
    #[tokio::test(start_paused = true)]
    async fn unavailable_from_a_server_and_a_timeout_may_have_reached_it() {
        let service =
            FaultyUserService::failing_first(1, Code::Unavailable).otherwise(Behaviour::Hang);
        let mut client = UserServiceClient::new(serve_in_memory(service.routes()).await);

        let answered = expect_code(
            client.get_user(GetUserRequest { id: 1 }).await,
            Code::Unavailable,
        );
        assert!(
            !never_reached_the_server(&answered),
            "the server itself answered UNAVAILABLE, so the request reached it"
        );
        let timed_out = expect_code(
            client
                .get_user(get_user_within(1, Duration::from_millis(100)))
                .await,
            Code::Cancelled,
        );
        assert!(
            !never_reached_the_server(&timed_out),
            "a call that timed out was sent, and may have been processed"
        );
        assert_eq!(service.attempts(), 2);
    }
    // ANCHOR_END: unavailable_from_a_server_and_a_timeout_may_have_reached_it
}

mod step_2_grpc_timeout {
    use super::*;

    /// Every value the tests feed `parse_grpc_timeout`, with what it should make of it.
    const VALUES: [(&str, Option<Duration>); 24] = [
        ("1H", Some(Duration::from_secs(3600))),
        ("2M", Some(Duration::from_secs(120))),
        ("3S", Some(Duration::from_secs(3))),
        ("250m", Some(Duration::from_millis(250))),
        ("5000000u", Some(Duration::from_secs(5))),
        ("1500000u", Some(Duration::from_millis(1500))),
        ("82n", Some(Duration::from_nanos(82))),
        ("99999999S", Some(Duration::from_secs(99_999_999))),
        ("99999999H", Some(Duration::from_secs(99_999_999 * 3600))),
        ("00000010m", Some(Duration::from_millis(10))),
        ("0n", Some(Duration::ZERO)),
        ("", None),
        ("S", None),
        ("5", None),
        ("5s", None),
        ("5x", None),
        ("123456789n", None),
        ("+5S", None),
        ("-5S", None),
        (" 5S", None),
        ("5.0S", None),
        ("1e3m", None),
        ("５S", None),
        ("5秒", None),
    ];

    // ANCHOR: parses_every_unit_and_tonics_own_values
    #[test]
    fn parses_every_unit_and_tonics_own_values() {
        for (value, expected) in VALUES.iter().filter(|(_, parsed)| parsed.is_some()) {
            assert_eq!(
                parse_grpc_timeout(value),
                *expected,
                "grpc-timeout {value:?}: digits, then H, M, S, m (milli), u (micro) or n (nano)"
            );
        }
    }
    // ANCHOR_END: parses_every_unit_and_tonics_own_values

    // ANCHOR: rejects_everything_outside_the_grammar_without_panicking
    #[test]
    fn rejects_everything_outside_the_grammar_without_panicking() {
        for (value, _) in VALUES.iter().filter(|(_, parsed)| parsed.is_none()) {
            assert_eq!(
                parse_grpc_timeout(value),
                None,
                "grpc-timeout {value:?} breaks the grammar (1 to 8 ASCII digits, one unit \
                 letter): note that str::parse::<u64> accepts a leading '+', and slicing a \
                 str in the middle of a character panics"
            );
        }
    }
    // ANCHOR_END: rejects_everything_outside_the_grammar_without_panicking

    // ANCHOR: a_missing_header_is_no_deadline_and_a_malformed_one_is_internal
    #[test]
    fn a_missing_header_is_no_deadline_and_a_malformed_one_is_internal() {
        let mut headers = HeaderMap::new();
        assert_eq!(call_timeout(&headers).expect("no header is fine"), None);

        headers.insert(
            "grpc-timeout",
            "250m".parse().expect("a valid header value"),
        );
        assert_eq!(
            call_timeout(&headers).expect("a valid header"),
            Some(Duration::from_millis(250))
        );

        headers.insert(
            "grpc-timeout",
            "soon".parse().expect("a valid header value"),
        );
        let status = call_timeout(&headers).expect_err("\"soon\" is not a timeout");
        assert_eq!(status.code(), Code::Internal, "got {status:?}");
    }
    // ANCHOR_END: a_missing_header_is_no_deadline_and_a_malformed_one_is_internal

    #[test]
    fn answers_snapshot() {
        let table: String = VALUES
            .iter()
            .map(|(value, _)| format!("{value:?} -> {:?}\n", parse_grpc_timeout(value)))
            .collect();
        test_support::snapshot_settings()
            .bind(|| insta::assert_snapshot!("grpc_timeout_values", table));
    }
}

/// A response body for the step 3 tests: it yields whatever frames the test sends, waits when
/// there are none, and reports when it is dropped.
struct ScriptedBody {
    frames: mpsc::UnboundedReceiver<Frame<Bytes>>,
    dropped: Arc<AtomicBool>,
}

impl http_body::Body for ScriptedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Status>>> {
        self.frames.poll_recv(cx).map(|frame| frame.map(Ok))
    }
}

impl Drop for ScriptedBody {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

/// A scripted body, the sender of its frames, and the flag it sets when dropped.
fn scripted_body() -> (
    ScriptedBody,
    mpsc::UnboundedSender<Frame<Bytes>>,
    Arc<AtomicBool>,
) {
    let (sender, frames) = mpsc::unbounded_channel();
    let dropped = Arc::new(AtomicBool::new(false));
    let body = ScriptedBody {
        frames,
        dropped: Arc::clone(&dropped),
    };
    (body, sender, dropped)
}

/// Trailers saying `code`, as tonic writes them.
fn trailers(code: Code) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    Status::new(code, "")
        .add_header(&mut trailers)
        .expect("a status without metadata is a valid header");
    trailers
}

/// The next frame of `body`, described: `data "one"`, `trailers DeadlineExceeded`, `end`.
async fn next_frame(body: &mut DeadlineBody) -> String {
    match bounded("DeadlineBody::poll_frame", body.frame()).await {
        None => "end".to_owned(),
        Some(Err(status)) => format!("error {status:?}"),
        Some(Ok(frame)) => match frame.into_data() {
            Ok(data) => format!("data {:?}", String::from_utf8_lossy(&data)),
            Err(frame) => {
                let trailers = frame.into_trailers().expect("a frame is data or trailers");
                match Status::from_header_map(&trailers) {
                    Some(status) => format!("trailers {:?}", status.code()),
                    None => "trailers without grpc-status".to_owned(),
                }
            }
        },
    }
}

mod step_3_deadline_body {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn frames_before_the_deadline_pass_through_unchanged() {
        let (inner, frames, _) = scripted_body();
        for frame in [
            Frame::data(Bytes::from("one")),
            Frame::data(Bytes::from("two")),
            Frame::trailers(trailers(Code::Ok)),
        ] {
            frames.send(frame).expect("the body is listening");
        }
        drop(frames);
        let start = Instant::now();
        let mut body = DeadlineBody::new(inner, start + Duration::from_secs(1));

        assert_eq!(next_frame(&mut body).await, r#"data "one""#);
        assert_eq!(next_frame(&mut body).await, r#"data "two""#);
        assert_eq!(next_frame(&mut body).await, "trailers Ok");
        assert_eq!(next_frame(&mut body).await, "end");
        assert_eq!(start.elapsed(), Duration::ZERO, "nothing here should wait");
    }

    // ANCHOR: at_the_deadline_the_body_ends_with_deadline_exceeded_and_drops_the_rest
    #[tokio::test(start_paused = true)]
    async fn at_the_deadline_the_body_ends_with_deadline_exceeded_and_drops_the_rest() {
        let (inner, frames, dropped) = scripted_body();
        frames
            .send(Frame::data(Bytes::from("one")))
            .expect("the body is listening");
        let start = Instant::now();
        let mut body = DeadlineBody::new(inner, start + Duration::from_millis(200));

        assert_eq!(next_frame(&mut body).await, r#"data "one""#);
        // The inner body has nothing more and never will: only the deadline can end this.
        assert_eq!(
            next_frame(&mut body).await,
            "trailers DeadlineExceeded",
            "once the deadline passes, end the response with trailers saying DEADLINE_EXCEEDED \
             (Status::add_header writes them)"
        );
        assert_eq!(
            millis(start.elapsed()),
            200,
            "the trailers come at the deadline"
        );
        assert!(
            dropped.load(Ordering::SeqCst),
            "drop the inner body at the deadline: that is what stops the handler's stream"
        );
        assert_eq!(next_frame(&mut body).await, "end");
        assert!(http_body::Body::is_end_stream(&body));
    }
    // ANCHOR_END: at_the_deadline_the_body_ends_with_deadline_exceeded_and_drops_the_rest

    // ANCHOR: a_frame_that_is_ready_after_the_deadline_is_not_sent
    #[tokio::test(start_paused = true)]
    async fn a_frame_that_is_ready_after_the_deadline_is_not_sent() {
        let (inner, frames, dropped) = scripted_body();
        let start = Instant::now();
        let mut body = DeadlineBody::new(inner, start + Duration::from_millis(100));
        tokio::time::sleep(Duration::from_millis(150)).await;
        frames
            .send(Frame::data(Bytes::from("late")))
            .expect("the body is listening");

        assert_eq!(
            next_frame(&mut body).await,
            "trailers DeadlineExceeded",
            "check the deadline before taking the next frame from the inner body"
        );
        assert!(dropped.load(Ordering::SeqCst));
        assert_eq!(next_frame(&mut body).await, "end");
    }
    // ANCHOR_END: a_frame_that_is_ready_after_the_deadline_is_not_sent

    #[tokio::test(start_paused = true)]
    async fn a_body_that_ended_in_time_is_not_cut_off_afterwards() {
        let (inner, frames, _) = scripted_body();
        frames
            .send(Frame::trailers(trailers(Code::NotFound)))
            .expect("the body is listening");
        let mut body = DeadlineBody::new(inner, Instant::now() + Duration::from_millis(100));

        assert_eq!(next_frame(&mut body).await, "trailers NotFound");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            next_frame(&mut body).await,
            "end",
            "a response that has sent its trailers is over: no second set of trailers"
        );
    }
}

mod step_4_deadline_layer {
    use super::*;

    // ANCHOR: an_expired_deadline_is_cancelled_by_tonic_and_deadline_exceeded_by_the_layer
    #[tokio::test(start_paused = true)]
    async fn an_expired_deadline_is_cancelled_by_tonic_and_deadline_exceeded_by_the_layer() {
        // tonic alone: its server does stop the handler, but answers CANCELLED.
        let service = FaultyUserService::always(Behaviour::Hang);
        let mut raw = raw_client(service.routes(), false).await;
        let start = Instant::now();
        let response = raw
            .unary(GET_USER, Some("100m"), &get_user_message(1))
            .await
            .expect("the server answers");
        let status = response.status().expect("a grpc-status");
        assert_eq!(
            (status.code(), status.message()),
            (Code::Cancelled, "Timeout expired"),
            "tonic 0.14.9 on its own (if this fails, tonic's behaviour changed)"
        );
        assert_eq!(
            only_call(&service).ended,
            Some(Ended::Dropped(start + Duration::from_millis(100))),
            "tonic 0.14.9 on its own drops the handler at the deadline"
        );

        // The layer: the specification's DEADLINE_EXCEEDED.
        let service = FaultyUserService::always(Behaviour::Hang);
        let mut raw = raw_client(service.routes(), true).await;
        let start = Instant::now();
        let response = raw
            .unary(GET_USER, Some("100m"), &get_user_message(1))
            .await
            .expect("the server answers");
        let status = response.status().expect("a grpc-status");
        assert_eq!(
            status.code(),
            Code::DeadlineExceeded,
            "with the layer, an expired deadline is DEADLINE_EXCEEDED; got {status:?}"
        );
        assert!(
            response.trailers.is_none() && response.messages.is_empty(),
            "an answer before any message is Trailers-Only: Status::into_http"
        );
        assert_eq!(millis(start.elapsed()), 100);
    }
    // ANCHOR_END: an_expired_deadline_is_cancelled_by_tonic_and_deadline_exceeded_by_the_layer

    // ANCHOR: the_handlers_work_stops_at_the_deadline
    #[tokio::test(start_paused = true)]
    async fn the_handlers_work_stops_at_the_deadline() {
        let service = FaultyUserService::always(Behaviour::Hang);
        let mut raw = raw_client(service.routes(), true).await;
        let start = Instant::now();

        let response = raw
            .unary(GET_USER, Some("250m"), &get_user_message(1))
            .await
            .expect("the server answers");
        assert_eq!(
            response.status().map(|s| s.code()),
            Some(Code::DeadlineExceeded)
        );

        let call = only_call(&service);
        assert_eq!(
            call.ended,
            Some(Ended::Dropped(start + Duration::from_millis(250))),
            "the handler's future should be dropped at the deadline"
        );
        let progress_at_deadline = service.progress();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            service.progress(),
            progress_at_deadline,
            "a dropped handler does no more work"
        );
    }
    // ANCHOR_END: the_handlers_work_stops_at_the_deadline

    // ANCHOR: a_call_that_answers_in_time_is_untouched
    #[tokio::test(start_paused = true)]
    async fn a_call_that_answers_in_time_is_untouched() {
        let service = FaultyUserService::always(Behaviour::AnswerAfter(Duration::from_millis(100)));
        let mut raw = raw_client(service.routes(), true).await;

        let response = raw
            .unary(GET_USER, Some("1S"), &get_user_message(7))
            .await
            .expect("the server answers");

        assert_eq!(response.status().map(|s| s.code()), Some(Code::Ok));
        let users: Vec<User> = response
            .messages
            .iter()
            .map(|message| User::decode(message.as_ref()).expect("a User"))
            .collect();
        assert_eq!(users, [seed_user(7)]);
        assert!(matches!(
            only_call(&service).ended,
            Some(Ended::Finished(_))
        ));
    }
    // ANCHOR_END: a_call_that_answers_in_time_is_untouched

    // ANCHOR: a_call_without_grpc_timeout_has_no_deadline
    #[tokio::test(start_paused = true)]
    async fn a_call_without_grpc_timeout_has_no_deadline() {
        let service = FaultyUserService::always(Behaviour::Hang);
        let mut raw = raw_client(service.routes(), true).await;

        let waited = tokio::time::timeout(
            Duration::from_secs(10),
            raw.unary(GET_USER, None, &get_user_message(1)),
        )
        .await;

        assert!(
            waited.is_err(),
            "without grpc-timeout there is no deadline to enforce: the call should still be \
             running after 10 s, got {waited:?}"
        );
        assert!(service.progress() >= 900, "the handler kept working");
    }
    // ANCHOR_END: a_call_without_grpc_timeout_has_no_deadline

    // ANCHOR: a_deadline_spent_before_arrival_never_starts_the_handler
    #[tokio::test(start_paused = true)]
    async fn a_deadline_spent_before_arrival_never_starts_the_handler() {
        // tonic alone starts the handler anyway, and one that answers at once succeeds.
        let service = FaultyUserService::new([]);
        let mut raw = raw_client(service.routes(), false).await;
        let response = raw
            .unary(GET_USER, Some("0n"), &get_user_message(1))
            .await
            .expect("the server answers");
        assert_eq!(
            (response.status().map(|s| s.code()), service.attempts()),
            (Some(Code::Ok), 1),
            "tonic 0.14.9 on its own runs a handler whose deadline has already passed"
        );

        let service = FaultyUserService::new([]);
        let mut raw = raw_client(service.routes(), true).await;

        let response = raw
            .unary(GET_USER, Some("0n"), &get_user_message(1))
            .await
            .expect("the server answers");

        assert_eq!(
            response.status().map(|s| s.code()),
            Some(Code::DeadlineExceeded)
        );
        assert_eq!(
            service.attempts(),
            0,
            "a call with no time left must not reach the handler"
        );
    }
    // ANCHOR_END: a_deadline_spent_before_arrival_never_starts_the_handler

    // ANCHOR: a_malformed_grpc_timeout_is_ignored_by_tonic_and_refused_by_the_layer
    #[tokio::test(start_paused = true)]
    async fn a_malformed_grpc_timeout_is_ignored_by_tonic_and_refused_by_the_layer() {
        let service = FaultyUserService::new([]);
        let mut raw = raw_client(service.routes(), false).await;
        let response = raw
            .unary(GET_USER, Some("soon"), &get_user_message(1))
            .await
            .expect("the server answers");
        assert_eq!(
            response.status().map(|s| s.code()),
            Some(Code::Ok),
            "tonic 0.14.9 on its own ignores a grpc-timeout it cannot parse"
        );

        let service = FaultyUserService::new([]);
        let mut raw = raw_client(service.routes(), true).await;
        let response = raw
            .unary(GET_USER, Some("soon"), &get_user_message(1))
            .await
            .expect("the server answers");
        let status = response.status().expect("a grpc-status");
        assert_eq!(
            status.code(),
            Code::Internal,
            "refuse a malformed grpc-timeout as grpc-go does (call_timeout gives you the status)"
        );
        assert_eq!(service.attempts(), 0, "the handler must not run");
    }
    // ANCHOR_END: a_malformed_grpc_timeout_is_ignored_by_tonic_and_refused_by_the_layer

    // ANCHOR: a_stream_that_outlives_its_deadline_runs_on_with_tonic_alone_and_ends_with_the_layer
    #[tokio::test(start_paused = true)]
    async fn a_stream_that_outlives_its_deadline_runs_on_with_tonic_alone_and_ends_with_the_layer()
    {
        // tonic alone: the deadline covers only the wait for the response headers.
        let service = FaultyUserService::always(Behaviour::StreamThenHang(1));
        let mut client = UserServiceClient::new(serve_in_memory(service.routes()).await);
        let mut request = Request::new(ListUsersRequest::default());
        request.set_timeout(Duration::from_millis(200));
        let mut stream = client
            .list_users(request)
            .await
            .expect("the stream starts")
            .into_inner();
        assert_eq!(stream.message().await.expect("a user"), Some(seed_user(1)));
        let next = tokio::time::timeout(Duration::from_secs(5), stream.message()).await;
        assert!(
            next.is_err(),
            "tonic 0.14.9 on its own lets the stream run past its deadline; got {next:?}"
        );
        assert_eq!(
            only_call(&service).ended,
            None,
            "its handler is still going"
        );

        // The layer: the stream ends at the deadline, and the handler's stream is dropped.
        let service = FaultyUserService::always(Behaviour::StreamThenHang(1));
        let mut client =
            UserServiceClient::new(serve_in_memory(with_deadlines(service.clone())).await);
        let start = Instant::now();
        let mut request = Request::new(ListUsersRequest::default());
        request.set_timeout(Duration::from_millis(200));
        let mut stream = client
            .list_users(request)
            .await
            .expect("the stream starts")
            .into_inner();
        assert_eq!(stream.message().await.expect("a user"), Some(seed_user(1)));
        let next = bounded(
            "the stream past its deadline (wrap the response body in a DeadlineBody)",
            stream.message(),
        )
        .await;
        let status = expect_code(next, Code::DeadlineExceeded);
        assert_eq!(
            millis(start.elapsed()),
            200,
            "ended at the deadline: {status:?}"
        );
        assert_eq!(
            only_call(&service).ended,
            Some(Ended::Dropped(start + Duration::from_millis(200))),
            "wrap the response body in a DeadlineBody: dropping it drops the handler's stream"
        );
    }
    // ANCHOR_END: a_stream_that_outlives_its_deadline_runs_on_with_tonic_alone_and_ends_with_the_layer

    // ANCHOR: a_stream_that_ends_in_time_keeps_its_messages_and_its_status
    #[tokio::test(start_paused = true)]
    async fn a_stream_that_ends_in_time_keeps_its_messages_and_its_status() {
        let service = FaultyUserService::new([
            Behaviour::Answer,
            Behaviour::StreamThenFail(1, Code::Unavailable),
        ]);
        let mut client =
            UserServiceClient::new(serve_in_memory(with_deadlines(service.clone())).await);

        let mut request = Request::new(ListUsersRequest::default());
        request.set_timeout(Duration::from_secs(1));
        let mut stream = client
            .list_users(request)
            .await
            .expect("starts")
            .into_inner();
        let mut users = Vec::new();
        while let Some(user) = stream.message().await.expect("the whole stream") {
            users.push(user);
        }
        assert_eq!(users.len(), LISTED_USERS);

        let mut request = Request::new(ListUsersRequest::default());
        request.set_timeout(Duration::from_secs(1));
        let mut stream = client
            .list_users(request)
            .await
            .expect("starts")
            .into_inner();
        assert_eq!(stream.message().await.expect("a user"), Some(seed_user(1)));
        expect_code(stream.message().await, Code::Unavailable);
    }
    // ANCHOR_END: a_stream_that_ends_in_time_keeps_its_messages_and_its_status
}

/// A `UserService` whose `GetUser` works for 300 ms and notes its remaining budget on arrival
/// and after the work.
#[derive(Debug, Clone, Default)]
struct BudgetProbe {
    on_arrival: Arc<Mutex<Vec<Option<Duration>>>>,
    after_work: Arc<Mutex<Vec<Option<Duration>>>>,
}

const PROBE_WORK: Duration = Duration::from_millis(300);

impl BudgetProbe {
    fn seen(&self) -> (Vec<Option<Duration>>, Vec<Option<Duration>>) {
        let on_arrival = self.on_arrival.lock().expect("not poisoned").clone();
        let after_work = self.after_work.lock().expect("not poisoned").clone();
        (on_arrival, after_work)
    }
}

#[tonic::async_trait]
impl UserService for BudgetProbe {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let budget = remaining_budget(&request);
        self.on_arrival.lock().expect("not poisoned").push(budget);
        tokio::time::sleep(PROBE_WORK).await;
        let budget = remaining_budget(&request);
        self.after_work.lock().expect("not poisoned").push(budget);
        Ok(Response::new(seed_user(request.get_ref().id)))
    }

    type ListUsersStream = lab03::service::UserStream;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented("the probe has GetUser only"))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("the probe has GetUser only"))
    }

    type ChatStream = lab03::service::ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("the probe has GetUser only"))
    }
}

mod step_5_remaining_budget {
    use super::*;

    // ANCHOR: reads_the_grpc_timeout_header_when_no_layer_ran
    #[test]
    fn reads_the_grpc_timeout_header_when_no_layer_ran() {
        let mut request = Request::new(());
        assert_eq!(remaining_budget(&request), None, "no header, no deadline");
        request.set_timeout(Duration::from_millis(250));
        assert_eq!(remaining_budget(&request), Some(Duration::from_millis(250)));
        request
            .metadata_mut()
            .insert("grpc-timeout", "later".parse().expect("ASCII"));
        assert_eq!(
            remaining_budget(&request),
            None,
            "a malformed header counts as none"
        );
    }
    // ANCHOR_END: reads_the_grpc_timeout_header_when_no_layer_ran

    // ANCHOR: prefers_the_deadline_the_layer_recorded_and_counts_the_time_since
    #[tokio::test(start_paused = true)]
    async fn prefers_the_deadline_the_layer_recorded_and_counts_the_time_since() {
        let mut request = Request::new(());
        request.set_timeout(Duration::from_secs(1));
        request
            .extensions_mut()
            .insert(CallDeadline(Instant::now() + Duration::from_secs(1)));

        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(
            remaining_budget(&request),
            Some(Duration::from_millis(700)),
            "the CallDeadline extension is a point in time: what is left is that minus now"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            remaining_budget(&request),
            Some(Duration::ZERO),
            "a deadline in the past leaves nothing (Instant::saturating_duration_since)"
        );
    }
    // ANCHOR_END: prefers_the_deadline_the_layer_recorded_and_counts_the_time_since

    // ANCHOR: behind_the_layer_a_handler_sees_its_budget_shrink_while_it_works
    #[tokio::test(start_paused = true)]
    async fn behind_the_layer_a_handler_sees_its_budget_shrink_while_it_works() {
        // Without the layer: the header is all there is, and it does not shrink.
        let probe = BudgetProbe::default();
        let mut client = UserServiceClient::new(
            serve_in_memory(Routes::new(UserServiceServer::new(probe.clone()))).await,
        );
        client
            .get_user(get_user_within(1, Duration::from_secs(1)))
            .await
            .expect("answers within 1 s");
        let second = Some(Duration::from_secs(1));
        assert_eq!(probe.seen(), (vec![second], vec![second]));

        // With the layer: the budget is measured against the deadline, and shrinks.
        let probe = BudgetProbe::default();
        let mut client =
            UserServiceClient::new(serve_in_memory(with_deadlines(probe.clone())).await);
        client
            .get_user(get_user_within(1, Duration::from_secs(1)))
            .await
            .expect("answers within 1 s");
        assert_eq!(
            probe.seen(),
            (
                vec![second],
                vec![Some(Duration::from_secs(1) - PROBE_WORK)]
            ),
            "after 300 ms of work, 700 ms are left"
        );
    }
    // ANCHOR_END: behind_the_layer_a_handler_sees_its_budget_shrink_while_it_works

    // ANCHOR: endpoint_timeout_sends_no_deadline_to_the_server
    #[tokio::test(start_paused = true)]
    async fn endpoint_timeout_sends_no_deadline_to_the_server() {
        let probe = BudgetProbe::default();
        let endpoint =
            Endpoint::from_static("http://in-memory.test").timeout(Duration::from_millis(100));
        let mut client =
            UserServiceClient::new(channel_from(endpoint, with_deadlines(probe.clone())).await);

        let status = expect_code(
            client.get_user(GetUserRequest { id: 1 }).await,
            Code::Cancelled,
        );

        assert!(
            is_local_timeout(&status),
            "Endpoint::timeout is the client's own timer: {status:?}"
        );
        assert_eq!(
            probe.seen(),
            (vec![None], vec![]),
            "the server heard of no deadline, so its handler cannot know when to stop"
        );
    }
    // ANCHOR_END: endpoint_timeout_sends_no_deadline_to_the_server
}

// ANCHOR: gateway_in_front_of
/// A client of a `UserGateway` in front of `downstream`, both behind the deadline layer.
async fn gateway_in_front_of(downstream: &FaultyUserService) -> UserServiceClient<Channel> {
    let downstream = serve_in_memory(with_deadlines(downstream.clone())).await;
    let gateway = UserGateway::new(downstream);
    UserServiceClient::new(serve_in_memory(with_deadlines(gateway)).await)
}
// ANCHOR_END: gateway_in_front_of

/// A gateway that forwards `GetUser` the way tonic makes easy: a fresh request, no deadline.
#[derive(Debug, Clone)]
struct NaiveGateway {
    downstream: UserServiceClient<Channel>,
}

#[tonic::async_trait]
impl UserService for NaiveGateway {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let mut downstream = self.downstream.clone();
        downstream.get_user(request.into_inner()).await
    }

    type ListUsersStream = lab03::service::UserStream;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented("GetUser only"))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("GetUser only"))
    }

    type ChatStream = lab03::service::ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("GetUser only"))
    }
}

mod step_6_propagation {
    use super::*;

    // ANCHOR: tonic_passes_no_deadline_downstream_and_the_gateway_passes_the_rest_of_the_budget
    #[tokio::test(start_paused = true)]
    async fn tonic_passes_no_deadline_downstream_and_the_gateway_passes_the_rest_of_the_budget() {
        // The naive way: the caller's deadline stops at this server.
        let downstream = FaultyUserService::new([]);
        let naive = NaiveGateway {
            downstream: UserServiceClient::new(
                serve_in_memory(with_deadlines(downstream.clone())).await,
            ),
        };
        let mut client = UserServiceClient::new(serve_in_memory(with_deadlines(naive)).await);
        client
            .get_user(get_user_within(1, Duration::from_secs(2)))
            .await
            .expect("answers");
        assert_eq!(
            only_call(&downstream).grpc_timeout,
            None,
            "tonic 0.14.9 propagates no deadline by itself"
        );

        // The gateway: what is left, minus the margin.
        let downstream = FaultyUserService::new([]);
        let mut client = gateway_in_front_of(&downstream).await;
        let user = client
            .get_user(get_user_within(7, Duration::from_secs(2)))
            .await
            .expect("the gateway answers with the downstream's user")
            .into_inner();
        assert_eq!(user, seed_user(7));
        let sent = only_call(&downstream).grpc_timeout;
        assert_eq!(
            sent.as_deref().and_then(parse_grpc_timeout),
            Some(Duration::from_secs(2) - PROPAGATION_MARGIN),
            "the downstream call's grpc-timeout should be the caller's remaining 2 s minus \
             PROPAGATION_MARGIN; it was {sent:?}"
        );
    }
    // ANCHOR_END: tonic_passes_no_deadline_downstream_and_the_gateway_passes_the_rest_of_the_budget

    // ANCHOR: slow_downstream
    // ANCHOR: a_slow_downstream_times_out_first_and_the_caller_hears_why_before_its_own_deadline
    #[tokio::test(start_paused = true)]
    async fn a_slow_downstream_times_out_first_and_the_caller_hears_why_before_its_own_deadline() {
        let downstream = FaultyUserService::always(Behaviour::Hang);
        let mut client = gateway_in_front_of(&downstream).await;
        let start = Instant::now();

        let result = client
            .get_user(get_user_within(1, Duration::from_secs(1)))
            .await;

        let status = match result {
            Err(status) if is_local_timeout(&status) => panic!(
                "the caller's own 1 s timer ran out first: the gateway should have answered \
                 DEADLINE_EXCEEDED {PROPAGATION_MARGIN:?} earlier"
            ),
            other => expect_code(other, Code::DeadlineExceeded),
        };
        let downstream_deadline = Duration::from_secs(1) - PROPAGATION_MARGIN;
        assert_eq!(
            start.elapsed(),
            downstream_deadline,
            "the gateway answers when the downstream deadline passes: {status:?}"
        );
        assert_eq!(
            only_call(&downstream).ended,
            Some(Ended::Dropped(start + downstream_deadline)),
            "the downstream handler's work stops at its own deadline"
        );
    }
    // ANCHOR_END: a_slow_downstream_times_out_first_and_the_caller_hears_why_before_its_own_deadline
    // ANCHOR_END: slow_downstream

    // ANCHOR: a_caller_that_gives_up_cancels_the_downstream_call_too
    #[tokio::test(start_paused = true)]
    async fn a_caller_that_gives_up_cancels_the_downstream_call_too() {
        let downstream = FaultyUserService::always(Behaviour::Hang);
        let mut client = gateway_in_front_of(&downstream).await;
        let start = Instant::now();

        // The caller sets no deadline, and gives up after 100 ms: dropping the call's future
        // resets its HTTP/2 stream.
        let gave_up = tokio::time::timeout(
            Duration::from_millis(100),
            client.get_user(GetUserRequest { id: 1 }),
        )
        .await;
        assert!(
            gave_up.is_err(),
            "the downstream hangs, so nothing answers: {gave_up:?}"
        );

        let ended = bounded("the downstream handler", downstream.ended(0)).await;
        assert_eq!(
            ended,
            Ended::Dropped(start + Duration::from_millis(100)),
            "dropping the gateway's handler drops its downstream call, which cancels that one too"
        );
    }
    // ANCHOR_END: a_caller_that_gives_up_cancels_the_downstream_call_too

    // ANCHOR: a_caller_with_less_time_than_the_margin_is_answered_without_a_downstream_call
    #[tokio::test(start_paused = true)]
    async fn a_caller_with_less_time_than_the_margin_is_answered_without_a_downstream_call() {
        let downstream = FaultyUserService::new([]);
        let mut client = gateway_in_front_of(&downstream).await;
        let start = Instant::now();

        let result = client
            .get_user(get_user_within(1, PROPAGATION_MARGIN / 2))
            .await;

        let status = expect_code(result, Code::DeadlineExceeded);
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "answer at once: {status:?}"
        );
        assert_eq!(
            downstream.attempts(),
            0,
            "don't call downstream without time to wait"
        );
    }
    // ANCHOR_END: a_caller_with_less_time_than_the_margin_is_answered_without_a_downstream_call

    // ANCHOR: a_caller_without_a_deadline_still_gets_a_bounded_downstream_call
    #[tokio::test(start_paused = true)]
    async fn a_caller_without_a_deadline_still_gets_a_bounded_downstream_call() {
        let downstream = FaultyUserService::new([]);
        let mut client = gateway_in_front_of(&downstream).await;

        client
            .get_user(GetUserRequest { id: 1 })
            .await
            .expect("answers");

        let sent = only_call(&downstream).grpc_timeout;
        let sent_timeout = sent.as_deref().and_then(parse_grpc_timeout);
        assert!(
            sent_timeout.is_some_and(|timeout| timeout <= DEFAULT_DOWNSTREAM_DEADLINE),
            "never call downstream without a deadline: use DEFAULT_DOWNSTREAM_DEADLINE when the \
             caller set none; sent {sent:?}"
        );
    }
    // ANCHOR_END: a_caller_without_a_deadline_still_gets_a_bounded_downstream_call

    // ANCHOR: downstream_answers_reach_the_caller_unchanged
    #[tokio::test(start_paused = true)]
    async fn downstream_answers_reach_the_caller_unchanged() {
        let downstream = FaultyUserService::new([
            Behaviour::Fail(Code::NotFound),
            Behaviour::Fail(Code::Unavailable),
        ]);
        let mut client = gateway_in_front_of(&downstream).await;

        for code in [Code::NotFound, Code::Unavailable] {
            expect_code(
                client
                    .get_user(get_user_within(1, Duration::from_secs(1)))
                    .await,
                code,
            );
        }
        assert_eq!(
            downstream.attempts(),
            2,
            "the gateway itself does not retry"
        );
    }
    // ANCHOR_END: downstream_answers_reach_the_caller_unchanged
}

mod step_7_backoff {
    use super::*;

    // ANCHOR: without_jitter_the_wait_grows_exponentially_up_to_the_cap
    #[test]
    fn without_jitter_the_wait_grows_exponentially_up_to_the_cap() {
        let policy = exact_policy(10);
        let mut rng = fastrand::Rng::with_seed(7);
        let waits: Vec<u128> = (1..=7)
            .map(|retry| millis(policy.backoff(retry, &mut rng)))
            .collect();
        assert_eq!(
            waits,
            [100, 200, 400, 800, 1000, 1000, 1000],
            "initial_backoff * multiplier^(retry - 1), capped at max_backoff"
        );
    }
    // ANCHOR_END: without_jitter_the_wait_grows_exponentially_up_to_the_cap

    // ANCHOR: full_jitter_draws_each_wait_between_zero_and_the_exponential_wait
    #[test]
    fn full_jitter_draws_each_wait_between_zero_and_the_exponential_wait() {
        let policy = RetryPolicy {
            jitter: 1.0,
            ..exact_policy(10)
        };
        let mut rng = fastrand::Rng::with_seed(42);
        for (retry, ceiling) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (9, 1000)] {
            let waits: Vec<Duration> = (0..1000).map(|_| policy.backoff(retry, &mut rng)).collect();
            let ceiling = Duration::from_millis(ceiling);
            let (shortest, longest) = (
                waits.iter().min().copied().unwrap_or_default(),
                waits.iter().max().copied().unwrap_or_default(),
            );
            assert!(
                longest <= ceiling,
                "retry {retry}: no wait above {ceiling:?}, got {longest:?}"
            );
            assert!(
                shortest < ceiling / 10 && longest > ceiling * 9 / 10,
                "retry {retry}: full jitter spreads waits over (0, {ceiling:?}], got \
                 {shortest:?}..={longest:?}: draw with rng.f64()"
            );
        }
    }
    // ANCHOR_END: full_jitter_draws_each_wait_between_zero_and_the_exponential_wait

    // ANCHOR: partial_jitter_takes_at_most_that_fraction_off
    #[test]
    fn partial_jitter_takes_at_most_that_fraction_off() {
        let policy = RetryPolicy {
            jitter: 0.2,
            ..exact_policy(10)
        };
        let mut rng = fastrand::Rng::with_seed(3);
        let waits: Vec<Duration> = (0..1000).map(|_| policy.backoff(3, &mut rng)).collect();
        let (low, high) = (Duration::from_millis(320), Duration::from_millis(400));
        assert!(
            waits.iter().all(|wait| (low..=high).contains(wait)),
            "jitter 0.2 on a 400 ms wait keeps it within 320..=400 ms"
        );
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(
            distinct.len() > 100,
            "the waits should differ: jitter is random"
        );
    }
    // ANCHOR_END: partial_jitter_takes_at_most_that_fraction_off

    // ANCHOR: the_same_seed_gives_the_same_waits
    #[test]
    fn the_same_seed_gives_the_same_waits() {
        let policy = RetryPolicy::default();
        let draw = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (1..=4)
                .map(|retry| policy.backoff(retry, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            draw(11),
            draw(11),
            "take all randomness from the rng you are given"
        );
        assert_ne!(draw(11), draw(12));
    }
    // ANCHOR_END: the_same_seed_gives_the_same_waits

    // ANCHOR: the_wait_never_overflows_however_many_retries
    #[test]
    fn the_wait_never_overflows_however_many_retries() {
        let policy = exact_policy(u32::MAX);
        let mut rng = fastrand::Rng::with_seed(1);
        for retry in [64, 1000, 1 << 20, u32::MAX] {
            assert_eq!(
                policy.backoff(retry, &mut rng),
                Duration::from_secs(1),
                "retry {retry}: 2^(retry - 1) overflows every integer type; cap before it does"
            );
        }
    }
    // ANCHOR_END: the_wait_never_overflows_however_many_retries
}

/// What `service` saw of each attempt, one line each, for snapshots.
fn attempt_lines(service: &FaultyUserService, start: Instant) -> String {
    service
        .calls()
        .iter()
        .map(|call| {
            format!(
                "attempt at {:>4} ms: grpc-timeout {}, grpc-previous-rpc-attempts {}, {:?}\n",
                millis(call.arrived_at - start),
                call.grpc_timeout.as_deref().unwrap_or("-"),
                call.previous_attempts.as_deref().unwrap_or("-"),
                call.behaviour,
            )
        })
        .collect()
}

/// Calls `GetUser(1)` through `call_with_retries` with `policy`, `idempotency` and a deadline
/// `timeout` from now.
async fn get_user_retried(
    channel: Channel,
    policy: &RetryPolicy,
    idempotency: Idempotency,
    timeout: Duration,
    rng: &mut fastrand::Rng,
) -> Result<User, Status> {
    let calls = call_with_retries(
        policy,
        Instant::now() + timeout,
        idempotency,
        rng,
        |attempt| {
            let mut client = UserServiceClient::new(channel.clone());
            async move {
                let response = client
                    .get_user(attempt.request(GetUserRequest { id: 1 }))
                    .await?;
                Ok(response.into_inner())
            }
        },
    );
    bounded("call_with_retries", calls).await
}

mod step_8_retries {
    use super::*;

    // ANCHOR: tonic_does_not_retry_and_call_with_retries_retries_unavailable_until_it_succeeds
    #[tokio::test(start_paused = true)]
    async fn tonic_does_not_retry_and_call_with_retries_retries_unavailable_until_it_succeeds() {
        let service = FaultyUserService::failing_first(1, Code::Unavailable);
        let mut client = UserServiceClient::new(serve_in_memory(service.routes()).await);
        expect_code(
            client.get_user(GetUserRequest { id: 1 }).await,
            Code::Unavailable,
        );
        assert_eq!(
            service.attempts(),
            1,
            "tonic 0.14.9 has no retries of its own"
        );

        let service = FaultyUserService::failing_first(2, Code::Unavailable);
        let channel = serve_in_memory(service.routes()).await;
        let mut rng = fastrand::Rng::with_seed(1);
        let user = get_user_retried(
            channel,
            &exact_policy(4),
            Idempotency::Idempotent,
            Duration::from_secs(10),
            &mut rng,
        )
        .await
        .expect("the third attempt succeeds");
        assert_eq!(user, seed_user(1));
        assert_eq!(service.attempts(), 3);
    }
    // ANCHOR_END: tonic_does_not_retry_and_call_with_retries_retries_unavailable_until_it_succeeds

    // ANCHOR: gives_up_after_max_attempts_with_the_last_status
    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_with_the_last_status() {
        let service = FaultyUserService::always(Behaviour::Fail(Code::Unavailable));
        let channel = serve_in_memory(service.routes()).await;
        let mut rng = fastrand::Rng::with_seed(1);

        let result = get_user_retried(
            channel,
            &exact_policy(4),
            Idempotency::Idempotent,
            Duration::from_secs(10),
            &mut rng,
        )
        .await;

        let status = expect_code(result, Code::Unavailable);
        assert_eq!(
            status.message(),
            "injected Unavailable on call 4",
            "return the last attempt's status"
        );
        assert_eq!(
            service.attempts(),
            4,
            "max_attempts counts the first attempt too"
        );
    }
    // ANCHOR_END: gives_up_after_max_attempts_with_the_last_status

    // ANCHOR: never_retries_a_code_that_a_retry_cannot_fix
    #[tokio::test(start_paused = true)]
    async fn never_retries_a_code_that_a_retry_cannot_fix() {
        for code in [
            Code::InvalidArgument,
            Code::NotFound,
            Code::FailedPrecondition,
            Code::Aborted,
            Code::PermissionDenied,
            Code::Unauthenticated,
            Code::ResourceExhausted,
            Code::Internal,
        ] {
            let service = FaultyUserService::always(Behaviour::Fail(code));
            let channel = serve_in_memory(service.routes()).await;
            let mut rng = fastrand::Rng::with_seed(1);
            let result = get_user_retried(
                channel,
                &exact_policy(4),
                Idempotency::Idempotent,
                Duration::from_secs(10),
                &mut rng,
            )
            .await;
            expect_code(result, code);
            assert_eq!(service.attempts(), 1, "{code:?} must not be retried");
        }
    }
    // ANCHOR_END: never_retries_a_code_that_a_retry_cannot_fix

    // ANCHOR: waits_the_policys_backoff_between_attempts
    #[tokio::test(start_paused = true)]
    async fn waits_the_policys_backoff_between_attempts() {
        let service = FaultyUserService::failing_first(4, Code::Unavailable);
        let channel = serve_in_memory(service.routes()).await;
        let policy = RetryPolicy {
            jitter: 1.0,
            ..exact_policy(5)
        };

        let mut rng = fastrand::Rng::with_seed(2024);
        get_user_retried(
            channel,
            &policy,
            Idempotency::Idempotent,
            Duration::from_secs(10),
            &mut rng,
        )
        .await
        .expect("the fifth attempt succeeds");

        // The same seed again gives the waits the loop should have drawn, in order.
        let mut replay = fastrand::Rng::with_seed(2024);
        let expected: Vec<Duration> = (1..=4)
            .map(|retry| policy.backoff(retry, &mut replay))
            .collect();
        let arrivals: Vec<Instant> = service.calls().iter().map(|call| call.arrived_at).collect();
        let gaps: Vec<Duration> = arrivals.windows(2).map(|pair| pair[1] - pair[0]).collect();
        assert_eq!(gaps.len(), expected.len(), "five attempts, four waits");
        for (retry, (gap, wait)) in gaps.iter().zip(&expected).enumerate() {
            // tokio's timers tick in whole milliseconds, so a sleep ends up to 1 ms late.
            assert!(
                *gap >= *wait && *gap <= *wait + Duration::from_millis(1),
                "before retry {}: waited {gap:?}, expected policy.backoff({}, rng) = {wait:?}; \
                 draw one backoff per retry, in order, from the rng you were given",
                retry + 1,
                retry + 1
            );
        }
    }
    // ANCHOR_END: waits_the_policys_backoff_between_attempts

    // ANCHOR: never_starts_an_attempt_that_could_not_start_before_the_deadline
    #[tokio::test(start_paused = true)]
    async fn never_starts_an_attempt_that_could_not_start_before_the_deadline() {
        let service = FaultyUserService::always(Behaviour::Fail(Code::Unavailable));
        let channel = serve_in_memory(service.routes()).await;
        let start = Instant::now();
        let mut rng = fastrand::Rng::with_seed(1);

        let result = get_user_retried(
            channel,
            &exact_policy(10),
            Idempotency::Idempotent,
            Duration::from_millis(500),
            &mut rng,
        )
        .await;

        // Attempts at 0, 100 and 300 ms; the next wait (400 ms) would end at 700 ms.
        expect_code(result, Code::Unavailable);
        assert_eq!(service.attempts(), 3, "{}", attempt_lines(&service, start));
        assert_eq!(
            millis(start.elapsed()),
            300,
            "give up as soon as the next wait would reach the deadline, don't sleep into it"
        );
    }
    // ANCHOR_END: never_starts_an_attempt_that_could_not_start_before_the_deadline

    // ANCHOR: an_attempt_that_hangs_ends_at_the_overall_deadline_as_deadline_exceeded
    #[tokio::test(start_paused = true)]
    async fn an_attempt_that_hangs_ends_at_the_overall_deadline_as_deadline_exceeded() {
        let service =
            FaultyUserService::failing_first(1, Code::Unavailable).otherwise(Behaviour::Hang);
        let channel = serve_in_memory(service.routes()).await;
        let start = Instant::now();
        let mut rng = fastrand::Rng::with_seed(1);

        let result = get_user_retried(
            channel,
            &exact_policy(10),
            Idempotency::Idempotent,
            Duration::from_secs(1),
            &mut rng,
        )
        .await;

        expect_code(result, Code::DeadlineExceeded);
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "not a moment later"
        );
        assert_eq!(
            service.attempts(),
            2,
            "the second attempt used up the budget: {}",
            attempt_lines(&service, start)
        );
    }
    // ANCHOR_END: an_attempt_that_hangs_ends_at_the_overall_deadline_as_deadline_exceeded

    // ANCHOR: a_non_idempotent_call_is_not_retried_once_it_reached_the_server
    #[tokio::test(start_paused = true)]
    async fn a_non_idempotent_call_is_not_retried_once_it_reached_the_server() {
        let service = FaultyUserService::failing_first(1, Code::Unavailable);
        let channel = serve_in_memory(service.routes()).await;
        let batch = vec![CreateUserRequest {
            name: "Ada".into(),
            email: "ada@example.com".into(),
        }];

        let result = bounded(
            "create_users_with_retries",
            create_users_with_retries(
                channel,
                batch,
                &exact_policy(4),
                Instant::now() + Duration::from_secs(10),
            ),
        )
        .await;

        expect_code(result, Code::Unavailable);
        assert_eq!(
            service.attempts(),
            1,
            "the server saw the batch: a retry could store it twice"
        );
    }
    // ANCHOR_END: a_non_idempotent_call_is_not_retried_once_it_reached_the_server

    // ANCHOR: a_non_idempotent_call_is_retried_when_it_never_reached_a_server
    #[tokio::test(start_paused = true)]
    async fn a_non_idempotent_call_is_retried_when_it_never_reached_a_server() {
        let service = FaultyUserService::new([]);
        let channel = channel_refusing_first(2, service.routes());
        let batch = vec![CreateUserRequest {
            name: "Ada".into(),
            email: "ada@example.com".into(),
        }];

        let created = bounded(
            "create_users_with_retries",
            create_users_with_retries(
                channel,
                batch,
                &exact_policy(4),
                Instant::now() + Duration::from_secs(10),
            ),
        )
        .await
        .expect("the third attempt connects and succeeds");

        assert_eq!(created.count, 1);
        let call = only_call(&service);
        assert_eq!(
            call.previous_attempts.as_deref(),
            Some("2"),
            "two refused connections, then the attempt that reached the server"
        );
    }
    // ANCHOR_END: a_non_idempotent_call_is_retried_when_it_never_reached_a_server

    // ANCHOR: a_server_stream_is_retried_until_its_response_starts
    #[tokio::test(start_paused = true)]
    async fn a_server_stream_is_retried_until_its_response_starts() {
        let service = FaultyUserService::failing_first(2, Code::Unavailable);
        let channel = serve_in_memory(service.routes()).await;

        let mut stream = bounded(
            "list_users_with_retries",
            list_users_with_retries(
                channel,
                ListUsersRequest::default(),
                &exact_policy(4),
                Instant::now() + Duration::from_secs(10),
            ),
        )
        .await
        .expect("the third attempt starts the stream");

        let mut users = Vec::new();
        while let Some(user) = stream.message().await.expect("the stream") {
            users.push(user);
        }
        assert_eq!(users.len(), LISTED_USERS);
        assert_eq!(service.attempts(), 3);
    }
    // ANCHOR_END: a_server_stream_is_retried_until_its_response_starts

    // ANCHOR: a_server_stream_is_never_retried_once_its_response_started
    #[tokio::test(start_paused = true)]
    async fn a_server_stream_is_never_retried_once_its_response_started() {
        let service = FaultyUserService::always(Behaviour::StreamThenFail(1, Code::Unavailable));
        let channel = serve_in_memory(service.routes()).await;

        let mut stream = bounded(
            "list_users_with_retries",
            list_users_with_retries(
                channel,
                ListUsersRequest::default(),
                &exact_policy(4),
                Instant::now() + Duration::from_secs(10),
            ),
        )
        .await
        .expect("the stream starts");

        assert_eq!(stream.message().await.expect("a user"), Some(seed_user(1)));
        expect_code(stream.message().await, Code::Unavailable);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(
            service.attempts(),
            1,
            "a stream whose response started is committed: the caller has seen its messages"
        );
    }
    // ANCHOR_END: a_server_stream_is_never_retried_once_its_response_started

    // ANCHOR: retry_transcript_snapshot
    #[tokio::test(start_paused = true)]
    async fn retry_transcript_snapshot() {
        let service = FaultyUserService::new([
            Behaviour::Fail(Code::Unavailable),
            Behaviour::Fail(Code::Unavailable),
            Behaviour::AnswerAfter(Duration::from_millis(50)),
        ]);
        let channel = serve_in_memory(service.routes()).await;
        let start = Instant::now();

        let result = bounded(
            "get_user_with_retries",
            get_user_with_retries(channel, 1, &exact_policy(4), start + Duration::from_secs(2)),
        )
        .await;

        let transcript = format!(
            "{}result after {} ms: {}\n",
            attempt_lines(&service, start),
            millis(start.elapsed()),
            describe_result(&result)
        );
        test_support::snapshot_settings()
            .bind(|| insta::assert_snapshot!("retry_transcript", transcript));
    }
    // ANCHOR_END: retry_transcript_snapshot

    // ANCHOR: each_attempt_is_numbered_and_gets_what_is_left_of_the_deadline
    #[tokio::test(start_paused = true)]
    async fn each_attempt_is_numbered_and_gets_what_is_left_of_the_deadline() {
        let mut seen = Vec::new();
        let mut rng = fastrand::Rng::with_seed(1);
        let start = Instant::now();
        let result: Result<(), Status> = call_with_retries(
            &exact_policy(3),
            start + Duration::from_secs(1),
            Idempotency::Idempotent,
            &mut rng,
            |attempt: Attempt| {
                seen.push(attempt);
                async { Err(Status::unavailable("not yet")) }
            },
        )
        .await;

        expect_code(result, Code::Unavailable);
        assert_eq!(
            seen,
            [
                Attempt {
                    number: 1,
                    timeout: Duration::from_secs(1)
                },
                Attempt {
                    number: 2,
                    timeout: Duration::from_millis(900)
                },
                Attempt {
                    number: 3,
                    timeout: Duration::from_millis(700)
                },
            ],
            "attempts are numbered from 1, and each one's timeout is the time left until the \
             overall deadline"
        );
    }
    // ANCHOR_END: each_attempt_is_numbered_and_gets_what_is_left_of_the_deadline
}
