//! Lab 3's tests, in the order of the TODOs: the store, the rule, the handler, the client.
//!
//! The same file tests your code (`cargo test -p lab03-unary`) and the reference solution
//! (`cargo test -p solution03-unary`), so what passes here is exactly what the solution does.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use lab03::{
    DEFAULT_DEADLINE, InMemoryUserStore, UserServiceImpl, UserStore, get_user, lookup_user,
    seed_user,
};
use test_support::{TestServer, describe_result, expect_code, serve_in_memory};
use tonic::{Code, Request, Status, service::Routes, service::interceptor::InterceptedService};
use workbook_proto::user::{
    GetUserRequest, user_service_client::UserServiceClient, user_service_server::UserServiceServer,
};

/// The lab's service over a store preloaded with users `1..=users`.
fn user_service(users: i32) -> Routes {
    let store = Arc::new(InMemoryUserStore::with_seed_users(users));
    Routes::new(UserServiceServer::new(UserServiceImpl::new(store)))
}

mod step_1_store {
    use super::*;

    #[test]
    fn returns_the_user_stored_under_that_id() {
        let store = InMemoryUserStore::with_seed_users(3);
        assert_eq!(store.get(2), Some(seed_user(2)));
    }

    // ANCHOR: returns_none_for_an_id_nobody_has
    #[test]
    fn returns_none_for_an_id_nobody_has() {
        let store = InMemoryUserStore::with_seed_users(3);
        assert_eq!(store.get(4), None, "only users 1..=3 were stored");
    }
    // ANCHOR_END: returns_none_for_an_id_nobody_has
}

mod step_2_lookup_rule {
    use super::*;

    #[test]
    fn finds_a_stored_user() {
        let store = InMemoryUserStore::with_seed_users(3);
        assert_eq!(lookup_user(&store, 3).expect("user 3 exists"), seed_user(3));
    }

    // ANCHOR: rejects_zero_and_negative_ids_as_invalid_argument
    #[test]
    fn rejects_zero_and_negative_ids_as_invalid_argument() {
        let store = InMemoryUserStore::with_seed_users(3);
        for id in [0, -1, i32::MIN] {
            let status = expect_code(lookup_user(&store, id), Code::InvalidArgument);
            assert!(
                status.message().contains(&id.to_string()),
                "the message should name the bad id {id}, got {:?}",
                status.message()
            );
        }
    }
    // ANCHOR_END: rejects_zero_and_negative_ids_as_invalid_argument

    // ANCHOR: reports_a_valid_but_unknown_id_as_not_found
    #[test]
    fn reports_a_valid_but_unknown_id_as_not_found() {
        let store = InMemoryUserStore::with_seed_users(3);
        let status = expect_code(lookup_user(&store, 42), Code::NotFound);
        assert!(
            status.message().contains("42"),
            "the message should name the missing id, got {:?}",
            status.message()
        );
    }
    // ANCHOR_END: reports_a_valid_but_unknown_id_as_not_found
}

mod step_3_handler {
    use super::*;

    #[tokio::test]
    async fn get_user_over_grpc_returns_the_stored_user() {
        let server = TestServer::start(user_service(10)).await;
        let mut client = UserServiceClient::new(server.channel());

        let user = client
            .get_user(GetUserRequest { id: 7 })
            .await
            .expect("GetUser(7) should succeed: users 1..=10 are stored")
            .into_inner();

        assert_eq!(user, seed_user(7));
    }

    // ANCHOR: get_user_over_grpc_answers_bad_ids_with_their_status_codes
    #[tokio::test]
    async fn get_user_over_grpc_answers_bad_ids_with_their_status_codes() {
        let server = TestServer::start(user_service(10)).await;
        let mut client = UserServiceClient::new(server.channel());

        expect_code(
            client.get_user(GetUserRequest { id: 0 }).await,
            Code::InvalidArgument,
        );
        expect_code(
            client.get_user(GetUserRequest { id: 11 }).await,
            Code::NotFound,
        );
    }
    // ANCHOR_END: get_user_over_grpc_answers_bad_ids_with_their_status_codes

