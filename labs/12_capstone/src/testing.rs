//! A `UserService` for tests whose failures are switched on and off, and which records
//! what every call brought with it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use lab03::seed_user;
use lab07::{GRPC_TIMEOUT, parse_grpc_timeout};
use tonic::{Request, Response, Status, Streaming, service::Routes};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::{UserService, UserServiceServer},
};

use crate::context::{AUTHORIZATION, REQUEST_ID};

/// How the scripted `UserService` answers `GetUser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answers from its users; `NOT_FOUND` for anyone else.
    Up,
    /// `UNAVAILABLE` for every call, as from a proxy whose backend is gone.
    Down,
    /// Never answers: a stuck process, a full queue. Only a deadline ends the call.
    Hang,
    /// `UNAUTHENTICATED` for every call: it does not accept the forwarded token.
    Refuse,
}

/// What one `GetUser` call brought with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The user id asked for.
    pub id: i32,
    /// The `authorization` metadata, as received.
    pub authorization: Option<String>,
    /// The `x-request-id` metadata, as received.
    pub request_id: Option<String>,
    /// The `grpc-timeout` the call arrived with.
    pub timeout: Option<Duration>,
}

/// A `UserService` holding users `1..=n` (lab 3's `seed_user`) whose `GetUser` behaves as its
/// [`Mode`] says. Clones share the mode and the records.
#[derive(Debug, Clone)]
pub struct ScriptedUsers {
    users: Arc<HashMap<i32, User>>,
    mode: Arc<Mutex<Mode>>,
    calls: Arc<Mutex<Vec<CallRecord>>>,
}

impl ScriptedUsers {
    /// Users `1..=n`, up.
    pub fn with_users(n: i32) -> Self {
        Self {
            users: Arc::new((1..=n).map(|id| (id, seed_user(id))).collect()),
            mode: Arc::new(Mutex::new(Mode::Up)),
            calls: Arc::default(),
        }
    }

    /// From now on, answer as `mode` says.
    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().expect("never poisoned") = mode;
    }

    /// Every `GetUser` call so far, in arrival order.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().expect("never poisoned").clone()
    }

    /// The ids asked for so far, sorted.
    pub fn ids_asked(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.calls().iter().map(|call| call.id).collect();
        ids.sort_unstable();
        ids
    }

    /// This service as routes, to serve.
    pub fn routes(&self) -> Routes {
        Routes::new(UserServiceServer::new(self.clone()))
    }
}

fn text(request: &Request<GetUserRequest>, key: &str) -> Option<String> {
    let value = request.metadata().get(key)?;
    Some(value.to_str().ok()?.to_owned())
}

#[tonic::async_trait]
impl UserService for ScriptedUsers {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let record = CallRecord {
            id: request.get_ref().id,
            authorization: text(&request, AUTHORIZATION),
            request_id: text(&request, REQUEST_ID),
            timeout: text(&request, GRPC_TIMEOUT).and_then(|value| parse_grpc_timeout(&value)),
        };
        self.calls.lock().expect("never poisoned").push(record);
        let mode = *self.mode.lock().expect("never poisoned");
        match mode {
            Mode::Up => self
                .users
                .get(&request.get_ref().id)
                .cloned()
                .map(Response::new)
                .ok_or_else(|| {
                    Status::not_found(format!("no user with id {}", request.get_ref().id))
                }),
            Mode::Down => Err(Status::unavailable("scripted outage")),
            Mode::Hang => std::future::pending().await,
            Mode::Refuse => Err(Status::unauthenticated("scripted: token not accepted")),
        }
    }

    type ListUsersStream = lab03::service::UserStream;

    async fn list_users(
        &self,
        _request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        Err(Status::unimplemented("the feed only calls GetUser"))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("the feed only calls GetUser"))
    }

    type ChatStream = lab03::service::ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("the feed only calls GetUser"))
    }
}
