//! Lab 5's tests, in the order of the TODOs: the rules, the rich error, the atomic store,
//! the stream reader, the handler, the client.
//!
//! The same file tests your code (`cargo test -p lab05-client-streaming`) and the reference
//! solution (`cargo test -p solution05-client-streaming`), so what passes here is exactly
//! what the solution does.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use lab05::{
    CreateUserRequest, CreateUsersResponse, InMemoryUserStore, MAX_BATCH_SIZE, MAX_EMAIL_BYTES,
    MAX_NAME_CHARS, MAX_REPORTED_VIOLATIONS, UPLOAD_DEADLINE, User, UserServiceImpl, check_email,
    check_name, create_users, invalid_batch_status, seed_user, store_batch, upload_users, validate,
};
use test_support::{TestServer, describe_status, expect_code, serve_in_memory};
use tokio::sync::mpsc;
use tokio_stream::{StreamExt, wrappers::ReceiverStream};
use tonic::{Code, Request, Response, Status, Streaming, service::Routes};
use tonic_types::{FieldViolation, StatusExt};
use workbook_proto::user::{
    ChatMessage, GetUserRequest, ListUsersRequest,
    user_service_client::UserServiceClient,
    user_service_server::{UserService, UserServiceServer},
};

/// The generous upper bound on anything a test waits for. Reaching it is a failure.
const PATIENCE: Duration = Duration::from_secs(10);

fn request(name: &str, email: &str) -> CreateUserRequest {
    CreateUserRequest {
        name: name.to_owned(),
        email: email.to_owned(),
    }
}

/// A valid request, distinct for every `n`.
fn new_user(n: usize) -> CreateUserRequest {
    request(&format!("New {n}"), &format!("new{n}@example.com"))
}

fn new_users(range: std::ops::Range<usize>) -> Vec<CreateUserRequest> {
    range.map(new_user).collect()
}

/// What a `Streaming<CreateUserRequest>` yields when every message decoded fine.
fn stream_of(
    requests: Vec<CreateUserRequest>,
) -> impl tokio_stream::Stream<Item = Result<CreateUserRequest, Status>> + Unpin {
    tokio_stream::iter(requests.into_iter().map(Ok))
}

/// The lab's service over a store preloaded with users `1..=seed`, and that store.
fn user_service(seed: i32) -> (Arc<InMemoryUserStore>, Routes) {
    let store = Arc::new(InMemoryUserStore::with_seed_users(seed));
    let routes = Routes::new(UserServiceServer::new(UserServiceImpl::new(Arc::clone(
        &store,
    ))));
    (store, routes)
}

fn ids(users: &[User]) -> Vec<i32> {
    users.iter().map(|user| user.id).collect()
}

/// The `BadRequest` field violations in a status's details, as a client decodes them.
fn violations_of(status: &Status) -> Vec<FieldViolation> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad_request| bad_request.field_violations.clone())
        .unwrap_or_default()
}

fn fields_of(violations: &[FieldViolation]) -> Vec<String> {
    violations.iter().map(|v| v.field.clone()).collect()
}

/// Waits for `future`, failing the test with `what` if it takes longer than [`PATIENCE`].
async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("gave up after {PATIENCE:?} waiting for {what}"))
}

mod step_1_validation {
    use super::*;

