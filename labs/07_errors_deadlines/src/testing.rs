//! Tools for testing what this lab builds, given (not part of the exercise):
//!
//! - [`FaultyUserService`], a `UserService` that fails on purpose, following a script: fail
//!   the first N calls with a chosen code, hang, answer late, or break a stream halfway. It
//!   records every call (when it arrived, the deadline and attempt headers it carried, and
//!   whether its handler finished or was dropped), so tests can count attempts and prove
//!   that work stopped;
//! - [`RawGrpcClient`], a bare HTTP/2 client that sends a unary gRPC request with whatever
//!   `grpc-timeout` header a test likes. tonic's own client cannot: it also starts a timer of
//!   its own from that header, and ends the call itself before the server's answer arrives.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, StatusCode};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
    sync::Notify,
    time::Instant,
};
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, Request, Response, Status, Streaming, service::Routes};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::{UserService, UserServiceServer},
};

/// How many users `ListUsers` streams when it answers normally.
pub const LISTED_USERS: usize = 3;

/// How often a hanging handler counts a unit of progress.
pub const PROGRESS_TICK: Duration = Duration::from_millis(10);

/// What [`FaultyUserService`] does with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer normally: `GetUser(id)` with `lab03::seed_user(id)`, `ListUsers` with users
    /// `1..=LISTED_USERS`, `CreateUsers` with every user of the batch, given ids from 1.
    Answer,
    /// End the call at once with this code, before any response message.
    Fail(Code),
    /// Work forever: the handler never answers, and counts one unit of
    /// [`FaultyUserService::progress`] every [`PROGRESS_TICK`] until its future is dropped.
    Hang,
    /// Take this long, then answer normally.
    AnswerAfter(Duration),
    /// `ListUsers`: start the stream, send this many users, then end it with this code.
    StreamThenFail(usize, Code),
    /// `ListUsers`: start the stream, send this many users, then wait forever.
    StreamThenHang(usize),
}

/// How a handler ended, and when (on tokio's clock, which tests may pause).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It ran to the end: answered, failed on purpose, or finished its stream.
    Finished(Instant),
    /// Its future (or its response stream) was dropped before it was done: its work stopped.
    Dropped(Instant),
}

/// One call as [`FaultyUserService`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// `GetUser`, `ListUsers` or `CreateUsers`.
    pub method: &'static str,
    /// What the script said to do with it.
    pub behaviour: Behaviour,
    /// When the handler was called.
    pub arrived_at: Instant,
    /// The `grpc-timeout` header, as sent.
    pub grpc_timeout: Option<String>,
    /// The `grpc-previous-rpc-attempts` header, as sent.
    pub previous_attempts: Option<String>,
    /// How the handler ended; `None` while it is still running.
    pub ended: Option<Ended>,
}

#[derive(Debug)]
struct Shared {
    script: Mutex<VecDeque<Behaviour>>,
    otherwise: Behaviour,
    calls: Mutex<Vec<CallRecord>>,
    progress: AtomicU64,
    /// Woken whenever a handler ends.
    ended: Notify,
}

impl Shared {
    fn calls(&self) -> MutexGuard<'_, Vec<CallRecord>> {
        // A panicking test thread must not hide the records from the assertion that follows.
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A `UserService` that follows a script of [`Behaviour`]s, one per call, in order, then
/// behaves as told by [`FaultyUserService::otherwise`] (by default: answers normally).
///
/// Clones share the script and the records, so a test keeps one clone and serves another.
#[derive(Debug, Clone)]
pub struct FaultyUserService {
    shared: Arc<Shared>,
}

impl FaultyUserService {
    /// A service that behaves as `script` says, one entry per call, then answers normally.
    pub fn new(script: impl IntoIterator<Item = Behaviour>) -> Self {
        Self::with_script(script.into_iter().collect(), Behaviour::Answer)
    }

    /// A service that fails its first `calls` calls with `code`, then answers normally.
    pub fn failing_first(calls: usize, code: Code) -> Self {
        Self::new(std::iter::repeat_n(Behaviour::Fail(code), calls))
    }

    /// A service that behaves as `behaviour` says on every call.
    pub fn always(behaviour: Behaviour) -> Self {
        Self::with_script(VecDeque::new(), behaviour)
    }

    /// This service's script, followed by `behaviour` for every later call.
    pub fn otherwise(self, behaviour: Behaviour) -> Self {
        let script = self
            .shared
            .script
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        Self::with_script(script, behaviour)
    }

    fn with_script(script: VecDeque<Behaviour>, otherwise: Behaviour) -> Self {
        Self {
            shared: Arc::new(Shared {
                script: Mutex::new(script),
                otherwise,
                calls: Mutex::new(Vec::new()),
                progress: AtomicU64::new(0),
                ended: Notify::new(),
            }),
        }
    }

    /// The generated server around this service, ready for `Routes::new` or a layer.
    pub fn server(&self) -> UserServiceServer<Self> {
        UserServiceServer::new(self.clone())
    }

