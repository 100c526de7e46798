//! Lab 12's tests, in the order of the TODOs: the call context, sorting downstream failures,
//! the author directory, the feed's two methods; then the whole system end to end, with
//! the real `UserService` on a socket and a failure injected mid-test.
//!
//! The same file tests your code (`cargo test -p lab12-capstone`) and the reference solution
//! (`cargo test -p solution12-capstone`).
//!
//! Steps 1 to 4 run with tokio's clock paused (`start_paused = true`) and every server on an
//! in-memory pipe: a 300 ms deadline passes instantly and always at the same instant, so the
//! tests can say "the feed answered at exactly 250 ms". Counting the calls `UserService`
//! received is how they tell one lookup per author from one per post.

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc, time::Duration};

use lab08::{BearerAuth, Role};
use lab12::{
    Authors, CallContext, Failure, FeedServer, PostStore, REQUEST_ID, UserDirectory, classify,
    is_valid_request_id,
    testing::{Mode, ScriptedUsers},
};
use test_support::{describe_result, describe_status, expect_code, serve_in_memory};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle, time::Instant};
use tonic::{
    Code, Request, Status,
    metadata::{AsciiMetadataValue, MetadataValue},
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use workbook_proto::feed::v1::{
    Author, CreatePostRequest, GetFeedRequest, GetFeedResponse, Post,
    feed_service_client::FeedServiceClient,
};

const WRITER: &str = "writer-token";
const READER: &str = "reader-token";

/// The tokens both services accept: one that may write, one that may only read.
fn tokens() -> BearerAuth {
    BearerAuth::new()
        .with_token(WRITER, Role::ReadWrite)
        .with_token(READER, Role::ReadOnly)
}

/// A request carrying `message`, the bearer `token` (if any) and a deadline (if any).
fn request<T>(message: T, token: Option<&str>, timeout: Option<Duration>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        let value = MetadataValue::try_from(format!("Bearer {token}")).expect("ASCII");
        request.metadata_mut().insert("authorization", value);
    }
    if let Some(timeout) = timeout {
        request.set_timeout(timeout);
    }
    request
}

fn post(author_id: i32, text: &str) -> CreatePostRequest {
    CreatePostRequest {
        author_id,
        text: text.to_owned(),
    }
}

fn author(id: i32) -> Author {
    Author {
        id,
        name: format!("User {id}"),
    }
}

/// The `grpc-timeout` of `request`, read back.
fn timeout_of<T>(request: &Request<T>) -> Option<Duration> {
    let value = request.metadata().get("grpc-timeout")?.to_str().ok()?;
    lab07::parse_grpc_timeout(value)
}

/// A feed, in memory, whose `UserService` is `users`, also in memory; with the test tokens.
struct Feed {
    client: FeedServiceClient<Channel>,
    posts: Arc<PostStore>,
    channel: Channel,
}

impl Feed {
    async fn over(users: &ScriptedUsers) -> Self {
        let users_channel = serve_in_memory(users.routes()).await;
        let posts = Arc::new(PostStore::new());
        let feed = FeedServer::new(posts.clone(), UserDirectory::new(users_channel));
        let routes = lab12::routes(feed, Some(tokens()))
            .await
            .expect("the feed's routes build");
        let channel = serve_in_memory(routes).await;
        Self {
            client: FeedServiceClient::new(channel.clone()),
            posts,
            channel,
        }
    }

    async fn create(&self, message: CreatePostRequest) -> Result<Post, Status> {
        let response = self
            .client
            .clone()
            .create_post(request(message, Some(WRITER), Some(Duration::from_secs(1))))
            .await?;
        Ok(response.into_inner())
    }

    async fn feed(&self, limit: i32) -> Result<GetFeedResponse, Status> {
        let response = self
            .client
            .clone()
            .get_feed(request(
                GetFeedRequest { limit },
                Some(READER),
                Some(Duration::from_secs(1)),
            ))
            .await?;
        Ok(response.into_inner())
    }
}

/// A feed as a reader sees it: one line per post, and whether it is degraded.
fn render(response: &GetFeedResponse) -> String {
    let mut lines = vec![format!("degraded: {}", response.degraded)];
    for post in &response.posts {
        let by = match &post.author {
            Some(author) => format!("{} (id {})", author.name, author.id),
            None => format!("<unknown> (id {})", post.author_id),
        };
        lines.push(format!("#{} by {by}: {}", post.id, post.text));
    }
    lines.join("\n")
}

mod step_1 {
    //! `CallContext`: the deadline shrinks, the credentials and the request id travel.