    fn reason_of(result: Result<(), lab05::Problem>) -> Option<&'static str> {
        result.err().map(|problem| problem.reason)
    }

    #[test]
    fn accepts_plausible_names_and_emails_up_to_the_limits() {
        for name in [
            "Ada Lovelace",
            "  Grace  ",
            "Zoë",
            &"é".repeat(MAX_NAME_CHARS),
        ] {
            assert_eq!(check_name(name), Ok(()), "the name {name:?} is fine");
        }
        let longest_email = format!("{}@example.com", "a".repeat(MAX_EMAIL_BYTES - 12));
        assert_eq!(longest_email.len(), MAX_EMAIL_BYTES);
        for email in [
            "ada@example.com",
            "a@b.co",
            "first.last+tag@mail.example.org",
        ] {
            assert_eq!(check_email(email), Ok(()), "the email {email:?} is fine");
        }
        assert_eq!(
            check_email(&longest_email),
            Ok(()),
            "an email of exactly {MAX_EMAIL_BYTES} bytes is allowed"
        );
        assert!(
            validate(0, &request("Ada", "ada@example.com")).is_empty(),
            "a valid request has no violations"
        );
    }

    #[test]
    fn rejects_empty_and_blank_names() {
        for name in ["", " ", "\t\n  "] {
            assert_eq!(
                reason_of(check_name(name)),
                Some("NAME_EMPTY"),
                "the name {name:?} is empty once trimmed"
            );
        }
    }

    // ANCHOR: rejects_names_over_the_limit_counting_characters_not_bytes
    #[test]
    fn rejects_names_over_the_limit_counting_characters_not_bytes() {
        let too_long = "é".repeat(MAX_NAME_CHARS + 1);
        let problem = check_name(&too_long).expect_err("101 characters is one too many");
        assert_eq!(problem.reason, "NAME_TOO_LONG");
        assert!(
            problem.description.contains("101"),
            "the description should say how long the name is (101 characters, not {} bytes), got {:?}",
            too_long.len(),
            problem.description
        );
    }
    // ANCHOR_END: rejects_names_over_the_limit_counting_characters_not_bytes

    // ANCHOR: rejects_implausible_emails_each_with_its_own_reason
    #[test]
    fn rejects_implausible_emails_each_with_its_own_reason() {
        let too_long = format!("{}@example.com", "a".repeat(MAX_EMAIL_BYTES));
        let table = [
            ("", "EMAIL_EMPTY"),
            (too_long.as_str(), "EMAIL_TOO_LONG"),
            ("ada @example.com", "EMAIL_HAS_WHITESPACE"),
            (" ada@example.com", "EMAIL_HAS_WHITESPACE"),
            ("ada.example.com", "EMAIL_AT_SIGN"),
            ("ada@@example.com", "EMAIL_AT_SIGN"),
            ("a@b@example.com", "EMAIL_AT_SIGN"),
            ("@example.com", "EMAIL_LOCAL_PART_EMPTY"),
            ("ada@", "EMAIL_DOMAIN_NO_DOT"),
            ("ada@localhost", "EMAIL_DOMAIN_NO_DOT"),
            ("ada@.example.com", "EMAIL_DOMAIN_EMPTY_LABEL"),
            ("ada@example.com.", "EMAIL_DOMAIN_EMPTY_LABEL"),
            ("ada@example..com", "EMAIL_DOMAIN_EMPTY_LABEL"),
        ];
        let mut wrong = Vec::new();
        for (email, expected) in table {
            let got = reason_of(check_email(email));
            if got != Some(expected) {
                wrong.push(format!("{email:?}: expected {expected}, got {got:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "check_email gave the wrong verdict (check the order of the rules too):\n  {}",
            wrong.join("\n  ")
        );
    }
    // ANCHOR_END: rejects_implausible_emails_each_with_its_own_reason

    // ANCHOR: names_the_request_index_and_the_field_in_each_violation
    #[test]
    fn names_the_request_index_and_the_field_in_each_violation() {
        let violations = validate(7, &request("   ", "nope"));
        assert_eq!(
            fields_of(&violations),
            ["requests[7].name", "requests[7].email"],
            "one violation per bad field, name first, each naming its request's index"
        );
        assert_eq!(violations[0].reason, "NAME_EMPTY");
        assert_eq!(violations[1].reason, "EMAIL_AT_SIGN");
        assert!(
            violations.iter().all(|v| !v.description.is_empty()),
            "every violation needs a description a human can read"
        );
    }
    // ANCHOR_END: names_the_request_index_and_the_field_in_each_violation

    // ANCHOR: descriptions_never_echo_the_rejected_value
    #[test]
    fn descriptions_never_echo_the_rejected_value() {
        let huge = "x".repeat(10_000);
        for violation in validate(0, &request(&huge, &huge)) {
            assert!(
                violation.description.len() < 200,
                "{}: the description should describe the problem, not repeat the value \
                 (it may be huge, or personal data): {} bytes",
                violation.field,
                violation.description.len()
            );
        }
    }
    // ANCHOR_END: descriptions_never_echo_the_rejected_value
}

mod step_2_rich_error {
    use super::*;

    fn violation(field: &str, reason: &str, description: &str) -> FieldViolation {
        FieldViolation {
            field: field.to_owned(),
            description: description.to_owned(),
            reason: reason.to_owned(),
            localized_message: None,
        }
    }

    fn three_violations() -> Vec<FieldViolation> {
        vec![
            violation(
                "requests[1].email",
                "EMAIL_AT_SIGN",
                "email must contain exactly one '@', got 0",
            ),
            violation("requests[4].name", "NAME_EMPTY", "name must not be empty"),
            violation(
                "requests[4].email",
                "EMAIL_EMPTY",
                "email must not be empty",
            ),
        ]
    }

    // ANCHOR: is_invalid_argument_with_every_violation_in_bad_request_details
    #[test]
    fn is_invalid_argument_with_every_violation_in_bad_request_details() {
        let status = invalid_batch_status(&three_violations());
        assert_eq!(status.code(), Code::InvalidArgument);
        let reported = violations_of(&status);
        assert_eq!(
            fields_of(&reported),
            ["requests[1].email", "requests[4].name", "requests[4].email"],
            "the details should hold a BadRequest with every violation, in order \
             (tonic_types::ErrorDetails::with_bad_request and Status::with_error_details)"
        );
        assert_eq!(
            reported[0].reason, "EMAIL_AT_SIGN",
            "reasons survive the trip"
        );
    }
    // ANCHOR_END: is_invalid_argument_with_every_violation_in_bad_request_details

    // ANCHOR: message_names_the_first_violation_and_says_nothing_was_stored
    #[test]
    fn message_names_the_first_violation_and_says_nothing_was_stored() {
        let status = invalid_batch_status(&three_violations());
        let message = status.message();
        assert!(
            message.contains("requests[1].email")
                && message.contains("exactly one '@'")
                && message.contains("nothing was stored"),
            "clients that ignore details see only the message: it should name the first \
             violation (field and description) and say nothing was stored, got {message:?}"
        );
        assert!(
            message.contains('2'),
            "the message should count the 2 other problems, got {message:?}"
        );
    }
    // ANCHOR_END: message_names_the_first_violation_and_says_nothing_was_stored

    // ANCHOR: lists_at_most_max_reported_violations_but_counts_them_all
    #[test]
    fn lists_at_most_max_reported_violations_but_counts_them_all() {
        let violations: Vec<FieldViolation> = (0..30)
            .map(|i| {
                violation(
                    &format!("requests[{i}].email"),
                    "EMAIL_EMPTY",
                    "email must not be empty",
                )
            })
            .collect();
        let status = invalid_batch_status(&violations);
        let reported = violations_of(&status);
        assert_eq!(
            reported.len(),
            MAX_REPORTED_VIOLATIONS,
            "the details should list only the first {MAX_REPORTED_VIOLATIONS} violations"
        );
        assert_eq!(
            reported[0].field, "requests[0].email",
            "the first ones, in order"
        );
        assert!(
            status.message().contains("29"),
            "the message should still count all the other 29, got {:?}",
            status.message()
        );
    }
    // ANCHOR_END: lists_at_most_max_reported_violations_but_counts_them_all

    // ANCHOR: worst_case_trailers_fit_in_the_8_kib_that_grpc_suggests_clients_allow
    #[test]
    fn worst_case_trailers_fit_in_the_8_kib_that_grpc_suggests_clients_allow() {
        // The worst batch: every one of MAX_BATCH_SIZE requests breaks both rules, with
        // the longest descriptions the rules produce.
        let huge = "é".repeat(10_000);
        let violations: Vec<FieldViolation> = (0..MAX_BATCH_SIZE)
            .flat_map(|index| validate(index, &request(&huge, &huge)))
            .collect();
        let status = invalid_batch_status(&violations);

        let mut trailers = tonic::codegen::http::HeaderMap::new();
        status
            .add_header(&mut trailers)
            .expect("a status always converts to headers");
        // HTTP/2 counts a header as name + value + 32 bytes.
        let size: usize = trailers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum();
        assert!(
            size <= 8 * 1024,
            "the trailers of the worst INVALID_ARGUMENT are {size} bytes: a client that allows \
             8 KiB of headers (grpc-java, Python) would reject the response instead of \
             seeing the error; report fewer violations"
        );
    }
    // ANCHOR_END: worst_case_trailers_fit_in_the_8_kib_that_grpc_suggests_clients_allow
}

mod step_3_atomic_store {
    use super::*;

    // ANCHOR: gives_a_batch_consecutive_ids_after_the_largest_existing_id
    #[test]
    fn gives_a_batch_consecutive_ids_after_the_largest_existing_id() {
        let store = InMemoryUserStore::with_seed_users(3);
        store.insert(seed_user(10));
        let created = store_batch(&store, new_users(0..3)).expect("room for 3 more ids");
        assert_eq!(
            ids(&created),
            [11, 12, 13],
            "ids continue after the largest id in the store (10), not after its size"
        );
        assert_eq!(
            created[2],
            User {
                id: 13,
                name: "New 2".into(),
                email: "new2@example.com".into()
            },
            "users come back in request order"
        );
        assert_eq!(store.len(), 7, "4 users before, 3 stored");
        assert_eq!(store.read().get(&12), Some(&created[1]));
    }
    // ANCHOR_END: gives_a_batch_consecutive_ids_after_the_largest_existing_id

    // ANCHOR: stores_names_trimmed
    #[test]
    fn stores_names_trimmed() {
        let store = InMemoryUserStore::new();
        let created = store_batch(&store, vec![request("  Ada  ", "ada@example.com")])
            .expect("an empty store has room");
        assert_eq!(created[0].name, "Ada");
        assert_eq!(store.read().get(&1).map(|u| u.name.as_str()), Some("Ada"));
        assert_eq!(created[0].id, 1, "the first id in an empty store is 1");
    }
    // ANCHOR_END: stores_names_trimmed

    #[test]
    fn an_empty_batch_stores_nothing() {
        let store = InMemoryUserStore::with_seed_users(2);
        let created = store_batch(&store, Vec::new()).expect("an empty batch always fits");
        assert!(created.is_empty());
        assert_eq!(store.len(), 2);
        let next = store_batch(&store, new_users(0..1)).expect("room");
        assert_eq!(ids(&next), [3]);
    }

    // ANCHOR: a_batch_that_would_run_past_i32_max_stores_nothing
    #[test]
    fn a_batch_that_would_run_past_i32_max_stores_nothing() {
        let store = InMemoryUserStore::new();
        store.insert(seed_user(i32::MAX - 1));

        let status = expect_code(
            store_batch(&store, new_users(0..2)),
            Code::ResourceExhausted,
        );
        assert!(!status.message().is_empty(), "say why");
        assert_eq!(
            store.len(),
            1,
            "a batch that does not fit stores none of its users"
        );

        let last = store_batch(&store, new_users(0..1)).expect("exactly one id is left");
        assert_eq!(ids(&last), [i32::MAX]);
    }
    // ANCHOR_END: a_batch_that_would_run_past_i32_max_stores_nothing
}

/// A `UserService` whose `CreateUsers` runs your [`create_users`] and tells the test what
/// its server side did: each request it read, and when the call ended (returned, failed
/// or was dropped by the server because the client went away).
#[derive(Clone)]
struct ObservedCreateUsers {
    store: Arc<InMemoryUserStore>,
    events: mpsc::UnboundedSender<ServerEvent>,
}

#[derive(Debug, PartialEq)]
enum ServerEvent {
    Read(String),
    Ended,
}

/// Sends [`ServerEvent::Ended`] when dropped: when the handler's future finishes or is
/// dropped, whichever comes first.
struct ReportEnd(mpsc::UnboundedSender<ServerEvent>);

impl Drop for ReportEnd {
    fn drop(&mut self) {
        let _ = self.0.send(ServerEvent::Ended);
    }
}

#[tonic::async_trait]
impl UserService for ObservedCreateUsers {
    // ANCHOR: observed_handler
    async fn create_users(
        &self,
        request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        let _report_end = ReportEnd(self.events.clone());
        let events = self.events.clone();
        let requests = request.into_inner().map(move |item| {
            if let Ok(request) = &item {
                let _ = events.send(ServerEvent::Read(request.name.clone()));
            }
            item
        });
        let response = create_users(&self.store, requests).await?;
        Ok(Response::new(response))
    }
    // ANCHOR_END: observed_handler

    async fn get_user(&self, _: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        Err(Status::unimplemented("not observed"))
    }

    type ListUsersStream = lab03::service::UserStream;

    async fn list_users(
        &self,
        _: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented("not observed"))
    }

    type ChatStream = lab03::service::ChatStream;

    async fn chat(
        &self,
        _: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("not observed"))
    }
}