    /// This service alone, as `Routes` for `test_support::TestServer::start` and friends.
    pub fn routes(&self) -> Routes {
        Routes::new(self.server())
    }

    /// Every call so far, in order of arrival.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared.calls().clone()
    }

    /// How many calls (attempts) have arrived.
    pub fn attempts(&self) -> usize {
        self.shared.calls().len()
    }

    /// Units of work done by hanging handlers so far: it stops growing once they are dropped.
    pub fn progress(&self) -> u64 {
        self.shared.progress.load(Ordering::SeqCst)
    }

    /// Waits until the handler of call number `call` (0 for the first) has ended, and says
    /// how. For tests that make a call end from afar (a cancellation two services away) and
    /// must wait for the news to arrive.
    pub async fn ended(&self, call: usize) -> Ended {
        loop {
            // Register for the wake-up before looking, so an end in between is not missed.
            let notified = self.shared.ended.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(ended) = self
                .shared
                .calls()
                .get(call)
                .and_then(|record| record.ended)
            {
                return ended;
            }
            notified.await;
        }
    }

    /// Records the call and returns what to do with it, and the guard that records its end.
    fn arrive<T>(&self, method: &'static str, request: &Request<T>) -> (Behaviour, CallGuard) {
        let behaviour = self
            .shared
            .script
            .lock()
            .ok()
            .and_then(|mut script| script.pop_front())
            .unwrap_or(self.shared.otherwise);
        let header = |name: &str| {
            request
                .metadata()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let mut calls = self.shared.calls();
        calls.push(CallRecord {
            method,
            behaviour,
            arrived_at: Instant::now(),
            grpc_timeout: header("grpc-timeout"),
            previous_attempts: header("grpc-previous-rpc-attempts"),
            ended: None,
        });
        let guard = CallGuard {
            shared: Arc::clone(&self.shared),
            index: calls.len() - 1,
            finished: false,
        };
        (behaviour, guard)
    }

    /// Does "work" forever, one unit per tick, until the future is dropped.
    async fn hang(&self) -> ! {
        loop {
            tokio::time::sleep(PROGRESS_TICK).await;
            self.shared.progress.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The status a `Fail(code)` call ends with, numbered so a test can tell attempts apart.
    fn injected(&self, code: Code) -> Status {
        let attempt = self.attempts();
        Status::new(code, format!("injected {code:?} on call {attempt}"))
    }
}

/// Records how a handler ended when it is dropped: finished if it said so first, otherwise
/// dropped, which is what happens to a handler whose call was cancelled or timed out.
#[derive(Debug)]
struct CallGuard {
    shared: Arc<Shared>,
    index: usize,
    finished: bool,
}

impl CallGuard {
    fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        let now = Instant::now();
        let ended = if self.finished {
            Ended::Finished(now)
        } else {
            Ended::Dropped(now)
        };
        if let Some(call) = self.shared.calls().get_mut(self.index) {
            call.ended = Some(ended);
        }
        self.shared.ended.notify_waiters();
    }
}

/// A response stream that plays a script of items, then ends or hangs, and records its end.
struct ScriptedUsers {
    items: VecDeque<Result<User, Status>>,
    then_hang: bool,
    guard: CallGuard,
}

impl Stream for ScriptedUsers {
    type Item = Result<User, Status>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.items.pop_front() {
            Some(item) => {
                if self.items.is_empty() && !self.then_hang {
                    self.guard.finished = true;
                }
                Poll::Ready(Some(item))
            }
            // Waits forever: nothing will ever wake it, and dropping it is the only way out.
            None if self.then_hang => Poll::Pending,
            None => {
                self.guard.finished = true;
                Poll::Ready(None)
            }
        }
    }
}

fn users(count: usize) -> impl Iterator<Item = Result<User, Status>> {
    (1..=count).map(|id| Ok(lab03::seed_user(id as i32)))
}

#[tonic::async_trait]
impl UserService for FaultyUserService {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let (behaviour, guard) = self.arrive("GetUser", &request);
        let answer = match behaviour {
            Behaviour::Fail(code) => Err(self.injected(code)),
            Behaviour::Hang => self.hang().await,
            Behaviour::AnswerAfter(delay) => {
                tokio::time::sleep(delay).await;
                Ok(Response::new(lab03::seed_user(request.get_ref().id)))
            }
            _ => Ok(Response::new(lab03::seed_user(request.get_ref().id))),
        };
        guard.finish();
        answer
    }

