//! Step 5: the gRPC adapter for `CreateUsers`.
//!
//! As in chapter 3, the handler is thin: it takes the stream out of the tonic request and
//! hands it to [`create_users`](crate::create_users), where the rules live.

use std::sync::Arc;

use lab03::{
    InMemoryUserStore,
    service::{ChatStream, UserStream},
};
use tonic::{Request, Response, Status, Streaming};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::UserService,
};

use crate::create::create_users;

/// This lab's `UserService`: `CreateUsers` over a shared in-memory store.
///
/// The concrete [`InMemoryUserStore`] rather than chapter 3's `UserStore` trait, because a
/// batch needs more than `get`: it needs the store's write lock, to allocate ids and
/// insert a whole batch as one step.
#[derive(Debug, Clone)]
pub struct UserServiceImpl {
    store: Arc<InMemoryUserStore>,
}

impl UserServiceImpl {
    /// A service storing users in `store`.
    pub fn new(store: Arc<InMemoryUserStore>) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl UserService for UserServiceImpl {
    // ANCHOR: create_users_handler
    // A client-streaming method receives `Request<Streaming<T>>`: the metadata arrive at
    // once, the messages one by one as the client sends them. tonic calls this as soon as
    // the request headers are in, long before the client has finished sending.
    async fn create_users(
        &self,
        request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        let requests: Streaming<CreateUserRequest> = request.into_inner();
        let response = create_users(&self.store, requests).await?;
        Ok(Response::new(response))
    }
    // ANCHOR_END: create_users_handler

    // The other methods belong to other chapters; the reference server (`user-service`)
    // serves them all together.
    async fn get_user(&self, _request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        Err(Status::unimplemented(
            "GetUser is built in chapter 3 (unary RPC); this lab serves only CreateUsers",
        ))
    }

    type ListUsersStream = UserStream;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented(
            "ListUsers is built in chapter 4 (server streaming); this lab serves only CreateUsers",
        ))
    }

    type ChatStream = ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented(
            "Chat is built in chapter 6 (bidirectional streaming); this lab serves only CreateUsers",
        ))
    }
}