/// A server running [`ObservedCreateUsers`] over users `1..=seed`, with the store and the
/// events it reports.
async fn observed_server(
    seed: i32,
) -> (
    TestServer,
    Arc<InMemoryUserStore>,
    mpsc::UnboundedReceiver<ServerEvent>,
) {
    let store = Arc::new(InMemoryUserStore::with_seed_users(seed));
    let (events, received) = mpsc::unbounded_channel();
    let service = ObservedCreateUsers {
        store: Arc::clone(&store),
        events,
    };
    let server = TestServer::start(Routes::new(UserServiceServer::new(service))).await;
    (server, store, received)
}

/// The server's next event, which must be `expected`.
async fn expect_event(
    events: &mut mpsc::UnboundedReceiver<ServerEvent>,
    expected: ServerEvent,
    hint: &str,
) {
    let event = within(&format!("the server to report {expected:?}"), events.recv())
        .await
        .expect("the server keeps its event sender");
    assert_eq!(event, expected, "{hint}");
}

mod step_4_create_users {
    use super::*;

    #[tokio::test]
    async fn creates_every_user_in_request_order_with_fresh_ids() {
        let store = InMemoryUserStore::with_seed_users(5);
        let response = create_users(&store, stream_of(new_users(0..3)))
            .await
            .expect("a valid batch is stored");
        assert_eq!(response.count, 3);
        assert_eq!(ids(&response.users), [6, 7, 8]);
        assert_eq!(response.users[0].name, "New 0", "request order");
        assert_eq!(store.len(), 8);
    }