    use super::*;

    fn arriving(timeout: Option<Duration>) -> Request<()> {
        request((), Some(WRITER), timeout)
    }

    // ANCHOR: the_downstream_timeout_is_what_is_left_minus_the_margin
    #[tokio::test(start_paused = true)]
    async fn the_downstream_timeout_is_what_is_left_minus_the_margin() {
        let context = CallContext::from_request(&arriving(Some(Duration::from_secs(1))));
        let first = context.downstream(()).expect("plenty of time");
        assert_eq!(
            timeout_of(&first),
            Some(Duration::from_millis(950)),
            "1 s from the caller, no time spent yet: 950 ms downstream, keeping the 50 ms margin"
        );

        tokio::time::advance(Duration::from_millis(300)).await;
        let later = context.downstream(()).expect("still time");
        assert_eq!(
            timeout_of(&later),
            Some(Duration::from_millis(650)),
            "300 ms later the downstream call gets 300 ms less: the deadline is an instant, \
             fixed when the call arrived"
        );
    }
    // ANCHOR_END: the_downstream_timeout_is_what_is_left_minus_the_margin

    // ANCHOR: a_caller_without_a_deadline_still_gives_downstream_calls_one
    #[tokio::test(start_paused = true)]
    async fn a_caller_without_a_deadline_still_gives_downstream_calls_one() {
        let context = CallContext::from_request(&arriving(None));
        let request = context.downstream(()).expect("plenty of time");
        assert_eq!(
            timeout_of(&request),
            Some(lab07::DEFAULT_DOWNSTREAM_DEADLINE - lab07::PROPAGATION_MARGIN),
            "no caller deadline: the default budget (5 s) minus the margin; a downstream call \
             without any deadline could hang forever"
        );
    }
    // ANCHOR_END: a_caller_without_a_deadline_still_gives_downstream_calls_one

    // ANCHOR: no_budget_left_is_deadline_exceeded_before_anything_is_sent
    #[tokio::test(start_paused = true)]
    async fn no_budget_left_is_deadline_exceeded_before_anything_is_sent() {
        let context = CallContext::from_request(&arriving(Some(Duration::from_millis(40))));
        let status = expect_code(context.downstream(()), Code::DeadlineExceeded);
        assert!(
            status.message().contains("not calling"),
            "say why nothing was sent: {status:?}"
        );

        let context = CallContext::from_request(&arriving(Some(Duration::from_secs(1))));
        tokio::time::advance(Duration::from_millis(950)).await;
        expect_code(context.downstream(()), Code::DeadlineExceeded);
    }
    // ANCHOR_END: no_budget_left_is_deadline_exceeded_before_anything_is_sent

    // ANCHOR: the_callers_credentials_are_forwarded_unchanged_and_sensitive
    #[tokio::test]
    async fn the_callers_credentials_are_forwarded_unchanged_and_sensitive() {
        let context = CallContext::from_request(&arriving(None));
        let forwarded = context.downstream(()).expect("time left");
        let authorization = forwarded
            .metadata()
            .get("authorization")
            .expect("the caller's authorization is forwarded");
        assert_eq!(authorization, format!("Bearer {WRITER}").as_str());
        assert!(
            authorization.is_sensitive(),
            "mark a forwarded credential sensitive, so HPACK never indexes it"
        );

        let anonymous = CallContext::from_request(&request((), None, None));
        let forwarded = anonymous.downstream(()).expect("time left");
        assert!(
            forwarded.metadata().get("authorization").is_none(),
            "no credentials in, none out"
        );
    }
    // ANCHOR_END: the_callers_credentials_are_forwarded_unchanged_and_sensitive

