//! Lab 4's tests, in the order of the TODOs: the paging rules, then the streaming producer.
//!
//! The same file tests your code (`cargo test -p lab04-server-streaming`) and the reference
//! solution (`cargo test -p solution04-server-streaming`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use lab03::{InMemoryUserStore, seed_user};
use lab04::{
    DEFAULT_PAGE_SIZE, FETCH_CHUNK, ListUsersService, MAX_PAGE_SIZE, PageSpec, UserPages, page_spec,
};
use test_support::{TestServer, describe_status, expect_code, serve_in_memory};
use tokio::sync::{Notify, Semaphore};
use tonic::{Code, service::Routes, transport::Channel};
use workbook_proto::user::{
    ListUsersRequest, User, user_service_client::UserServiceClient,
    user_service_server::UserServiceServer,
};

fn request(page: i32, page_size: i32) -> ListUsersRequest {
    ListUsersRequest { page, page_size }
}

fn routes<S: UserPages>(source: Arc<S>) -> Routes {
    Routes::new(UserServiceServer::new(ListUsersService::new(source)))
}

/// Collects a whole `ListUsers` page, or the status that ended it.
async fn list(channel: Channel, page: i32, page_size: i32) -> Result<Vec<User>, tonic::Status> {
    let mut client = UserServiceClient::new(channel);
    let mut stream = client
        .list_users(request(page, page_size))
        .await?
        .into_inner();
    let mut users = Vec::new();
    while let Some(user) = stream.message().await? {
        users.push(user);
    }
    Ok(users)
}

fn ids(users: &[User]) -> Vec<i32> {
    users.iter().map(|user| user.id).collect()
}

mod step_1_paging_rules {
    use super::*;

    #[test]
    fn page_one_starts_at_the_first_user() {
        assert_eq!(
            page_spec(&request(1, 10)).expect("valid"),
            PageSpec {
                offset: 0,
                limit: 10
            }
        );
    }

    #[test]
    fn page_zero_means_the_first_page() {
        assert_eq!(
            page_spec(&request(0, 10)).expect("page 0 is valid"),
            page_spec(&request(1, 10)).expect("page 1 is valid"),
        );
    }

    #[test]
    fn page_n_skips_the_n_minus_one_pages_before_it() {
        assert_eq!(
            page_spec(&request(3, 10)).expect("valid"),
            PageSpec {
                offset: 20,
                limit: 10
            }
        );
    }

    #[test]
    fn page_size_zero_means_the_default_of_50() {
        let spec = page_spec(&request(2, 0)).expect("valid");
        assert_eq!(spec.limit, DEFAULT_PAGE_SIZE);
        assert_eq!(
            spec.offset, DEFAULT_PAGE_SIZE,
            "page 2 starts after one default page"
        );
    }

    // ANCHOR: page_sizes_above_1000_are_clamped_not_refused
    #[test]
    fn page_sizes_above_1000_are_clamped_not_refused() {
        let spec = page_spec(&request(2, 5_000)).expect("large sizes are clamped");
        assert_eq!(spec.limit, MAX_PAGE_SIZE);
        assert_eq!(spec.offset, MAX_PAGE_SIZE, "offsets use the clamped size");
    }
    // ANCHOR_END: page_sizes_above_1000_are_clamped_not_refused

    // ANCHOR: huge_page_numbers_do_not_overflow
    #[test]
    fn huge_page_numbers_do_not_overflow() {
        let spec = page_spec(&request(i32::MAX, i32::MAX)).expect("valid, if far away");
        assert_eq!(spec.limit, MAX_PAGE_SIZE);
        assert_eq!(spec.offset, (i32::MAX as usize - 1) * MAX_PAGE_SIZE);
    }
    // ANCHOR_END: huge_page_numbers_do_not_overflow