    #[tokio::test]
    async fn an_empty_stream_is_an_empty_batch() {
        let store = InMemoryUserStore::with_seed_users(5);
        let response = create_users(&store, stream_of(Vec::new()))
            .await
            .expect("an empty batch is valid");
        assert_eq!(
            response,
            CreateUsersResponse::default(),
            "count 0, no users"
        );
        assert_eq!(store.len(), 5);
    }

    // ANCHOR: one_invalid_request_rejects_the_whole_batch
    #[tokio::test]
    async fn one_invalid_request_rejects_the_whole_batch() {
        let store = InMemoryUserStore::with_seed_users(5);
        let batch = vec![
            new_user(0),
            request("Bad Email", "bad.example.com"),
            new_user(2),
        ];
        let status = expect_code(
            create_users(&store, stream_of(batch)).await,
            Code::InvalidArgument,
        );
        assert_eq!(fields_of(&violations_of(&status)), ["requests[1].email"]);
        assert_eq!(
            store.len(),
            5,
            "nothing of an invalid batch may be stored, not even the valid request before the bad one"
        );

        let next = create_users(&store, stream_of(new_users(10..12)))
            .await
            .expect("a later valid batch is stored");
        assert_eq!(ids(&next.users), [6, 7], "and no ids were used up");
    }
    // ANCHOR_END: one_invalid_request_rejects_the_whole_batch