    // ANCHOR: a_request_id_is_kept_when_valid_and_made_when_missing_or_unusable
    #[tokio::test]
    async fn a_request_id_is_kept_when_valid_and_made_when_missing_or_unusable() {
        let mut incoming = arriving(None);
        incoming
            .metadata_mut()
            .insert(REQUEST_ID, AsciiMetadataValue::from_static("req-42.a_b"));
        let context = CallContext::from_request(&incoming);
        assert_eq!(context.request_id, "req-42.a_b");
        let forwarded = context.downstream(()).expect("time left");
        assert_eq!(
            forwarded
                .metadata()
                .get(REQUEST_ID)
                .map(|v| v.to_str().unwrap()),
            Some("req-42.a_b"),
            "the request id goes downstream"
        );

        let made = CallContext::from_request(&arriving(None)).request_id;
        let other = CallContext::from_request(&arriving(None)).request_id;
        assert!(
            is_valid_request_id(&made),
            "a made id is valid itself: {made:?}"
        );
        assert_eq!(made.len(), 32, "128 random bits as hex: {made:?}");
        assert_ne!(made, other, "every call gets its own id");

        for unusable in ["has space", "semi;colon", &"x".repeat(65)] {
            let mut incoming = arriving(None);
            incoming.metadata_mut().insert(
                REQUEST_ID,
                AsciiMetadataValue::try_from(unusable).expect("ASCII"),
            );
            let id = CallContext::from_request(&incoming).request_id;
            assert_ne!(id, unusable, "an unusable id is replaced, not forwarded");
            assert!(is_valid_request_id(&id));
        }
    }
    // ANCHOR_END: a_request_id_is_kept_when_valid_and_made_when_missing_or_unusable

    // ANCHOR: valid_request_ids_are_short_and_plain
    #[test]
    fn valid_request_ids_are_short_and_plain() {
        assert!(is_valid_request_id("0af7651916cd43dd8448eb211c80319c"));
        assert!(is_valid_request_id("a"));
        assert!(is_valid_request_id(&"x".repeat(64)));
        assert!(!is_valid_request_id(""));
        assert!(!is_valid_request_id(&"x".repeat(65)));
        assert!(!is_valid_request_id("new\nline"));
        assert!(!is_valid_request_id("é"));
    }
    // ANCHOR_END: valid_request_ids_are_short_and_plain
}

mod step_2 {
    //! `classify`: what a failed `UserService` call means for the feed.

    use super::*;

    // ANCHOR: every_code_has_a_meaning_for_the_feed
    #[test]
    fn every_code_has_a_meaning_for_the_feed() {
        let mut table = String::new();
        for code in (1..=16).map(Code::from_i32) {
            let kind = match classify(Status::new(code, "from UserService")) {
                Failure::Refused(status) => format!("Refused({})", describe_status(&status)),
                Failure::NoSuchUser => "NoSuchUser".to_owned(),
                Failure::NoAnswer(status) => {
                    format!("NoAnswer({})", describe_status(&status))
                }
            };
            table.push_str(&format!("{code:?} -> {kind}\n"));
        }
        test_support::snapshot_settings()
            .bind(|| insta::assert_snapshot!("downstream_failures", table));
    }
    // ANCHOR_END: every_code_has_a_meaning_for_the_feed

    // ANCHOR: tonics_own_timeout_is_a_deadline
    #[tokio::test(start_paused = true)]
    async fn tonics_own_timeout_is_a_deadline() {
        let users = ScriptedUsers::with_users(3);
        users.set_mode(Mode::Hang);
        let mut client = workbook_proto::user::user_service_client::UserServiceClient::new(
            serve_in_memory(users.routes()).await,
        );
        let mut hanging = Request::new(workbook_proto::user::GetUserRequest { id: 1 });
        hanging.set_timeout(Duration::from_millis(100));
        let timed_out = client.get_user(hanging).await.expect_err("it hangs");
        assert_eq!(
            timed_out.code(),
            Code::Cancelled,
            "tonic's own timeout, as tonic reports it"
        );

        match classify(timed_out) {
            Failure::NoAnswer(status) => assert_eq!(
                status.code(),
                Code::DeadlineExceeded,
                "tonic's expired timeout is CANCELLED \"Timeout expired\": really a deadline"
            ),
            other => panic!("a timeout is NoAnswer, got {other:?}"),
        }
    }
    // ANCHOR_END: tonics_own_timeout_is_a_deadline

    // ANCHOR: a_refusal_keeps_the_status_exactly
    #[test]
    fn a_refusal_keeps_the_status_exactly() {
        let status = Status::permission_denied("read-only token");
        match classify(status) {
            Failure::Refused(refused) => {
                assert_eq!(refused.code(), Code::PermissionDenied);
                assert_eq!(refused.message(), "read-only token");
            }
            other => panic!("PERMISSION_DENIED is Refused, got {other:?}"),
        }
    }
    // ANCHOR_END: a_refusal_keeps_the_status_exactly
}

mod step_3 {
    //! `UserDirectory`: one lookup per author, all at once, the cache as a fallback.

    use super::*;

    async fn directory(users: &ScriptedUsers) -> UserDirectory {
        UserDirectory::new(serve_in_memory(users.routes()).await)
    }