    #[test]
    fn negative_page_or_page_size_is_invalid_argument_naming_the_field() {
        let status = expect_code(page_spec(&request(-1, 10)), Code::InvalidArgument);
        assert!(status.message().contains("page"), "{:?}", status.message());
        let status = expect_code(page_spec(&request(1, -10)), Code::InvalidArgument);
        assert!(
            status.message().contains("page_size"),
            "{:?}",
            status.message()
        );
    }
}

/// A source that behaves like a slow database: every fetch waits at a gate the test opens,
/// counts itself, and reports when it was abandoned half-way (its future dropped).
struct GatedSource {
    users: usize,
    gate: Semaphore,
    fetches: AtomicUsize,
    fetch_started: Notify,
    fetch_abandoned: Notify,
}

impl GatedSource {
    fn new(users: usize, open_fetches: usize) -> Arc<Self> {
        Arc::new(Self {
            users,
            gate: Semaphore::new(open_fetches),
            fetches: AtomicUsize::new(0),
            fetch_started: Notify::new(),
            fetch_abandoned: Notify::new(),
        })
    }

    async fn wait_for_fetches(&self, count: usize) {
        loop {
            let started = self.fetch_started.notified();
            if self.fetches.load(Ordering::SeqCst) >= count {
                return;
            }
            started.await;
        }
    }
}

/// Notifies when dropped before `finish` was called: the fetch's future was abandoned.
struct AbandonGuard<'a>(Option<&'a Notify>);

impl AbandonGuard<'_> {
    fn finish(mut self) {
        self.0 = None;
    }
}

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        if let Some(notify) = self.0 {
            notify.notify_one();
        }
    }
}

impl UserPages for GatedSource {
    async fn fetch(&self, offset: usize, limit: usize) -> Vec<User> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        self.fetch_started.notify_waiters();
        let guard = AbandonGuard(Some(&self.fetch_abandoned));
        self.gate
            .acquire()
            .await
            .expect("the gate is never closed")
            .forget();
        guard.finish();
        (offset..self.users.min(offset + limit))
            .map(|position| seed_user(position as i32 + 1))
            .collect()
    }
}

mod step_2_streaming_a_page {
    use super::*;

    // ANCHOR: lists_a_page_in_ascending_id_order
    #[tokio::test]
    async fn lists_a_page_in_ascending_id_order() {
        let store = InMemoryUserStore::new();
        for id in [9, 2, 7, 4, 1, 8, 3] {
            store.insert(seed_user(id));
        }
        let channel = serve_in_memory(routes(Arc::new(store))).await;

        let users = list(channel, 1, 5).await.expect("page 1 streams");
        assert_eq!(ids(&users), [1, 2, 3, 4, 7]);
        assert_eq!(users[0], seed_user(1));
    }
    // ANCHOR_END: lists_a_page_in_ascending_id_order

    // ANCHOR: the_last_page_is_partial_and_a_page_past_the_end_is_empty_not_an_error
    #[tokio::test]
    async fn the_last_page_is_partial_and_a_page_past_the_end_is_empty_not_an_error() {
        let channel =
            serve_in_memory(routes(Arc::new(InMemoryUserStore::with_seed_users(25)))).await;

        let last = list(channel.clone(), 3, 10).await.expect("page 3 streams");
        assert_eq!(ids(&last), (21..=25).collect::<Vec<_>>());
        let past = list(channel, 4, 10)
            .await
            .expect("a page past the end is an empty stream, not an error");
        assert!(past.is_empty(), "got {:?}", ids(&past));
    }
    // ANCHOR_END: the_last_page_is_partial_and_a_page_past_the_end_is_empty_not_an_error

    #[tokio::test]
    async fn the_default_request_streams_the_first_50_users() {
        let channel =
            serve_in_memory(routes(Arc::new(InMemoryUserStore::with_seed_users(120)))).await;
        let users = list(channel, 0, 0)
            .await
            .expect("the empty request is valid");
        assert_eq!(ids(&users), (1..=50).collect::<Vec<_>>());
    }

