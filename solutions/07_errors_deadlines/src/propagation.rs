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

use tokio::time::Instant;
use tonic::{Code, Request, Response, Status, Streaming, transport::Channel};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient, user_service_server::UserService,
};

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
    if let Some(CallDeadline(deadline)) = request.extensions().get::<CallDeadline>() {
        return Some(deadline.saturating_duration_since(Instant::now()));
    }
    let header = request.metadata().get(GRPC_TIMEOUT)?.to_str().ok()?;
    parse_grpc_timeout(header)
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
        let budget = remaining_budget(&request).unwrap_or(DEFAULT_DOWNSTREAM_DEADLINE);
        let downstream_budget = budget
            .checked_sub(self.margin)
            .filter(|left| !left.is_zero())
            .ok_or_else(|| {
                Status::deadline_exceeded(format!(
                    "deadline exceeded: {budget:?} left, less than the {:?} needed to call \
                     UserService and answer; not calling it",
                    self.margin
                ))
            })?;

        let mut forwarded = Request::new(request.into_inner());
        forwarded.set_timeout(downstream_budget);
        // Clients are cheap handles to one shared connection; calls need `&mut`.
        let mut downstream = self.downstream.clone();
        match downstream.get_user(forwarded).await {
            Ok(response) => Ok(Response::new(response.into_inner())),
            // Our timer or UserService's: either way, the downstream deadline passed first.
            Err(status) => Err(match local_timeout_as_deadline_exceeded(status) {
                status if status.code() == Code::DeadlineExceeded => {
                    Status::deadline_exceeded(format!(
                        "deadline exceeded: UserService did not answer within the \
                         {downstream_budget:?} left of the caller's deadline"
                    ))
                }
                // NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE...: the caller's own answer.
                status => status,
            }),
        }
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
