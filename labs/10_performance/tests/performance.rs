//! Lab 10: each improvement is checked by what it changes and can be counted: connections
//! accepted, bytes the server wrote, calls that reached a handler, calls refused. No test
//! measures time, so none of them is flaky on a busy machine.

use std::{sync::Arc, time::Duration};

use lab03::{InMemoryUserStore, seed_user};
use lab10::counting::{CountedServer, CountingUserService, Gate};
use test_support::{expect_code, raw_unary_call};
use tonic::{Code, service::Routes, transport::Server};
use workbook_proto::user::{
    ListUsersRequest, User, user_service_client::UserServiceClient,
    user_service_server::UserServiceServer,
};

/// A generous upper bound for anything that should take milliseconds.
const PATIENCE: Duration = Duration::from_secs(10);

fn seeded(count: i32) -> Arc<InMemoryUserStore> {
    Arc::new(InMemoryUserStore::with_seed_users(count))
}

async fn plain_server(service: CountingUserService) -> CountedServer {
    CountedServer::start(
        Server::builder(),
        Routes::new(UserServiceServer::new(service)),
    )
    .await
}

/// Runs one `ListUsers` page through `client` and returns the users and the bytes the server
/// wrote for it (measured on an already-open connection, so the handshake is not counted).
async fn page_and_bytes(
    server: &CountedServer,
    client: &mut UserServiceClient<tonic::transport::Channel>,
    page_size: i32,
) -> (Vec<User>, u64) {
    // Warm the connection (handshake, SETTINGS, first HPACK entries) with a first call.
    let mut warm = client
        .list_users(ListUsersRequest {
            page: 1,
            page_size: 1,
        })
        .await
        .expect("ListUsers of one user should succeed")
        .into_inner();
    while warm.message().await.expect("the warm-up page").is_some() {}

    let before = server.counters().bytes_written();
    let mut stream = client
        .list_users(ListUsersRequest { page: 1, page_size })
        .await
        .expect("ListUsers should succeed")
        .into_inner();
    let mut users = Vec::new();
    while let Some(user) = stream.message().await.expect("the page should stream") {
        users.push(user);
    }
    (users, server.counters().bytes_written() - before)
}

/// A `GetUserRequest { id: 1 }` whose encoding is `total` bytes long, padded with an unknown
/// field (valid protobuf: the server skips it).
fn padded_get_user_request(total: usize) -> Vec<u8> {
    // 0x08 0x01 (id = 1), then field 15 as bytes: key 0x7a, a two-byte varint length, padding.
    let padding = total - 5;
    assert!(
        (128..16384).contains(&padding),
        "keep the length a two-byte varint"
    );
    let mut body = vec![
        0x08,
        0x01,
        0x7a,
        (padding as u8 & 0x7f) | 0x80,
        (padding >> 7) as u8,
    ];
    body.resize(total, b'x');
    body
}

mod step_1_connection_reuse {
    use super::*;

    // ANCHOR: forty_calls_use_one_connection
    #[tokio::test]
    async fn forty_calls_use_one_connection() {
        let service = CountingUserService::new(seeded(40));
        let calls = service.calls();
        let server = plain_server(service).await;
        let ids: Vec<i32> = (1..=40).collect();

        let users = tokio::time::timeout(PATIENCE, lab10::get_users(&server.endpoint(), &ids))
            .await
            .expect("get_users should finish well within 10 s")
            .expect("get_users should succeed for ids 1..=40");

        assert_eq!(
            users,
            ids.iter().map(|&id| seed_user(id)).collect::<Vec<_>>(),
            "get_users should return the users in the order of the ids"
        );
        assert_eq!(calls.get_user(), 40, "expected one GetUser call per id");
        assert_eq!(
            server.counters().connections(),
            1,
            "40 calls should share ONE connection: connect once, then clone the client \
             (a clone shares the channel's connection)"
        );
    }
    // ANCHOR_END: forty_calls_use_one_connection

    // ANCHOR: an_unknown_id_fails_the_whole_batch_with_its_status
    #[tokio::test]
    async fn an_unknown_id_fails_the_whole_batch_with_its_status() {
        let server = plain_server(CountingUserService::new(seeded(3))).await;

        let result =
            tokio::time::timeout(PATIENCE, lab10::get_users(&server.endpoint(), &[1, 2, 99]))
                .await
                .expect("get_users should finish well within 10 s");

        let status = expect_code(result, Code::NotFound);
        assert_eq!(status.message(), "no user with id 99");
        assert_eq!(server.counters().connections(), 1, "still one connection");
    }
    // ANCHOR_END: an_unknown_id_fails_the_whole_batch_with_its_status
}

mod step_2_compression {
    use super::*;

    /// Users whose names repeat a long phrase: think of a directory export in which every
    /// record carries the same organisation path. About 330 bytes each, mostly repetition.
    fn wordy_store(count: i32) -> Arc<InMemoryUserStore> {
        let store = InMemoryUserStore::new();
        for id in 1..=count {
            let mut user = seed_user(id);
            user.name = format!(
                "{} / {}",
                "Example Corp / Engineering / Platform / Remote Procedure Calls".repeat(5),
                user.name
            );
            store.insert(user);
        }
        Arc::new(store)
    }