    fn context(timeout: Duration) -> CallContext {
        let mut incoming = request((), Some(WRITER), Some(timeout));
        incoming
            .metadata_mut()
            .insert(REQUEST_ID, AsciiMetadataValue::from_static("trace-me"));
        CallContext::from_request(&incoming)
    }

    // ANCHOR: a_lookup_carries_the_callers_deadline_credentials_and_request_id
    #[tokio::test(start_paused = true)]
    async fn a_lookup_carries_the_callers_deadline_credentials_and_request_id() {
        let users = ScriptedUsers::with_users(3);
        let directory = directory(&users).await;

        let found = directory
            .lookup(&context(Duration::from_secs(1)), 2)
            .await
            .expect("user 2 exists");
        assert_eq!(found, author(2));

        let calls = users.calls();
        assert_eq!(calls.len(), 1, "one lookup, one call: {calls:?}");
        assert_eq!(calls[0].id, 2);
        assert_eq!(
            calls[0].authorization.as_deref(),
            Some("Bearer writer-token")
        );
        assert_eq!(calls[0].request_id.as_deref(), Some("trace-me"));
        assert_eq!(
            calls[0].timeout,
            Some(Duration::from_millis(950)),
            "UserService received the caller's 1 s minus the 50 ms margin"
        );
        assert_eq!(
            directory.cached(2),
            Some(author(2)),
            "a good answer is remembered for when UserService cannot answer"
        );
    }
    // ANCHOR_END: a_lookup_carries_the_callers_deadline_credentials_and_request_id

    // ANCHOR: each_failure_is_sorted
    #[tokio::test(start_paused = true)]
    async fn each_failure_is_sorted() {
        let users = ScriptedUsers::with_users(3);
        let directory = directory(&users).await;
        let context = context(Duration::from_secs(1));

        let mut seen = Vec::new();
        for (mode, id) in [
            (Mode::Up, 99),
            (Mode::Down, 1),
            (Mode::Refuse, 1),
            (Mode::Hang, 1),
        ] {
            users.set_mode(mode);
            let result = directory.lookup(&context, id).await;
            seen.push(format!("{mode:?} id {id}: {result:?}"));
        }
        let seen = seen.join("\n");
        assert!(seen.contains("Up id 99: Err(NoSuchUser)"), "{seen}");
        assert!(
            seen.contains("Down id 1: Err(NoAnswer(Status { code: Unavailable"),
            "{seen}"
        );
        assert!(
            seen.contains("Refuse id 1: Err(Refused(Status { code: Unauthenticated"),
            "{seen}"
        );
        assert!(
            seen.contains("Hang id 1: Err(NoAnswer(Status { code: DeadlineExceeded"),
            "a lookup that never returns ends at its deadline: {seen}"
        );
        assert_eq!(directory.cached(1), None, "nothing good was ever answered");
    }
    // ANCHOR_END: each_failure_is_sorted

    // ANCHOR: each_distinct_author_is_looked_up_once
    #[tokio::test(start_paused = true)]
    async fn each_distinct_author_is_looked_up_once() {
        let users = ScriptedUsers::with_users(3);
        let directory = directory(&users).await;

        let authors = directory
            .authors(&context(Duration::from_secs(1)), [1, 2, 1, 3, 2, 1])
            .await
            .expect("all up");
        assert_eq!(
            users.ids_asked(),
            vec![1, 2, 3],
            "six posts by three authors: three calls, not six"
        );
        assert_eq!(
            authors,
            Authors {
                found: (1..=3).map(|id| (id, author(id))).collect(),
                degraded: false,
            }
        );
    }
    // ANCHOR_END: each_distinct_author_is_looked_up_once

