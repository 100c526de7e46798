//! The `ListUsers` handler: check the paging request, then hand the client a stream.

use std::sync::Arc;

use lab03::service::{ChatStream, UserStream};
use tonic::{Request, Response, Status, Streaming};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::UserService,
};

use crate::{paging::page_spec, producer::stream_page, source::UserPages};

/// A `UserService` that offers `ListUsers` over any [`UserPages`] source.
///
/// This lab's server offers only the method it teaches; the reference server
/// (`solutions/user-service`) combines every chapter's.
#[derive(Debug)]
pub struct ListUsersService<S> {
    source: Arc<S>,
}

impl<S: UserPages> ListUsersService<S> {
    /// A service listing the users of `source`.
    pub fn new(source: Arc<S>) -> Self {
        Self { source }
    }
}

#[tonic::async_trait]
impl<S: UserPages> UserService for ListUsersService<S> {
    type ListUsersStream = UserStream;

    // ANCHOR: list_users_handler
    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        // Refuse bad paging before streaming anything: a call either fails up front with a
        // status or streams a (possibly empty) page and ends with OK.
        let spec = page_spec(request.get_ref())?;
        Ok(Response::new(stream_page(Arc::clone(&self.source), spec)))
    }
    // ANCHOR_END: list_users_handler

    async fn get_user(&self, _request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        Err(Status::unimplemented(
            "this lab serves ListUsers only; GetUser is chapter 3's",
        ))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented(
            "this lab serves ListUsers only; CreateUsers is chapter 5's",
        ))
    }

    type ChatStream = ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented(
            "this lab serves ListUsers only; Chat is chapter 6's",
        ))
    }
}