    // ANCHOR: every_violation_is_reported_not_only_the_first
    #[tokio::test]
    async fn every_violation_is_reported_not_only_the_first() {
        let store = InMemoryUserStore::new();
        let batch = vec![
            request("", "ada@example.com"),
            new_user(1),
            request("Both Bad", "@example.com"),
            request(" ", "x@y"),
        ];
        let status = expect_code(
            create_users(&store, stream_of(batch)).await,
            Code::InvalidArgument,
        );
        assert_eq!(
            fields_of(&violations_of(&status)),
            [
                "requests[0].name",
                "requests[2].email",
                "requests[3].name",
                "requests[3].email"
            ],
            "keep reading after the first invalid request and report every violation"
        );
        assert!(store.is_empty());
    }
    // ANCHOR_END: every_violation_is_reported_not_only_the_first

    // ANCHOR: a_stream_that_fails_mid_batch_stores_nothing_and_returns_its_status
    #[tokio::test]
    async fn a_stream_that_fails_mid_batch_stores_nothing_and_returns_its_status() {
        let store = InMemoryUserStore::with_seed_users(1);
        let broken = tokio_stream::iter(vec![
            Ok(new_user(0)),
            Ok(new_user(1)),
            Err(Status::internal("failed to decode Protobuf message")),
            Ok(new_user(3)),
        ]);
        let status = expect_code(create_users(&store, broken).await, Code::Internal);
        assert_eq!(
            status.message(),
            "failed to decode Protobuf message",
            "return the stream's own status"
        );
        assert_eq!(store.len(), 1, "a broken stream stores nothing");
    }
    // ANCHOR_END: a_stream_that_fails_mid_batch_stores_nothing_and_returns_its_status

    // ANCHOR: stops_reading_at_the_first_request_over_max_batch_size
    #[tokio::test]
    async fn stops_reading_at_the_first_request_over_max_batch_size() {
        let store = InMemoryUserStore::new();
        let pulled = Arc::new(AtomicUsize::new(0));
        let endless = {
            let pulled = Arc::clone(&pulled);
            tokio_stream::iter(0..).map(move |n| {
                pulled.fetch_add(1, Ordering::Relaxed);
                Ok(new_user(n))
            })
        };
        let status = within(
            "create_users to give up on an endless stream",
            create_users(&store, endless),
        )
        .await
        .expect_err("an endless batch must be refused");
        assert_eq!(
            status.code(),
            Code::ResourceExhausted,
            "{}",
            describe_status(&status)
        );
        assert_eq!(
            pulled.load(Ordering::Relaxed),
            MAX_BATCH_SIZE + 1,
            "stop reading at the first request over the limit: every request read is memory held"
        );
        assert!(store.is_empty());
    }
    // ANCHOR_END: stops_reading_at_the_first_request_over_max_batch_size

    // ANCHOR: accepts_a_batch_of_exactly_max_batch_size
    #[tokio::test]
    async fn accepts_a_batch_of_exactly_max_batch_size() {
        let store = InMemoryUserStore::new();
        let response = create_users(&store, stream_of(new_users(0..MAX_BATCH_SIZE)))
            .await
            .expect("the limit itself is allowed");
        assert_eq!(response.count as usize, MAX_BATCH_SIZE);
        assert_eq!(store.len(), MAX_BATCH_SIZE);
    }
    // ANCHOR_END: accepts_a_batch_of_exactly_max_batch_size

    // ANCHOR: cancel_test
    // ANCHOR: a_call_cancelled_mid_stream_stores_nothing
    #[tokio::test]
    async fn a_call_cancelled_mid_stream_stores_nothing() {
        let (server, store, mut events) = observed_server(3).await;
        let mut client = UserServiceClient::new(server.channel());
        let (sender, receiver) = mpsc::channel(8);
        let call =
            tokio::spawn(async move { client.create_users(ReceiverStream::new(receiver)).await });

        for n in 0..2 {
            sender.send(new_user(n)).await.expect("the call is running");
            expect_event(
                &mut events,
                ServerEvent::Read(format!("New {n}")),
                "create_users should read each request as it arrives",
            )
            .await;
        }

        // Cancel the call: drop its future. `sender` stays alive, so the request stream
        // never ends: all the server hears is RST_STREAM(CANCEL).
        call.abort();
        let _ = call.await;
        expect_event(
            &mut events,
            ServerEvent::Ended,
            "the cancelled call should end on the server",
        )
        .await;
        assert_eq!(
            store.len(),
            3,
            "a cancelled upload must store nothing; tonic ends the server's stream with None \
             when the client cancels, exactly as when it finishes: give hyper a chance to drop \
             the call before you store (see the chapter)"
        );
        drop(sender);
    }
    // ANCHOR_END: a_call_cancelled_mid_stream_stores_nothing
    // ANCHOR_END: cancel_test

