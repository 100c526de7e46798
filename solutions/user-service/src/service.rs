//! The reference `UserService`: one method per chapter, each delegating to that chapter's
//! solution, so the server a learner runs is exactly the code the labs test.

use std::sync::Arc;

use lab03::{InMemoryUserStore, lookup_user, service::UserStream};

use crate::limits;
use tonic::{Request, Response, Status, Streaming};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::UserService,
};

/// The reference server's `UserService` over an in-memory store.
#[derive(Debug, Clone)]
pub struct ReferenceUserService {
    store: Arc<InMemoryUserStore>,
}

impl ReferenceUserService {
    /// A service answering from `store`.
    pub fn new(store: Arc<InMemoryUserStore>) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl UserService for ReferenceUserService {
    // Chapter 3: unary.
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let user = lookup_user(self.store.as_ref(), request.into_inner().id)?;
        Ok(Response::new(user))
    }

    // Chapter 4: server streaming.
    type ListUsersStream = UserStream;

    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        let spec = lab04::page_spec(request.get_ref())?;
        Ok(Response::new(lab04::stream_page(
            Arc::clone(&self.store),
            spec,
        )))
    }

    // Chapter 5: client streaming. The handler runs inside hyper's task for the call (no
    // `spawn` or buffer in between), which is what lets a cancelled upload be dropped before
    // it stores anything (see `lab05::cancellation_point`).
    async fn create_users(
        &self,
        request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        let response = lab05::create_users(&self.store, request.into_inner())
            .await
            .map_err(limits::spec_status)?;
        Ok(Response::new(response))
    }

    type ChatStream = lab03::service::ChatStream;

    // Chapter 6: bidirectional streaming, the seed's echo. (The lab's chat room is a
    // separate service; the seed's clients expect the echo here.)
    async fn chat(
        &self,
        request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        use tokio_stream::StreamExt as _;
        let replies =
            lab06::echo(request.into_inner()).map(|reply| reply.map_err(limits::spec_status));
        Ok(Response::new(Box::pin(replies)))
    }
}
