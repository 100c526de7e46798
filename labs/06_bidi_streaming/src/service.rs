//! The two `UserService`s of this lab: the seed's echo, and the chat room.
//!
//! Both are thin adapters, as in chapter 3: a bidirectional handler receives the request
//! stream (`tonic::Streaming<ChatMessage>`) and must return the response stream without
//! waiting for the conversation to happen. The work lives in [`echo`](crate::echo()) and
//! [`ChatRoom::join`].

use lab03::service::{ChatStream, UserStream};
use tonic::{Request, Response, Status, Streaming};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::UserService,
};

// TODO(lab 6, step 1) uses `echo`; the `allow` can go once it does.
#[allow(unused_imports)]
use crate::echo::echo;
use crate::room::ChatRoom;

/// Serves `Chat` as the seed does: an echo. The other methods are other chapters'.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoService;

/// Serves `Chat` as a chat room: every call joins [`RoomService::room`].
#[derive(Debug, Clone, Default)]
pub struct RoomService {
    room: ChatRoom,
}

impl RoomService {
    /// A service whose `Chat` calls all join `room`. Keep a clone of the room to watch it
    /// (`ChatRoom::receiver_count`).
    pub fn new(room: ChatRoom) -> Self {
        Self { room }
    }

    /// The room every call joins.
    pub fn room(&self) -> &ChatRoom {
        &self.room
    }
}

#[tonic::async_trait]
impl UserService for EchoService {
    type ChatStream = ChatStream;

    // ANCHOR: echo_handler
    async fn chat(
        &self,
        request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        // TODO(lab 6, step 1): take the request stream out of the tonic `Request`
        // (`into_inner`), pass it to `echo`, and return the replies in a `Response` at once:
        // they must flow while the client is still sending.
        let _ = request;
        todo!("lab 6, step 1: implement EchoService::chat in labs/06_bidi_streaming/src/service.rs")
    }
    // ANCHOR_END: echo_handler

    async fn get_user(&self, _request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        Err(Status::unimplemented(
            "GetUser is built in chapter 3 (unary RPC)",
        ))
    }

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
}

#[tonic::async_trait]
impl UserService for RoomService {
    type ChatStream = ChatStream;

    // ANCHOR: room_handler
    async fn chat(
        &self,
        request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        // TODO(lab 6, step 2): join `self.room` with the request stream (`into_inner`) and
        // return the stream that `join` gives back, in a `Response`.
        let _ = (request, &self.room);
        todo!("lab 6, step 2: implement RoomService::chat in labs/06_bidi_streaming/src/service.rs")
    }
    // ANCHOR_END: room_handler

    async fn get_user(&self, _request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        Err(Status::unimplemented(
            "GetUser is built in chapter 3 (unary RPC)",
        ))
    }

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
}