    type ListUsersStream = lab03::service::UserStream;

    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        let (behaviour, guard) = self.arrive("ListUsers", &request);
        let (items, then_hang): (VecDeque<_>, bool) = match behaviour {
            Behaviour::Fail(code) => {
                let status = self.injected(code);
                guard.finish();
                return Err(status);
            }
            Behaviour::Hang => self.hang().await,
            Behaviour::AnswerAfter(delay) => {
                tokio::time::sleep(delay).await;
                (users(LISTED_USERS).collect(), false)
            }
            Behaviour::Answer => (users(LISTED_USERS).collect(), false),
            Behaviour::StreamThenFail(count, code) => (
                users(count).chain([Err(self.injected(code))]).collect(),
                false,
            ),
            Behaviour::StreamThenHang(count) => (users(count).collect(), true),
        };
        let stream = ScriptedUsers {
            items,
            then_hang,
            guard,
        };
        Ok(Response::new(Box::pin(stream)))
    }

    async fn create_users(
        &self,
        request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        let (behaviour, guard) = self.arrive("CreateUsers", &request);
        // Read the whole batch first: by the time this call fails, the server has seen it.
        let mut batch = Vec::new();
        let mut requests = request.into_inner();
        while let Some(request) = requests.next().await {
            batch.push(request?);
        }
        let answer = match behaviour {
            Behaviour::Fail(code) => Err(self.injected(code)),
            Behaviour::Hang => self.hang().await,
            Behaviour::AnswerAfter(delay) => {
                tokio::time::sleep(delay).await;
                Ok(created(batch))
            }
            _ => Ok(created(batch)),
        };
        guard.finish();
        answer
    }

    type ChatStream = lab03::service::ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented(
            "the fault-injecting service has no Chat",
        ))
    }
}

fn created(batch: Vec<CreateUserRequest>) -> Response<CreateUsersResponse> {
    let users: Vec<User> = batch
        .into_iter()
        .zip(1..)
        .map(|(request, id)| User {
            id,
            name: request.name,
            email: request.email,
        })
        .collect();
    Response::new(CreateUsersResponse {
        count: users.len() as i32,
        users,
    })
}

/// A bare HTTP/2 connection for sending gRPC requests by hand.
pub struct RawGrpcClient {
    sender: h2::client::SendRequest<Bytes>,
}

/// What came back from a [`RawGrpcClient`] call, frame by frame.
#[derive(Debug)]
pub struct RawResponse {
    /// The HTTP status: 200 for every gRPC answer, errors included.
    pub http_status: StatusCode,
    /// The response headers. A Trailers-Only answer (an error before any message) carries
    /// `grpc-status` here and has no trailers.
    pub headers: HeaderMap,
    /// The response messages, without their 5-byte prefixes.
    pub messages: Vec<Bytes>,
    /// The trailers, if the response had any.
    pub trailers: Option<HeaderMap>,
}

impl RawResponse {
    /// The call's status, from the trailers or, for a Trailers-Only answer, the headers.
    pub fn status(&self) -> Option<Status> {
        if self.headers.contains_key("grpc-status") {
            return Status::from_header_map(&self.headers);
        }
        self.trailers.as_ref().and_then(Status::from_header_map)
    }
}

impl RawGrpcClient {
    /// Speaks HTTP/2 over `io` (one end of a `tokio::io::duplex` served by tonic, say).
    pub async fn handshake<IO>(io: IO) -> Self
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, connection) = h2::client::handshake(io)
            .await
            .expect("the HTTP/2 handshake with a local tonic server should succeed");
        // The connection does the actual reading and writing; it ends when the server does.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Self { sender }
    }

    /// Connects to a gRPC server listening on `addr`, in plaintext.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        Ok(Self::handshake(tcp).await)
    }

    /// Calls the unary method `path` (e.g. `/user.UserService/GetUser`) with `message` (the
    /// encoded request) and, if given, the `grpc-timeout` header exactly as written.
    pub async fn unary(
        &mut self,
        path: &str,
        grpc_timeout: Option<&str>,
        message: &[u8],
    ) -> Result<RawResponse, h2::Error> {
        let mut request = http::Request::post(format!("http://raw.test{path}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .expect("a POST with these headers is a valid request");
        if let Some(timeout) = grpc_timeout {
            let value = HeaderValue::from_str(timeout)
                .expect("a test's grpc-timeout should be a valid header value");
            request.headers_mut().insert("grpc-timeout", value);
        }

        let mut sender = self.sender.clone().ready().await?;
        let (response, mut body) = sender.send_request(request, false)?;
        let mut frame = BytesMut::with_capacity(5 + message.len());
        frame.put_u8(0); // not compressed
        frame.put_u32(message.len() as u32);
        frame.put_slice(message);
        body.send_data(frame.freeze(), true)?;

        let (parts, mut body) = response.await?.into_parts();
        let mut received = BytesMut::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            let _ = body.flow_control().release_capacity(chunk.len());
            received.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await?;

        let mut messages = Vec::new();
        while received.len() >= 5 {
            let length = (&received[1..5]).get_u32() as usize;
            if received.len() < 5 + length {
                break;
            }
            received.advance(5);
            messages.push(received.split_to(length).freeze());
        }
        Ok(RawResponse {
            http_status: parts.status,
            headers: parts.headers,
            messages,
            trailers,
        })
    }
}