    // ANCHOR: a_call_cancelled_with_its_cancellation_handle_stores_nothing
    #[tokio::test]
    async fn a_call_cancelled_with_its_cancellation_handle_stores_nothing() {
        let (server, store, mut events) = observed_server(3).await;
        let mut client = UserServiceClient::new(server.channel());
        let (sender, receiver) = mpsc::channel(8);
        // ANCHOR: cancellation_handle
        let mut request = Request::new(ReceiverStream::new(receiver));
        let cancel = request.cancellation_handle();
        let call = tokio::spawn(async move { client.create_users(request).await });

        for n in 0..2 {
            sender.send(new_user(n)).await.expect("the call is running");
            expect_event(
                &mut events,
                ServerEvent::Read(format!("New {n}")),
                "create_users should read each request as it arrives",
            )
            .await;
        }

        cancel.cancel();
        let result = within("the cancelled call to return", call)
            .await
            .expect("the call task does not panic");
        expect_code(result, Code::Cancelled);
        // ANCHOR_END: cancellation_handle
        expect_event(
            &mut events,
            ServerEvent::Ended,
            "the cancelled call should end on the server",
        )
        .await;
        assert_eq!(store.len(), 3, "a cancelled upload must store nothing");
        drop(sender);
    }
    // ANCHOR_END: a_call_cancelled_with_its_cancellation_handle_stores_nothing

    // ANCHOR: ending_the_request_stream_is_what_commits_the_batch
    #[tokio::test]
    async fn ending_the_request_stream_is_what_commits_the_batch() {
        let (server, store, mut events) = observed_server(3).await;
        let mut client = UserServiceClient::new(server.channel());
        let (sender, receiver) = mpsc::channel(8);
        let call =
            tokio::spawn(async move { client.create_users(ReceiverStream::new(receiver)).await });

        for n in 0..2 {
            sender.send(new_user(n)).await.expect("the call is running");
            expect_event(
                &mut events,
                ServerEvent::Read(format!("New {n}")),
                "create_users should read each request as it arrives",
            )
            .await;
        }
        assert_eq!(store.len(), 3, "nothing is stored before the stream ends");

        // Dropping the sender ends the stream: tonic half-closes the call (END_STREAM),
        // which is the client saying "that was the whole batch".
        drop(sender);
        let response = within("the response", call)
            .await
            .expect("the call task does not panic")
            .expect("a finished valid batch is stored")
            .into_inner();
        assert_eq!(ids(&response.users), [4, 5]);
        assert_eq!(store.len(), 5);
    }
    // ANCHOR_END: ending_the_request_stream_is_what_commits_the_batch
}

mod step_5_service {
    use super::*;

    #[tokio::test]
    async fn create_users_over_grpc_stores_the_batch_after_the_seeded_users() {
        let (store, routes) = user_service(10);
        let server = TestServer::start(routes).await;
        let mut client = UserServiceClient::new(server.channel());

        let response = client
            .create_users(tokio_stream::iter(new_users(0..3)))
            .await
            .expect("a valid batch should be stored: implement UserServiceImpl::create_users")
            .into_inner();

        assert_eq!(response.count, 3);
        assert_eq!(ids(&response.users), [11, 12, 13]);
        assert_eq!(store.len(), 13);
    }

    // ANCHOR: an_invalid_batch_over_grpc_carries_decodable_bad_request_details
    #[tokio::test]
    async fn an_invalid_batch_over_grpc_carries_decodable_bad_request_details() {
        let (store, routes) = user_service(10);
        let server = TestServer::start(routes).await;
        let mut client = UserServiceClient::new(server.channel());

        let batch = vec![new_user(0), request("Ada", "ada.example.com"), new_user(2)];
        let status = expect_code(
            client.create_users(tokio_stream::iter(batch)).await,
            Code::InvalidArgument,
        );
        // ANCHOR: decode_details
        // The client decodes `grpc-status-details-bin` with tonic-types.
        let details = status.get_error_details();
        let bad_request = details.bad_request().expect(
            "the status should carry google.rpc.BadRequest details (Status::with_error_details)",
        );
        assert_eq!(
            fields_of(&bad_request.field_violations),
            ["requests[1].email"]
        );
        assert_eq!(bad_request.field_violations[0].reason, "EMAIL_AT_SIGN");
        // ANCHOR_END: decode_details
        assert!(status.message().contains("requests[1].email"));
        assert_eq!(store.len(), 10, "nothing of an invalid batch is stored");

        let next = client
            .create_users(tokio_stream::iter(new_users(5..6)))
            .await
            .expect("a later valid batch is stored")
            .into_inner();
        assert_eq!(ids(&next.users), [11]);
    }
    // ANCHOR_END: an_invalid_batch_over_grpc_carries_decodable_bad_request_details

    // ANCHOR: a_full_batch_of_invalid_requests_still_reaches_the_client_as_invalid_argument
    #[tokio::test]
    async fn a_full_batch_of_invalid_requests_still_reaches_the_client_as_invalid_argument() {
        let (store, routes) = user_service(1);
        let server = TestServer::start(routes).await;
        let mut client = UserServiceClient::new(server.channel());

        let batch: Vec<CreateUserRequest> = (0..MAX_BATCH_SIZE)
            .map(|n| request(&format!("Bad {n}"), "not-an-email"))
            .collect();
        let status = expect_code(
            client.create_users(tokio_stream::iter(batch)).await,
            Code::InvalidArgument,
        );
        assert_eq!(violations_of(&status).len(), MAX_REPORTED_VIOLATIONS);
        assert_eq!(store.len(), 1);
    }
    // ANCHOR_END: a_full_batch_of_invalid_requests_still_reaches_the_client_as_invalid_argument

