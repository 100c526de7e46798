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
        // The client is a cheap handle (the balancer inside is `Arc`s): clone it per call,
        // because its methods take `&mut self` and calls run concurrently.
        let mut client = self.client.clone();
        // Forward the caller's deadline too: the backend should stop when the caller does.
        let timeout = request.metadata().get("grpc-timeout").cloned();
        let mut forwarded = Request::new(request.into_inner());
        if let Some(timeout) = timeout {
            forwarded.metadata_mut().insert("grpc-timeout", timeout);
        }
        let user = client.get_user(forwarded).await?.into_inner();
        Ok(Response::new(user))
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
