//! The server side of `GetUser`.
//!
//! Two layers, on purpose. [`lookup_user`] is the business rule (which ids are valid, what
//! "not found" means) as a plain function that any test can call without a network.
//! [`UserServiceImpl`] is the thin gRPC adapter that tonic calls: it unwraps the
//! `tonic::Request`, calls the rule, and wraps the answer in a `tonic::Response`.

use std::{pin::Pin, sync::Arc};

use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::UserService,
};

use crate::store::UserStore;

// ANCHOR: lookup_user
/// The `GetUser` rule: a positive id that names a stored user.
///
/// - `id <= 0` is the caller's mistake whatever the data: `INVALID_ARGUMENT`.
/// - a valid id with no user is a fact about the data: `NOT_FOUND`.
///
/// The distinction matters to clients: `INVALID_ARGUMENT` says "don't send this again",
/// `NOT_FOUND` says "this id may exist later, or elsewhere".
pub fn lookup_user(store: &impl UserStore, id: i32) -> Result<User, Status> {
    // TODO(lab 3, step 2): apply the rule above.
    // - `id <= 0`: `Err(Status::invalid_argument(...))` with a message naming the id,
    //   e.g. "id must be a positive integer, got 0";
    // - no such user: `Err(Status::not_found(...))` with the message "no user with id 42";
    // - otherwise `Ok(user)`.
    let _ = (store, id);
    todo!("lab 3, step 2: implement lookup_user in labs/03_unary/src/service.rs")
}
// ANCHOR_END: lookup_user

/// The `UserService` that tonic serves, backed by any [`UserStore`].
///
/// tonic keeps the service itself behind an `Arc` and calls its `&self` methods from many
/// tasks at once. The store has an `Arc` of its own so that others (another service on the
/// same server, a test, an admin task) can share the very same users.
#[derive(Debug)]
pub struct UserServiceImpl<S> {
    store: Arc<S>,
}

impl<S: UserStore> UserServiceImpl<S> {
    /// A service answering from `store`.
    pub fn new(store: Arc<S>) -> Self {
        Self { store }
    }
}

/// The response stream type of the two server-streaming methods. Boxed so that each chapter
/// can return whatever stream it builds.
pub type UserStream = Pin<Box<dyn Stream<Item = Result<User, Status>> + Send + 'static>>;
/// The response stream type of `Chat`.
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<ChatMessage, Status>> + Send + 'static>>;

// tonic generates the `UserService` trait from `proto/user.proto`: one async method per RPC.
// Unary methods take a `Request<Message>` and return `Result<Response<Message>, Status>`.
#[tonic::async_trait]
impl<S: UserStore> UserService for UserServiceImpl<S> {
    // ANCHOR: get_user_handler
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        // TODO(lab 3, step 3): take the `GetUserRequest` out of the tonic `Request`
        // (`into_inner`), apply `lookup_user` to `self.store`, and wrap the user in a
        // `Response` (`Response::new`). A `Status` error returns to the client as is (`?`).
        let _ = (request, &self.store);
        todo!("lab 3, step 3: implement UserServiceImpl::get_user in labs/03_unary/src/service.rs")
    }
    // ANCHOR_END: get_user_handler

    // The streaming methods are the next chapters' labs. Answering UNIMPLEMENTED (rather
    // than panicking) is what gRPC expects of a method a server does not offer.
    type ListUsersStream = UserStream;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented(
            "ListUsers is built in chapter 4 (server streaming)",
        ))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented(
            "CreateUsers is built in chapter 5 (client streaming)",
        ))
    }

    type ChatStream = ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented(
            "Chat is built in chapter 6 (bidirectional streaming)",
        ))
    }
}