    // ANCHOR: a_batch_over_max_batch_size_over_grpc_is_resource_exhausted
    #[tokio::test]
    async fn a_batch_over_max_batch_size_over_grpc_is_resource_exhausted() {
        let (store, routes) = user_service(1);
        let server = TestServer::start(routes).await;
        let mut client = UserServiceClient::new(server.channel());

        let status = expect_code(
            client
                .create_users(tokio_stream::iter(new_users(0..MAX_BATCH_SIZE + 1)))
                .await,
            Code::ResourceExhausted,
        );
        assert!(status.message().contains(&MAX_BATCH_SIZE.to_string()));
        assert_eq!(store.len(), 1);
    }
    // ANCHOR_END: a_batch_over_max_batch_size_over_grpc_is_resource_exhausted

    // ANCHOR: an_undecodable_message_mid_stream_stores_nothing
    #[tokio::test]
    async fn an_undecodable_message_mid_stream_stores_nothing() {
        let (store, routes) = user_service(2);
        let server = TestServer::start(routes).await;

        // Two good messages, then field 1 (`name`, a string) sent as a varint: prost
        // refuses it, and the server's stream yields an error instead of a third request.
        let good = |n| prost::Message::encode_to_vec(&new_user(n));
        let result = test_support::raw_client_streaming_call(
            server.channel(),
            "/user.UserService/CreateUsers",
            vec![good(0), good(1), vec![0x08, 0x01]],
        )
        .await;
        expect_code(result, Code::Internal);
        assert_eq!(store.len(), 2, "a batch whose stream broke stores nothing");

        let mut client = UserServiceClient::new(server.channel());
        let next = client
            .create_users(tokio_stream::iter(new_users(0..1)))
            .await
            .expect("the server keeps serving after bad input")
            .into_inner();
        assert_eq!(ids(&next.users), [3]);
    }
    // ANCHOR_END: an_undecodable_message_mid_stream_stores_nothing

    // ANCHOR: concurrent_batches_lose_and_duplicate_nothing
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_batches_lose_and_duplicate_nothing() {
        const SEED: i32 = 10;
        const BATCHES: usize = 20;
        const PER_BATCH: usize = 50;
        let (store, routes) = user_service(SEED);
        let server = TestServer::start(routes).await;
        let client = UserServiceClient::new(server.channel());

        let mut calls = tokio::task::JoinSet::new();
        for batch in 0..BATCHES {
            let mut client = client.clone();
            let requests = new_users(batch * PER_BATCH..(batch + 1) * PER_BATCH);
            calls.spawn(async move {
                let response = client.create_users(tokio_stream::iter(requests)).await;
                (batch, response)
            });
        }

        let mut all_ids = Vec::new();
        while let Some(joined) = within("the concurrent batches", calls.join_next()).await {
            let (batch, response) = joined.expect("no call task panics");
            let response = response
                .unwrap_or_else(|status| {
                    panic!("batch {batch} failed: {}", describe_status(&status))
                })
                .into_inner();
            assert_eq!(response.count as usize, PER_BATCH, "batch {batch}");
            let batch_ids = ids(&response.users);
            let first = batch_ids[0];
            assert_eq!(
                batch_ids,
                (first..first + PER_BATCH as i32).collect::<Vec<_>>(),
                "batch {batch}: a batch's ids are consecutive, allocated under one lock"
            );
            assert_eq!(
                response.users[0].name,
                format!("New {}", batch * PER_BATCH),
                "batch {batch}: users in request order"
            );
            all_ids.extend(batch_ids);
        }

        let unique: BTreeSet<i32> = all_ids.iter().copied().collect();
        assert_eq!(all_ids.len(), BATCHES * PER_BATCH, "every user created");
        assert_eq!(unique.len(), all_ids.len(), "no id handed out twice");
        assert_eq!(
            unique,
            (SEED + 1..=SEED + (BATCHES * PER_BATCH) as i32).collect(),
            "ids follow the seeded users without gaps"
        );
        assert_eq!(
            store.len(),
            SEED as usize + BATCHES * PER_BATCH,
            "the store holds them all"
        );
    }
    // ANCHOR_END: concurrent_batches_lose_and_duplicate_nothing