    // ANCHOR: lookups_run_at_the_same_time
    #[tokio::test(start_paused = true)]
    async fn lookups_run_at_the_same_time() {
        let users = ScriptedUsers::with_users(3);
        users.set_mode(Mode::Hang);
        let directory = directory(&users).await;

        let start = Instant::now();
        let authors = directory
            .authors(&context(Duration::from_secs(1)), [1, 2, 3])
            .await
            .expect("hanging is not a refusal");
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(950),
            "three hanging lookups end together at the one deadline (950 ms), not one after \
             another (2850 ms)"
        );
        assert_eq!(users.ids_asked(), vec![1, 2, 3]);
        assert!(authors.degraded);
        assert!(authors.found.is_empty(), "nothing cached: {authors:?}");
    }
    // ANCHOR_END: lookups_run_at_the_same_time

    // ANCHOR: when_user_service_cannot_answer_the_cache_fills_in
    #[tokio::test(start_paused = true)]
    async fn when_user_service_cannot_answer_the_cache_fills_in() {
        let users = ScriptedUsers::with_users(3);
        let directory = directory(&users).await;
        let context = context(Duration::from_secs(1));
        directory.authors(&context, [1, 2]).await.expect("up");

        for mode in [Mode::Down, Mode::Hang] {
            users.set_mode(mode);
            let authors = directory
                .authors(&context, [1, 2, 3])
                .await
                .expect("an outage degrades, it does not fail");
            assert_eq!(
                authors,
                Authors {
                    found: [(1, author(1)), (2, author(2))].into_iter().collect(),
                    degraded: true,
                },
                "{mode:?}: users 1 and 2 from the cache, user 3 never seen"
            );
        }
    }
    // ANCHOR_END: when_user_service_cannot_answer_the_cache_fills_in

    // ANCHOR: unknown_users_are_left_out_without_degrading
    #[tokio::test(start_paused = true)]
    async fn unknown_users_are_left_out_without_degrading() {
        let users = ScriptedUsers::with_users(3);
        let directory = directory(&users).await;
        let authors = directory
            .authors(&context(Duration::from_secs(1)), [1, 99])
            .await
            .expect("up");
        assert_eq!(
            authors,
            Authors {
                found: [(1, author(1))].into_iter().collect(),
                degraded: false,
            },
            "NOT_FOUND is an answer: nothing is missing that UserService could have given"
        );
    }
    // ANCHOR_END: unknown_users_are_left_out_without_degrading

    // ANCHOR: a_refusal_fails_the_whole_lookup
    #[tokio::test(start_paused = true)]
    async fn a_refusal_fails_the_whole_lookup() {
        let users = ScriptedUsers::with_users(3);
        let directory = directory(&users).await;
        let context = context(Duration::from_secs(1));
        directory.authors(&context, [1]).await.expect("up");

        users.set_mode(Mode::Refuse);
        let status = expect_code(
            directory.authors(&context, [1, 2]).await,
            Code::Unauthenticated,
        );
        assert_eq!(
            status.message(),
            "scripted: token not accepted",
            "the caller hears UserService's refusal as it was; a cache must not serve a caller \
             whose credentials were refused"
        );
    }
    // ANCHOR_END: a_refusal_fails_the_whole_lookup

    // ANCHOR: no_budget_left_means_no_call_and_the_cache
    #[tokio::test(start_paused = true)]
    async fn no_budget_left_means_no_call_and_the_cache() {
        let users = ScriptedUsers::with_users(3);
        let directory = directory(&users).await;
        directory
            .authors(&context(Duration::from_secs(1)), [1])
            .await
            .expect("up");

        let short = context(Duration::from_millis(30));
        let authors = directory.authors(&short, [1, 2]).await.expect("degrades");
        assert_eq!(
            users.ids_asked(),
            vec![1],
            "no call without the budget for it"
        );
        assert_eq!(
            authors,
            Authors {
                found: [(1, author(1))].into_iter().collect(),
                degraded: true,
            }
        );
    }
    // ANCHOR_END: no_budget_left_means_no_call_and_the_cache
}

mod step_4 {
    //! `CreatePost` fails closed; `GetFeed` degrades.

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn create_post_stores_a_post_by_an_existing_author() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;