    // ANCHOR: gzip_at_least_halves_the_bytes_of_a_repetitive_page
    #[tokio::test]
    async fn gzip_at_least_halves_the_bytes_of_a_repetitive_page() {
        let store = wordy_store(100);

        let plain = plain_server(CountingUserService::new(Arc::clone(&store))).await;
        let mut plain_client = UserServiceClient::new(plain.channel());
        let (plain_users, plain_bytes) = page_and_bytes(&plain, &mut plain_client, 100).await;

        let gzip = CountedServer::start(
            Server::builder(),
            Routes::new(lab10::gzip_server(UserServiceServer::new(
                CountingUserService::new(store),
            ))),
        )
        .await;
        let mut gzip_client = lab10::gzip_client(gzip.channel());
        let (gzip_users, gzip_bytes) = page_and_bytes(&gzip, &mut gzip_client, 100).await;

        assert_eq!(
            gzip_users, plain_users,
            "compression must not change the users"
        );
        assert_eq!(gzip_users.len(), 100);
        // Each message is compressed on its own. Plain, a user is ~345 bytes on the wire
        // (5-byte prefix, five copies of one 62-byte phrase, the rest). gzipped, the phrase is
        // stored once plus four back-references, and gzip adds 18 bytes of header and
        // trailer: ~120 bytes (35,069 against 12,248 for this page when the workbook was
        // written, a ratio of 0.35). At most half leaves room for another zlib version's
        // choices, and an uncompressed answer cannot get near it.
        assert!(
            gzip_bytes * 2 <= plain_bytes,
            "with gzip on both sides the server should write at most half the plain \
             bytes; it wrote {gzip_bytes} bytes against {plain_bytes} without compression. \
             Did both gzip_server (send_compressed) and gzip_client (accept_compressed) \
             enable gzip?"
        );
    }
    // ANCHOR_END: gzip_at_least_halves_the_bytes_of_a_repetitive_page

    // ANCHOR: gzip_does_not_shrink_a_page_of_tiny_users
    #[tokio::test]
    async fn gzip_does_not_shrink_a_page_of_tiny_users() {
        // Seed users are ~30 bytes each: too small for gzip's 18 bytes of framing to pay off,
        // and each message is compressed separately.
        let store = seeded(100);

        let plain = plain_server(CountingUserService::new(Arc::clone(&store))).await;
        let mut plain_client = UserServiceClient::new(plain.channel());
        let (_, plain_bytes) = page_and_bytes(&plain, &mut plain_client, 100).await;

        let gzip = CountedServer::start(
            Server::builder(),
            Routes::new(lab10::gzip_server(UserServiceServer::new(
                CountingUserService::new(store),
            ))),
        )
        .await;
        let mut gzip_client = lab10::gzip_client(gzip.channel());
        let (users, gzip_bytes) = page_and_bytes(&gzip, &mut gzip_client, 100).await;

        assert_eq!(users.len(), 100);
        assert!(
            gzip_bytes > plain_bytes,
            "gzip on ~30-byte messages should cost bytes, not save them: {gzip_bytes} bytes \
             with gzip, {plain_bytes} without. If they are equal, compression is not enabled."
        );
    }
    // ANCHOR_END: gzip_does_not_shrink_a_page_of_tiny_users
}

mod step_3_streaming_for_bulk {
    use super::*;

    // ANCHOR: exporting_2500_users_takes_three_list_calls_and_no_get_user
    #[tokio::test]
    async fn exporting_2500_users_takes_three_list_calls_and_no_get_user() {
        let service = CountingUserService::new(seeded(2500));
        let calls = service.calls();
        let server = plain_server(service).await;

        let users = tokio::time::timeout(PATIENCE, lab10::export_users(server.channel()))
            .await
            .expect("export_users should finish well within 10 s")
            .expect("export_users should succeed");

        assert_eq!(users.len(), 2500, "expected every user, once");
        assert!(
            users
                .iter()
                .zip(1..)
                .all(|(user, id)| *user == seed_user(id)),
            "expected users 1..=2500 in ascending id order"
        );
        assert_eq!(
            (calls.list_users(), calls.get_user()),
            (3, 0),
            "expected 3 ListUsers calls (pages of 1000, 1000, 500; the short page is the \
             last) and no GetUser: one round trip per page, not per user"
        );
        assert_eq!(server.counters().connections(), 1);
    }
    // ANCHOR_END: exporting_2500_users_takes_three_list_calls_and_no_get_user

    // ANCHOR: an_exact_multiple_of_the_page_size_needs_one_empty_page
    #[tokio::test]
    async fn an_exact_multiple_of_the_page_size_needs_one_empty_page() {
        let service = CountingUserService::new(seeded(2000));
        let calls = service.calls();
        let server = plain_server(service).await;

        let users = tokio::time::timeout(PATIENCE, lab10::export_users(server.channel()))
            .await
            .expect("export_users should finish well within 10 s")
            .expect("export_users should succeed");

        assert_eq!(users.len(), 2000);
        assert_eq!(
            calls.list_users(),
            3,
            "two full pages cannot tell whether more users follow: expected a third, empty page"
        );
    }
    // ANCHOR_END: an_exact_multiple_of_the_page_size_needs_one_empty_page
}