    // ANCHOR: server_keeps_serving_after_bad_requests_and_undecodable_bytes
    #[tokio::test]
    async fn server_keeps_serving_after_bad_requests_and_undecodable_bytes() {
        let channel = serve_in_memory(user_service(10)).await;
        let mut client = UserServiceClient::new(channel.clone());

        expect_code(
            client.get_user(GetUserRequest { id: -5 }).await,
            Code::InvalidArgument,
        );
        // Field 1 sent as a length-delimited string where `GetUserRequest.id` is a varint:
        // tonic's decoder refuses it before the handler runs.
        let garbage = test_support::raw_unary_call(
            channel,
            "/user.UserService/GetUser",
            vec![0x0a, 0x03, b'o', b'n', b'e'],
        )
        .await;
        expect_code(garbage, Code::Internal);

        let user = client
            .get_user(GetUserRequest { id: 1 })
            .await
            .expect("the server must still answer after bad input")
            .into_inner();
        assert_eq!(user, seed_user(1));
    }
    // ANCHOR_END: server_keeps_serving_after_bad_requests_and_undecodable_bytes

    #[tokio::test]
    async fn answers_snapshot() {
        let channel = serve_in_memory(user_service(3)).await;
        let mut client = UserServiceClient::new(channel);

        let mut transcript = String::new();
        for id in [1, 3, 0, -7, 4, i32::MAX] {
            let result = client
                .get_user(GetUserRequest { id })
                .await
                .map(|response| response.into_inner());
            transcript.push_str(&format!("GetUser({id}) -> {}\n", describe_result(&result)));
        }

        test_support::snapshot_settings().bind(|| {
            insta::assert_snapshot!("get_user_answers", transcript);
        });
    }
}

mod step_4_client {
    use super::*;

    #[tokio::test]
    async fn fetches_a_user_over_a_channel() {
        let server = TestServer::start(user_service(5)).await;
        let user = get_user(server.channel(), 5, DEFAULT_DEADLINE)
            .await
            .expect("user 5 exists");
        assert_eq!(user, seed_user(5));
    }

    // ANCHOR: passes_the_server_status_through_unchanged
    #[tokio::test]
    async fn passes_the_server_status_through_unchanged() {
        let server = TestServer::start(user_service(5)).await;
        let status = expect_code(
            get_user(server.channel(), 6, DEFAULT_DEADLINE).await,
            Code::NotFound,
        );
        assert_eq!(status.message(), "no user with id 6");
    }
    // ANCHOR_END: passes_the_server_status_through_unchanged

    // ANCHOR: sends_the_callers_deadline_as_grpc_timeout
    #[tokio::test]
    async fn sends_the_callers_deadline_as_grpc_timeout() {
        // The server records the `grpc-timeout` header of every call it receives.
        let seen = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
        let recorder = {
            let seen = Arc::clone(&seen);
            move |request: Request<()>| -> Result<Request<()>, Status> {
                let timeout = request
                    .metadata()
                    .get("grpc-timeout")
                    .map(|value| value.to_str().unwrap_or("<not ASCII>").to_owned());
                seen.lock().expect("not poisoned").push(timeout);
                Ok(request)
            }
        };
        let store = Arc::new(InMemoryUserStore::with_seed_users(1));
        let service = InterceptedService::new(
            UserServiceServer::new(UserServiceImpl::new(store)),
            recorder,
        );
        let server = TestServer::start(Routes::new(service)).await;

        get_user(server.channel(), 1, Duration::from_millis(1_500))
            .await
            .expect("user 1 exists");

        let seen = seen.lock().expect("not poisoned").clone();
        assert_eq!(seen.len(), 1, "exactly one call should reach the server");
        let header = seen[0].as_deref().expect(
            "the call carried no grpc-timeout header: set a deadline on the request \
             (tonic has no default deadline)",
        );
        // The header carries the caller's budget as a duration. tonic writes the 1.5 s
        // exactly as given (`1500000u`); an implementation that sends what is left by the
        // time the request leaves sends a little less, never more.
        let millis = deadline_millis(header);
        assert!(
            (1_000..=1_500).contains(&millis),
            "grpc-timeout {header:?} ({millis} ms) should be the caller's deadline of 1.5 s"
        );
    }
    // ANCHOR_END: sends_the_callers_deadline_as_grpc_timeout

    /// `grpc-timeout` is an integer of at most 8 digits and one unit letter (chapter 11).
    fn deadline_millis(header: &str) -> u64 {
        let (digits, unit) = header.split_at(header.len() - 1);
        let value: u64 = digits.parse().expect("grpc-timeout starts with digits");
        match unit {
            "H" => value * 3_600_000,
            "M" => value * 60_000,
            "S" => value * 1_000,
            "m" => value,
            "u" => value / 1_000,
            "n" => value / 1_000_000,
            other => panic!("unknown grpc-timeout unit {other:?}"),
        }
    }
}