        let first = feed.create(post(1, "hello")).await.expect("stored");
        let second = feed.create(post(2, "hi there")).await.expect("stored");
        assert_eq!(
            (first.id, first.author, first.text.as_str()),
            (1, Some(author(1)), "hello")
        );
        assert_eq!((second.id, second.author), (2, Some(author(2))));
        assert_eq!(feed.posts.len(), 2);
        assert_eq!(users.ids_asked(), vec![1, 2], "each author checked once");
    }

    // ANCHOR: create_post_refuses_bad_posts_without_asking_user_service
    #[tokio::test(start_paused = true)]
    async fn create_post_refuses_bad_posts_without_asking_user_service() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;

        let mut answers = Vec::new();
        for bad in [
            post(0, "hello"),
            post(-3, "hello"),
            post(1, ""),
            post(1, "   "),
            post(1, &"é".repeat(281)),
        ] {
            let summary = format!(
                "author {} text {} chars",
                bad.author_id,
                bad.text.chars().count()
            );
            let result = feed.create(bad).await;
            answers.push(format!("{summary}: {}", describe_result(&result)));
        }
        test_support::snapshot_settings()
            .bind(|| insta::assert_snapshot!("create_post_refusals", answers.join("\n")));
        assert!(users.calls().is_empty(), "validation comes before any call");
        assert!(feed.posts.is_empty());

        feed.create(post(1, &"é".repeat(280)))
            .await
            .expect("280 characters is allowed, however many bytes they take");
    }
    // ANCHOR_END: create_post_refuses_bad_posts_without_asking_user_service

    // ANCHOR: an_unknown_author_is_failed_precondition_and_nothing_is_stored
    #[tokio::test(start_paused = true)]
    async fn an_unknown_author_is_failed_precondition_and_nothing_is_stored() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;
        let status = expect_code(
            feed.create(post(7, "hello")).await,
            Code::FailedPrecondition,
        );
        assert!(
            status.message().contains('7'),
            "name the author: {status:?}"
        );
        assert!(feed.posts.is_empty());
    }
    // ANCHOR_END: an_unknown_author_is_failed_precondition_and_nothing_is_stored

    // ANCHOR: when_user_service_is_down_or_slow_create_post_fails_closed
    #[tokio::test(start_paused = true)]
    async fn when_user_service_is_down_or_slow_create_post_fails_closed() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;

        users.set_mode(Mode::Down);
        let status = expect_code(feed.create(post(1, "hello")).await, Code::Unavailable);
        assert!(
            status.message().contains("not stored"),
            "tell the client its post is not stored, so it retries: {status:?}"
        );

        users.set_mode(Mode::Hang);
        let start = Instant::now();
        expect_code(feed.create(post(1, "hello")).await, Code::Unavailable);
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(950),
            "the feed answered within the client's 1 s, when its 950 ms lookup gave up"
        );
        assert!(feed.posts.is_empty(), "an unchecked post is never stored");
    }
    // ANCHOR_END: when_user_service_is_down_or_slow_create_post_fails_closed

    // ANCHOR: credentials_are_checked_by_the_feed_and_refusals_passed_on
    #[tokio::test(start_paused = true)]
    async fn credentials_are_checked_by_the_feed_and_refusals_passed_on() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;
        let mut client = feed.client.clone();

        let anonymous = client.create_post(request(post(1, "hi"), None, None)).await;
        expect_code(anonymous, Code::Unauthenticated);
        let reader = client
            .create_post(request(post(1, "hi"), Some(READER), None))
            .await;
        expect_code(reader, Code::PermissionDenied);
        assert!(users.calls().is_empty(), "refused at the feed's door");

        users.set_mode(Mode::Refuse);
        let status = expect_code(feed.create(post(1, "hi")).await, Code::Unauthenticated);
        assert_eq!(status.message(), "scripted: token not accepted");
        assert!(feed.posts.is_empty());

        feed.posts.insert(1, "stored earlier".to_owned());
        let status = expect_code(feed.feed(0).await, Code::Unauthenticated);
        assert_eq!(
            status.message(),
            "scripted: token not accepted",
            "UserService's refusal, not a degraded feed"
        );
    }
    // ANCHOR_END: credentials_are_checked_by_the_feed_and_refusals_passed_on

    #[tokio::test(start_paused = true)]
    async fn get_feed_shows_the_newest_posts_with_their_authors() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;
        for (author_id, text) in [(1, "first"), (2, "second"), (1, "third"), (3, "fourth")] {
            feed.create(post(author_id, text)).await.expect("stored");
        }
        let before = users.calls().len();

        let page = feed.feed(3).await.expect("a feed");
        test_support::snapshot_settings()
            .bind(|| insta::assert_snapshot!("feed_newest_three", render(&page)));
        assert_eq!(
            users.calls().len() - before,
            3,
            "three posts by three authors: three lookups"
        );
    }

    // ANCHOR: get_feed_limits
    #[tokio::test(start_paused = true)]
    async fn get_feed_limits() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;
        for n in 0..120 {
            feed.posts.insert(n % 3 + 1, format!("post {n}"));
        }

        let ids =
            |page: &GetFeedResponse| -> Vec<i64> { page.posts.iter().map(|p| p.id).collect() };
        let default = feed.feed(0).await.expect("a feed");
        assert_eq!(
            ids(&default),
            (101..=120).rev().collect::<Vec<_>>(),
            "0 means 20"
        );
        let clamped = feed.feed(1000).await.expect("a feed");
        assert_eq!(clamped.posts.len(), 100, "clamped to 100");
        assert_eq!(ids(&feed.feed(1).await.expect("a feed")), vec![120]);
        expect_code(feed.feed(-1).await, Code::InvalidArgument);
        assert_eq!(
            users.ids_asked().len(),
            3 + 3 + 1,
            "a page of 20 or of 100 posts by three authors costs three lookups"
        );
    }
    // ANCHOR_END: get_feed_limits

    // ANCHOR: when_user_service_is_down_get_feed_degrades
    #[tokio::test(start_paused = true)]
    async fn when_user_service_is_down_get_feed_degrades() {
        let users = ScriptedUsers::with_users(4);
        let feed = Feed::over(&users).await;
        for author_id in 1..=3 {
            feed.create(post(author_id, &format!("by {author_id}")))
                .await
                .expect("stored");
        }
        // User 4's post is stored without a lookup: the feed has never seen that name.
        feed.posts.insert(4, "by 4".to_owned());

        users.set_mode(Mode::Down);
        let page = feed.feed(0).await.expect("degraded, not failed");
        test_support::snapshot_settings()
            .bind(|| insta::assert_snapshot!("feed_degraded", render(&page)));
    }
    // ANCHOR_END: when_user_service_is_down_get_feed_degrades

    // ANCHOR: when_user_service_hangs_get_feed_answers_degraded_before_the_deadline
    #[tokio::test(start_paused = true)]
    async fn when_user_service_hangs_get_feed_answers_degraded_before_the_deadline() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;
        feed.create(post(1, "hello")).await.expect("stored");
        users.set_mode(Mode::Hang);

        let start = Instant::now();
        let page = feed
            .client
            .clone()
            .get_feed(request(
                GetFeedRequest { limit: 0 },
                Some(READER),
                Some(Duration::from_millis(300)),
            ))
            .await
            .expect("degraded, not DEADLINE_EXCEEDED")
            .into_inner();
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(250),
            "the lookup gave up at 250 ms, leaving the feed 50 ms to answer"
        );
        assert!(page.degraded);
        assert_eq!(page.posts[0].author, Some(author(1)), "from the cache");
    }
    // ANCHOR_END: when_user_service_hangs_get_feed_answers_degraded_before_the_deadline

    // ANCHOR: the_request_id_is_echoed_and_forwarded
    #[tokio::test(start_paused = true)]
    async fn the_request_id_is_echoed_and_forwarded() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;
        feed.create(post(1, "hello")).await.expect("stored");

        let mut incoming = request(GetFeedRequest { limit: 0 }, Some(READER), None);
        incoming
            .metadata_mut()
            .insert(REQUEST_ID, AsciiMetadataValue::from_static("bug-1234"));
        let response = feed
            .client
            .clone()
            .get_feed(incoming)
            .await
            .expect("a feed");
        assert_eq!(
            response
                .metadata()
                .get(REQUEST_ID)
                .map(|v| v.to_str().unwrap()),
            Some("bug-1234"),
            "the response names the request id"
        );
        let last = users.calls().pop().expect("a lookup");
        assert_eq!(
            last.request_id.as_deref(),
            Some("bug-1234"),
            "and so did the lookup"
        );

        let failed = feed
            .client
            .clone()
            .get_feed(request(GetFeedRequest { limit: -1 }, Some(READER), None))
            .await
            .expect_err("negative limit");
        let id = failed
            .metadata()
            .get(REQUEST_ID)
            .expect("a failure carries the request id too");
        assert!(
            is_valid_request_id(id.to_str().unwrap()),
            "a made id: {id:?}"
        );
    }
    // ANCHOR_END: the_request_id_is_echoed_and_forwarded

    // ANCHOR: the_feed_stays_serving_while_user_service_is_down
    #[tokio::test(start_paused = true)]
    async fn the_feed_stays_serving_while_user_service_is_down() {
        let users = ScriptedUsers::with_users(3);
        let feed = Feed::over(&users).await;
        users.set_mode(Mode::Down);
        feed.feed(0).await.expect("degraded");

        let mut health = HealthClient::new(feed.channel.clone());
        let status = health
            .check(HealthCheckRequest {
                service: "feed.v1.FeedService".to_owned(),
            })
            .await
            .expect("health is served without a token")
            .into_inner()
            .status();
        assert_eq!(
            status,
            ServingStatus::Serving,
            "a dependency's outage is not the feed's: it answers, degraded"
        );
    }
    // ANCHOR_END: the_feed_stays_serving_while_user_service_is_down
}

