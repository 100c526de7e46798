//! Steps 5 and 6: deadline propagation.
//!
//! A server that calls another service on behalf of its caller must not give that call more
//! time than its caller has left: the caller will have given up by then, and the downstream
//! work is wasted. In grpc-go and grpc-java the deadline lives in the call's context, and
//! outgoing calls made with that context inherit it; tonic passes nothing on, because a tonic
//! handler has no context, only a `Request`. So the handler reads its remaining budget and
//! hands it on, minus a margin, so that the downstream call fails first and this server still
//! has time to tell its caller why.

use std::time::Duration;

// TODO(lab 7, steps 5 and 6) use `Instant`, `Code` and the `crate` items below; the
// `allow`s can go once they do.
#[allow(unused_imports)]
use tokio::time::Instant;
#[allow(unused_imports)]
use tonic::{Code, Request, Response, Status, Streaming, transport::Channel};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient, user_service_server::UserService,
};

#[allow(unused_imports)]
use crate::{
    codes::local_timeout_as_deadline_exceeded,
    deadline::CallDeadline,
    grpc_timeout::{GRPC_TIMEOUT, parse_grpc_timeout},
};

/// How much of its caller's remaining time a server keeps for itself when it calls
/// downstream: enough to receive the downstream failure and answer its own caller before
/// the caller's deadline.
pub const PROPAGATION_MARGIN: Duration = Duration::from_millis(50);

/// The budget a downstream call gets when the caller set no deadline: a server never calls
/// downstream without one. Lab 3's five seconds.
pub const DEFAULT_DOWNSTREAM_DEADLINE: Duration = lab03::DEFAULT_DEADLINE;

// ANCHOR: remaining_budget
/// How long the caller of `request` is still willing to wait, or `None` if it set no
/// deadline.
///
/// Behind a [`crate::DeadlineLayer`], the request carries the [`CallDeadline`] the layer
/// measured on arrival, and the budget is what is left of it *now*, so time already spent in
/// this server counts. Without the layer, the best there is is the `grpc-timeout` header as
/// it arrived (tonic leaves it in the metadata), which does not shrink while the handler
/// works. A malformed header counts as no deadline.
pub fn remaining_budget<T>(request: &Request<T>) -> Option<Duration> {
    // TODO(lab 7, step 5):
    // - `request.extensions().get::<CallDeadline>()` holds a deadline: what is left of it,
    //   `deadline.saturating_duration_since(Instant::now())` (zero once it has passed);
    // - otherwise `request.metadata().get(GRPC_TIMEOUT)`, made a `&str` (`to_str().ok()?`)
    //   and parsed with `parse_grpc_timeout`;
    // - neither: `None`.
    let _ = request;
    todo!(
        "lab 7, step 5: implement remaining_budget in labs/07_errors_deadlines/src/propagation.rs"
    )
}
// ANCHOR_END: remaining_budget

/// A `UserService` in front of another one: it answers `GetUser` by asking the downstream
/// `UserService`, within its own caller's deadline.
///
/// The shape of every service in the middle of a call chain (an API gateway, a backend for
/// a frontend, an aggregator). Only `GetUser` is forwarded; the other methods answer
/// `UNIMPLEMENTED`.
#[derive(Debug, Clone)]
pub struct UserGateway {
    downstream: UserServiceClient<Channel>,
    margin: Duration,
}

impl UserGateway {
    /// A gateway to the `UserService` behind `downstream`, keeping [`PROPAGATION_MARGIN`].
    pub fn new(downstream: Channel) -> Self {
        Self {
            downstream: UserServiceClient::new(downstream),
            margin: PROPAGATION_MARGIN,
        }
    }

    /// The same gateway, keeping `margin` instead.
    pub fn with_margin(self, margin: Duration) -> Self {
        Self { margin, ..self }
    }
}

#[tonic::async_trait]
impl UserService for UserGateway {
    // ANCHOR: gateway_get_user
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        // TODO(lab 7, step 6): forward the call to `self.downstream` within the caller's
        // deadline.
        // 1. `budget`: `remaining_budget(&request)`, or `DEFAULT_DOWNSTREAM_DEADLINE` if the
        //    caller set none (never call downstream without a deadline).
        // 2. `downstream_budget`: `budget` minus `self.margin` (`checked_sub`). If nothing is
        //    left, answer `DEADLINE_EXCEEDED` at once, without calling downstream.
        // 3. A new `Request` with the same message (`request.into_inner()`), its timeout set to
        //    `downstream_budget`; call `get_user` on a clone of `self.downstream`.
        // 4. `Ok`: the user, in a new `Response`. `Err`: map tonic's local timeout with
        //    `local_timeout_as_deadline_exceeded`; a `DEADLINE_EXCEEDED` becomes your own
        //    `DEADLINE_EXCEEDED` saying UserService did not answer in time; any other status
        //    goes back to the caller unchanged.
        let _ = (request, &self.downstream, self.margin);
        todo!(
            "lab 7, step 6: implement UserGateway::get_user in labs/07_errors_deadlines/src/propagation.rs"
        )
    }
    // ANCHOR_END: gateway_get_user

    type ListUsersStream = lab03::service::UserStream;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented("the gateway forwards GetUser only"))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("the gateway forwards GetUser only"))
    }

    type ChatStream = lab03::service::ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("the gateway forwards GetUser only"))
    }
}