    // ANCHOR: bad_paging_fails_the_call_before_any_user_is_sent
    #[tokio::test]
    async fn bad_paging_fails_the_call_before_any_user_is_sent() {
        let channel =
            serve_in_memory(routes(Arc::new(InMemoryUserStore::with_seed_users(5)))).await;
        let mut client = UserServiceClient::new(channel);
        expect_code(
            client.list_users(request(1, -1)).await,
            Code::InvalidArgument,
        );
    }
    // ANCHOR_END: bad_paging_fails_the_call_before_any_user_is_sent

    // ANCHOR: reads_the_source_a_chunk_at_a_time_and_stops_where_the_data_ends
    #[tokio::test]
    async fn reads_the_source_a_chunk_at_a_time_and_stops_where_the_data_ends() {
        // 130 users and a page of up to 1000: chunks of 64, 64, then 2, which is short, so
        // the producer knows the data ended and fetches no more.
        let source = GatedSource::new(130, usize::MAX >> 4);
        let channel = serve_in_memory(routes(Arc::clone(&source))).await;

        let users = list(channel, 1, 1000).await.expect("the page streams");
        assert_eq!(ids(&users), (1..=130).collect::<Vec<_>>());
        assert_eq!(
            source.fetches.load(Ordering::SeqCst),
            130usize.div_ceil(FETCH_CHUNK),
            "fetch chunks of FETCH_CHUNK users, and stop after a short chunk"
        );
    }
    // ANCHOR_END: reads_the_source_a_chunk_at_a_time_and_stops_where_the_data_ends

    // ANCHOR: the_producer_stops_waiting_for_the_source_when_the_client_goes_away
    #[tokio::test]
    async fn the_producer_stops_waiting_for_the_source_when_the_client_goes_away() {
        // The source answers the first fetch at once and holds the second forever.
        let source = GatedSource::new(10_000, 1);
        let server = TestServer::start(routes(Arc::clone(&source))).await;
        let mut client = UserServiceClient::new(server.channel());

        let mut stream = client
            .list_users(request(1, 1000))
            .await
            .expect("the call starts")
            .into_inner();
        for expected in 1..=3 {
            let user = stream.message().await.expect("streaming").expect("a user");
            assert_eq!(user.id, expected);
        }
        source.wait_for_fetches(2).await;

        // The client goes away: dropping the stream cancels the call (HTTP/2 RST_STREAM).
        drop(stream);

        tokio::time::timeout(Duration::from_secs(5), source.fetch_abandoned.notified())
            .await
            .expect(
                "the producer kept waiting for the source after the client went away: \
                 race the fetch against the channel closing (`tx.closed()`) and stop",
            );
        assert_eq!(
            source.fetches.load(Ordering::SeqCst),
            2,
            "no fetch should start after the client went away"
        );
    }
    // ANCHOR_END: the_producer_stops_waiting_for_the_source_when_the_client_goes_away

    // ANCHOR: page_snapshot
    #[tokio::test]
    async fn page_snapshot() {
        let channel =
            serve_in_memory(routes(Arc::new(InMemoryUserStore::with_seed_users(12)))).await;
        let mut transcript = String::new();
        for (page, page_size) in [(2, 5), (3, 5), (4, 5), (1, -5), (-2, 5)] {
            transcript.push_str(&format!(
                "ListUsers(page: {page}, page_size: {page_size})\n"
            ));
            match list(channel.clone(), page, page_size).await {
                Ok(users) if users.is_empty() => transcript.push_str("  (empty page)\n"),
                Ok(users) => {
                    for user in users {
                        transcript
                            .push_str(&format!("  {} | {} | {}\n", user.id, user.name, user.email));
                    }
                }
                Err(status) => transcript.push_str(&format!("  {}\n", describe_status(&status))),
            }
        }
        test_support::snapshot_settings().bind(|| {
            insta::assert_snapshot!("list_users_pages", transcript);
        });
    }
    // ANCHOR_END: page_snapshot
}