mod end_to_end {
    //! The real `UserService` and the feed, both on loopback sockets; then `UserService` is
    //! stopped and started again.

    use super::*;

    /// The reference `UserService` on `addr` (port 0 for any), with users 1 to 3 and the
    /// test tokens.
    async fn start_user_service(
        addr: SocketAddr,
    ) -> (SocketAddr, oneshot::Sender<()>, JoinHandle<()>) {
        let listener = TcpListener::bind(addr).await.expect("bind UserService");
        let addr = listener.local_addr().expect("bound");
        let (stop, stopped) = oneshot::channel::<()>();
        let config = user_service::server::ServerConfig {
            seed_users: 3,
            tls: None,
            auth: Some(tokens()),
        };
        let task = tokio::spawn(async move {
            user_service::server::serve(listener, config, async {
                let _ = stopped.await;
            })
            .await
            .expect("UserService serves");
        });
        (addr, stop, task)
    }

    /// The feed on a loopback socket, calling the `UserService` at `users`.
    async fn start_feed(users: SocketAddr) -> (FeedServiceClient<Channel>, Channel) {
        let user_channel = Endpoint::from_shared(format!("http://{users}"))
            .expect("a URL")
            .connect_lazy();
        let feed = FeedServer::new(Arc::new(PostStore::new()), UserDirectory::new(user_channel));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the feed");
        let addr = listener.local_addr().expect("bound");
        tokio::spawn(lab12::serve(
            listener,
            feed,
            Some(tokens()),
            std::future::pending(),
        ));
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("a URL")
            .connect_lazy();
        (FeedServiceClient::new(channel.clone()), channel)
    }

