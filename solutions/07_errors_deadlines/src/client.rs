//! `UserService` calls through [`call_with_retries`]: one per kind of call, each saying
//! whether it may be repeated. The reference `user-client` uses these for `--retries`.

use tokio::time::Instant;
use tonic::{Response, Status, Streaming, transport::Channel};
use workbook_proto::user::{
    CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient,
};

use crate::retry::{Idempotency, RetryPolicy, call_with_retries};

// ANCHOR: get_user_with_retries
/// `GetUser(id)` over `channel`, retried by `policy`, all attempts within `deadline`.
///
/// A read: idempotent, so any retryable failure is retried.
pub async fn get_user_with_retries(
    channel: Channel,
    id: i32,
    policy: &RetryPolicy,
    deadline: Instant,
) -> Result<User, Status> {
    let mut rng = fastrand::Rng::new();
    call_with_retries(
        policy,
        deadline,
        Idempotency::Idempotent,
        &mut rng,
        |attempt| {
            // A client per attempt: a cheap handle on the one shared connection.
            let mut client = UserServiceClient::new(channel.clone());
            async move {
                let response = client
                    .get_user(attempt.request(GetUserRequest { id }))
                    .await?;
                Ok(response.into_inner())
            }
        },
    )
    .await
}
// ANCHOR_END: get_user_with_retries

/// `ListUsers(request)` over `channel`, retried by `policy` until the stream has started.
///
/// Once the response headers have arrived the call is committed: the stream is returned, and
/// a failure while reading it is the caller's to handle. tonic's timeout covers only the wait
/// for those headers, so bound the reading with the same `deadline` too
/// (`tokio::time::timeout_at`).
pub async fn list_users_with_retries(
    channel: Channel,
    request: ListUsersRequest,
    policy: &RetryPolicy,
    deadline: Instant,
) -> Result<Streaming<User>, Status> {
    let mut rng = fastrand::Rng::new();
    call_with_retries(
        policy,
        deadline,
        Idempotency::Idempotent,
        &mut rng,
        |attempt| {
            let mut client = UserServiceClient::new(channel.clone());
            let request = attempt.request(request);
            async move {
                let response = client.list_users(request).await?;
                Ok(response.into_inner())
            }
        },
    )
    .await
}

/// `CreateUsers(requests)` over `channel`, retried by `policy` only when an attempt never
/// reached the server: storing a batch twice would store its users twice.
///
/// The batch is a `Vec` rather than a stream because a retry must send it again from the
/// start.
pub async fn create_users_with_retries(
    channel: Channel,
    requests: Vec<CreateUserRequest>,
    policy: &RetryPolicy,
    deadline: Instant,
) -> Result<CreateUsersResponse, Status> {
    let mut rng = fastrand::Rng::new();
    call_with_retries(
        policy,
        deadline,
        Idempotency::NotIdempotent,
        &mut rng,
        |attempt| {
            let mut client = UserServiceClient::new(channel.clone());
            // The whole batch again, from the start, for every attempt.
            let batch = attempt.request(tokio_stream::iter(requests.clone()));
            async move {
                let response = client.create_users(batch).await?;
                Ok(Response::into_inner(response))
            }
        },
    )
    .await
}
