//! An L7 proxy: one gRPC server in front of many, balancing every call.
//!
//! Clients open one long-lived HTTP/2 connection to the proxy and multiplex all their calls
//! on it. A connection-level (L4) balancer would pin that connection, and so every call on
//! it, to one backend ([`crate::l4`]). This proxy understands gRPC: it receives each call,
//! and sends it on through a [`RoundRobin`] of its own, so calls spread per call.

use tonic::{Request, Response, Status, Streaming, codegen::BoxStream};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient, user_service_server::UserService,
};

use crate::round_robin::RoundRobin;

/// A `UserService` that forwards each call to the next backend of a [`RoundRobin`].
#[derive(Debug, Clone)]
pub struct BalancingProxy {
    client: UserServiceClient<RoundRobin>,
}

impl BalancingProxy {
    /// A proxy that sends calls on through `balancer`.
    pub fn new(balancer: RoundRobin) -> Self {
        Self {
            client: UserServiceClient::new(balancer),
        }
    }
}

#[tonic::async_trait]
impl UserService for BalancingProxy {
    // ANCHOR: proxy_get_user
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        // TODO(lab 9, step 5): forward the call through the balancer. Clone `self.client`
        // (its methods take `&mut self`), make a new `Request` from the incoming message
        // (copy the caller's `grpc-timeout` metadata onto it, if any), call `get_user`, and
        // answer with the user. A backend's error status goes back to the caller unchanged.
        let _ = (request, &self.client);
        todo!(
            "lab 9, step 5: implement BalancingProxy::get_user in labs/09_load_balancing/src/proxy.rs"
        )
    }
    // ANCHOR_END: proxy_get_user

    type ListUsersStream = BoxStream<User>;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented("this proxy forwards GetUser only"))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("this proxy forwards GetUser only"))
    }

    type ChatStream = BoxStream<ChatMessage>;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("this proxy forwards GetUser only"))
    }
}