    async fn get_feed(client: &FeedServiceClient<Channel>) -> Result<GetFeedResponse, Status> {
        let response = client
            .clone()
            .get_feed(request(
                GetFeedRequest { limit: 0 },
                Some(READER),
                Some(Duration::from_secs(5)),
            ))
            .await?;
        Ok(response.into_inner())
    }

    async fn create(client: &FeedServiceClient<Channel>, author_id: i32) -> Result<Post, Status> {
        let response = client
            .clone()
            .create_post(request(
                post(author_id, &format!("by {author_id}")),
                Some(WRITER),
                Some(Duration::from_secs(5)),
            ))
            .await?;
        Ok(response.into_inner())
    }

    fn names(page: &GetFeedResponse) -> BTreeMap<i64, Option<String>> {
        page.posts
            .iter()
            .map(|post| (post.id, post.author.as_ref().map(|a| a.name.clone())))
            .collect()
    }

    // ANCHOR: the_feed_uses_the_real_user_service_and_survives_its_outage
    #[tokio::test]
    async fn the_feed_uses_the_real_user_service_and_survives_its_outage() {
        let (users_addr, stop, task) = start_user_service("127.0.0.1:0".parse().unwrap()).await;
        let (feed, feed_channel) = start_feed(users_addr).await;

        for author_id in [1, 2, 3, 1] {
            create(&feed, author_id).await.expect("stored");
        }
        expect_code(create(&feed, 9).await, Code::FailedPrecondition);
        let healthy = get_feed(&feed).await.expect("a feed");
        assert!(!healthy.degraded);
        let expected: BTreeMap<i64, Option<String>> = [(4, 1), (3, 3), (2, 2), (1, 1)]
            .into_iter()
            .map(|(post, user)| (post, Some(format!("User {user}"))))
            .collect();
        assert_eq!(names(&healthy), expected, "the real UserService's names");

        // Failure injection: UserService stops, and its port refuses connections.
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("UserService stops once the feed's connection closes")
            .expect("UserService stopped cleanly");

        let degraded = get_feed(&feed).await.expect("degraded, not failed");
        assert!(degraded.degraded);
        assert_eq!(
            names(&degraded),
            expected,
            "every author was seen before the outage: all names come from the cache"
        );
        let status = expect_code(create(&feed, 2).await, Code::Unavailable);
        assert!(status.message().contains("not stored"), "{status:?}");
        let status = HealthClient::new(feed_channel.clone())
            .check(HealthCheckRequest {
                service: "feed.v1.FeedService".to_owned(),
            })
            .await
            .expect("the feed answers health checks")
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving);

        // Recovery: UserService comes back on the same address; the feed reconnects.
        let (_, _stop_again, _task) = start_user_service(users_addr).await;
        let recovered = get_feed(&feed).await.expect("a feed");
        assert!(!recovered.degraded, "fresh names again: {recovered:?}");
        assert_eq!(
            recovered.posts.len(),
            4,
            "the refused post was never stored"
        );
        create(&feed, 2)
            .await
            .expect("stored once UserService is back");
    }
    // ANCHOR_END: the_feed_uses_the_real_user_service_and_survives_its_outage
}