    #[tokio::test]
    async fn answers_snapshot() {
        let long_email = format!("{}@example.com", "a".repeat(MAX_EMAIL_BYTES));
        let long_name = "n".repeat(MAX_NAME_CHARS + 1);
        let many_bad: Vec<CreateUserRequest> =
            (0..25).map(|n| request(&format!("Bad {n}"), "")).collect();
        let cases: Vec<(&str, Vec<CreateUserRequest>)> = vec![
            ("one valid request", vec![request("Ada", "ada@example.com")]),
            ("an empty stream", vec![]),
            ("a blank name", vec![request("   ", "ada@example.com")]),
            (
                "a name of 101 characters",
                vec![request(&long_name, "ada@example.com")],
            ),
            ("an empty email", vec![request("Ada", "")]),
            ("an email of 266 bytes", vec![request("Ada", &long_email)]),
            (
                "whitespace in the email",
                vec![request("Ada", "ada @example.com")],
            ),
            ("no '@'", vec![request("Ada", "ada.example.com")]),
            ("two '@'", vec![request("Ada", "ada@@example.com")]),
            ("no local part", vec![request("Ada", "@example.com")]),
            (
                "a domain without a dot",
                vec![request("Ada", "ada@localhost")],
            ),
            (
                "an empty domain label",
                vec![request("Ada", "ada@example..com")],
            ),
            (
                "both fields bad in the third request",
                vec![new_user(0), new_user(1), request("", "nope")],
            ),
            ("25 requests with empty emails", many_bad),
            ("10001 valid requests", new_users(0..MAX_BATCH_SIZE + 1)),
        ];

        let mut transcript = String::new();
        for (title, batch) in cases {
            let (store, routes) = user_service(2);
            let mut client = UserServiceClient::new(serve_in_memory(routes).await);
            let result = client.create_users(tokio_stream::iter(batch)).await;
            transcript.push_str(&format!("## {title}\n"));
            match result {
                Ok(response) => {
                    let response = response.into_inner();
                    transcript.push_str(&format!(
                        "Ok: count {}, ids {:?}\n",
                        response.count,
                        ids(&response.users)
                    ));
                }
                Err(status) => {
                    transcript.push_str(&format!("{}\n", describe_status(&status)));
                    for v in violations_of(&status) {
                        transcript
                            .push_str(&format!("  {} {}: {}\n", v.field, v.reason, v.description));
                    }
                }
            }
            transcript.push_str(&format!("store: {} users\n\n", store.len()));
        }

        test_support::snapshot_settings().bind(|| {
            insta::assert_snapshot!("create_users_answers", transcript);
        });
    }
}

mod step_6_client {
    use super::*;

    #[tokio::test]
    async fn uploads_a_stream_fed_by_a_producer_task() {
        let (store, routes) = user_service(4);
        let server = TestServer::start(routes).await;

        // A producer that makes requests one at a time, as the seed's Python generator
        // does; the channel holds at most one, so it waits whenever tonic is not pulling.
        let (sender, receiver) = mpsc::channel(1);
        let producer = tokio::spawn(async move {
            for n in 0..3 {
                if sender.send(new_user(n)).await.is_err() {
                    break;
                }
            }
        });

        let response = within(
            "the upload",
            upload_users(
                server.channel(),
                ReceiverStream::new(receiver),
                UPLOAD_DEADLINE,
            ),
        )
        .await
        .expect("a valid upload is stored");
        producer.await.expect("the producer does not panic");

        assert_eq!(response.count, 3);
        assert_eq!(ids(&response.users), [5, 6, 7]);
        assert_eq!(store.len(), 7);
    }

    #[tokio::test]
    async fn passes_the_servers_status_and_details_through() {
        let (store, routes) = user_service(4);
        let server = TestServer::start(routes).await;

        let batch = vec![new_user(0), request("", "ada@example.com")];
        let status = expect_code(
            upload_users(server.channel(), tokio_stream::iter(batch), UPLOAD_DEADLINE).await,
            Code::InvalidArgument,
        );
        assert_eq!(fields_of(&violations_of(&status)), ["requests[1].name"]);
        assert_eq!(store.len(), 4);
    }

    // ANCHOR: an_upload_that_stalls_past_its_deadline_fails_and_stores_nothing
    #[tokio::test]
    async fn an_upload_that_stalls_past_its_deadline_fails_and_stores_nothing() {
        let (server, store, mut events) = observed_server(4).await;
        let (sender, receiver) = mpsc::channel(8);
        sender.send(new_user(0)).await.expect("the channel is open");

        // The producer sends one request and then stalls (the sender stays alive).
        let result = within(
            "the upload's deadline to expire",
            upload_users(
                server.channel(),
                ReceiverStream::new(receiver),
                Duration::from_millis(500),
            ),
        )
        .await;
        let status = result.expect_err(
            "an upload whose stream never ends must fail at its deadline: set one on the request",
        );
        // tonic reports a client-side expired deadline as CANCELLED; chapter 7 is about that.
        assert!(
            matches!(status.code(), Code::Cancelled | Code::DeadlineExceeded),
            "expected the deadline to end the call, got {}",
            describe_status(&status)
        );

        // The server read the request (unless the deadline beat it), then gave up too.
        loop {
            let event = within("the server to end the call", events.recv())
                .await
                .expect("the server keeps its event sender");
            if event == ServerEvent::Ended {
                break;
            }
        }
        assert_eq!(
            store.len(),
            4,
            "an upload that never finished stores nothing"
        );
        drop(sender);
    }
    // ANCHOR_END: an_upload_that_stalls_past_its_deadline_fails_and_stores_nothing
}