mod step_4_message_limits {
    use super::*;

    async fn limited_server(service: CountingUserService) -> CountedServer {
        CountedServer::start(
            Server::builder(),
            Routes::new(lab10::limit_requests(UserServiceServer::new(service))),
        )
        .await
    }

    // ANCHOR: a_request_over_the_limit_is_resource_exhausted_and_never_reaches_the_handler
    #[tokio::test]
    async fn a_request_over_the_limit_is_resource_exhausted_and_never_reaches_the_handler() {
        let service = CountingUserService::new(seeded(1));
        let calls = service.calls();
        let server = limited_server(service).await;
        let oversized = padded_get_user_request(lab10::MAX_REQUEST_BYTES + 1);

        let result = raw_unary_call(server.channel(), "/user.UserService/GetUser", oversized).await;

        let status = expect_code(result, Code::ResourceExhausted);
        assert!(
            status.message().contains("too large"),
            "unexpected message: {}",
            status.message()
        );
        assert_eq!(
            calls.get_user(),
            0,
            "an oversized request must be refused before the handler runs"
        );
    }
    // ANCHOR_END: a_request_over_the_limit_is_resource_exhausted_and_never_reaches_the_handler

    // ANCHOR: a_request_at_the_limit_is_served
    #[tokio::test]
    async fn a_request_at_the_limit_is_served() {
        let service = CountingUserService::new(seeded(1));
        let calls = service.calls();
        let server = limited_server(service).await;
        let at_limit = padded_get_user_request(lab10::MAX_REQUEST_BYTES);

        let result = raw_unary_call(server.channel(), "/user.UserService/GetUser", at_limit).await;

        assert!(result.is_ok(), "expected the user, got {result:?}");
        assert_eq!(calls.get_user(), 1);
    }
    // ANCHOR_END: a_request_at_the_limit_is_served
}

mod step_5_load_shedding {
    use super::*;

    // ANCHOR: the_call_over_the_limit_fails_fast_and_the_others_complete
    #[tokio::test]
    async fn the_call_over_the_limit_fails_fast_and_the_others_complete() {
        let gate = Arc::new(Gate::default());
        let service = CountingUserService::new(seeded(10)).with_gate(Arc::clone(&gate));
        let calls = service.calls();
        let server = CountedServer::start(
            lab10::shed_load(Server::builder()),
            Routes::new(UserServiceServer::new(service)),
        )
        .await;
        let client = UserServiceClient::new(server.channel());
        let limit = lab10::MAX_IN_FLIGHT_PER_CONNECTION as u64;

        // Fill the connection: `limit` calls held inside the handler.
        let held: Vec<_> = (1..=limit as i32)
            .map(|id| {
                let mut client = client.clone();
                tokio::spawn(async move {
                    client
                        .get_user(workbook_proto::user::GetUserRequest { id })
                        .await
                })
            })
            .collect();
        tokio::time::timeout(PATIENCE, gate.wait_for_entered(limit))
            .await
            .expect("the first calls should all reach the handler");

        // One more: refused at once, not queued behind the held calls (which never finish
        // until the gate opens, so a queued call would run into the timeout below).
        let mut extra = client.clone();
        let result = tokio::time::timeout(
            PATIENCE,
            extra.get_user(workbook_proto::user::GetUserRequest { id: 9 }),
        )
        .await
        .expect(
            "the call over the limit waited: it was queued instead of refused. \
             Limit the calls per connection AND turn load shedding on",
        );
        let status = expect_code(result, Code::ResourceExhausted);
        assert_eq!(
            status.message(),
            "Too many active requests for the connection"
        );
        assert_eq!(
            calls.get_user(),
            limit,
            "the refused call never reached the handler"
        );

        gate.open();
        for call in held {
            let user = call
                .await
                .expect("the call's task")
                .expect("a held call should succeed once the gate opens");
            assert!(user.get_ref().id >= 1);
        }
        assert_eq!(server.counters().connections(), 1);
    }
    // ANCHOR_END: the_call_over_the_limit_fails_fast_and_the_others_complete

    // ANCHOR: calls_within_the_limit_are_all_served
    #[tokio::test]
    async fn calls_within_the_limit_are_all_served() {
        let service = CountingUserService::new(seeded(10));
        let calls = service.calls();
        let server = CountedServer::start(
            lab10::shed_load(Server::builder()),
            Routes::new(UserServiceServer::new(service)),
        )
        .await;
        let mut client = UserServiceClient::new(server.channel());

        for id in 1..=10 {
            let user = client
                .get_user(workbook_proto::user::GetUserRequest { id })
                .await
                .expect("one call at a time is always within the limit")
                .into_inner();
            assert_eq!(user, seed_user(id));
        }
        assert_eq!(calls.get_user(), 10);
    }
    // ANCHOR_END: calls_within_the_limit_are_all_served
}
