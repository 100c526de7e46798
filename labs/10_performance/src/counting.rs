//! Given: measuring instruments for the tests (and for your own experiments).
//!
//! Performance work needs numbers, but times are noisy: a test that asserts "faster than
//! 5 ms" fails on a busy laptop. What an improvement *changes* can be counted instead:
//! connections accepted, bytes on the wire, calls made, calls that reached a handler.
//!
//! - [`Counters`]: the shared counts.
//! - [`CountingIo`]: wraps a connection and counts the bytes read from and written to it.
//! - [`CountedServer`]: a server on `127.0.0.1:0` whose every accepted connection is counted
//!   and wrapped in a [`CountingIo`].
//! - [`CountingUserService`]: `GetUser` and `ListUsers` over chapter 3's store, counting the
//!   calls that reach each handler, and able to hold calls in the handler (a [`Gate`]).

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use lab03::{InMemoryUserStore, lookup_user, service::UserStream};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{Notify, Semaphore, oneshot},
};
use tokio_stream::{StreamExt as _, wrappers::TcpListenerStream};
use tonic::{
    Code, Request, Response, Status, Streaming,
    body::Body,
    codegen::http,
    service::Routes,
    transport::{
        Channel, Endpoint, Server,
        server::{Connected, TcpConnectInfo},
    },
};
use tower::util::MapResponseLayer;
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_server::UserService,
};

/// Counts shared by a server and every connection it accepted.
#[derive(Debug, Default)]
pub struct Counters {
    connections: AtomicU64,
    bytes_read: AtomicU64,
    bytes_written: AtomicU64,
}

impl Counters {
    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Bytes read from all connections so far (what clients sent).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::SeqCst)
    }

    /// Bytes written to all connections so far (what the server sent).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written.load(Ordering::SeqCst)
    }
}

// ANCHOR: counting_io
/// A connection that counts the bytes going through it, in both directions.
///
/// It counts at the socket, below HTTP/2: frame headers, HPACK-compressed headers, gRPC's
/// five-byte message prefixes and the (possibly compressed) messages all count, exactly as
/// they would on the network.
#[derive(Debug)]
pub struct CountingIo<T> {
    inner: T,
    counters: Arc<Counters>,
}

impl<T> CountingIo<T> {
    /// Wraps `inner`, adding its traffic to `counters`.
    pub fn new(inner: T, counters: Arc<Counters>) -> Self {
        Self { inner, counters }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        self.counters.bytes_read.fetch_add(read, Ordering::SeqCst);
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = &result {
            self.counters
                .bytes_written
                .fetch_add(*written as u64, Ordering::SeqCst);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = &result {
            self.counters
                .bytes_written
                .fetch_add(*written as u64, Ordering::SeqCst);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

// tonic's server asks each connection who is on the other end (for `Request::remote_addr`).
impl Connected for CountingIo<TcpStream> {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}
// ANCHOR_END: counting_io

/// A server on `127.0.0.1:0` that counts what it accepts and what goes over the wire.
///
/// Dropping it stops the server.
pub struct CountedServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
    _stop: oneshot::Sender<()>,
}

impl CountedServer {
    /// Serves `routes` with `builder` (e.g. `Server::builder()`, or one you configured).
    ///
    /// Like the reference server, it answers an over-limit request with the specification's
    /// `RESOURCE_EXHAUSTED` where tonic 0.14 says `OUT_OF_RANGE` (see [`spec_status_in_headers`]).
    pub async fn start(builder: Server, routes: Routes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 should always work on loopback");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let counters = Arc::new(Counters::default());
        // ANCHOR: counting_listener
        let accepted = Arc::clone(&counters);
        let incoming = TcpListenerStream::new(listener).map(move |stream| {
            accepted.connections.fetch_add(1, Ordering::SeqCst);
            stream.and_then(|stream| {
                // As tonic's own `serve` does: send small writes at once (no Nagle delay).
                stream.set_nodelay(true)?;
                Ok(CountingIo::new(stream, Arc::clone(&accepted)))
            })
        });
        // ANCHOR_END: counting_listener
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(
            builder
                .layer(MapResponseLayer::new(spec_status_in_headers))
                .add_routes(routes)
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                }),
        );
        Self {
            addr,
            counters,
            _stop: stop,
        }
    }

    /// The server's counts.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// `http://127.0.0.1:<port>`, as an `Endpoint`: what a client connects with.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::from_shared(format!("http://{}", self.addr))
            .expect("http://127.0.0.1:<port> is a valid URI")
    }

    /// One channel (one connection, made on first use) to the server.
    pub fn channel(&self) -> Channel {
        self.endpoint().connect_lazy()
    }
}

/// tonic's message for an over-limit message, as it stands at the start of `grpc-message`.
const TOO_LARGE: &str = "Error, decoded message length too large";

/// Rewrites tonic's `OUT_OF_RANGE` answer to an over-limit request message into the
/// `RESOURCE_EXHAUSTED` that the gRPC specification (and grpc-go, grpc-java) use. The same
/// rewrite as the reference server's `limits` module.
pub fn spec_status_in_headers(mut response: http::Response<Body>) -> http::Response<Body> {
    let headers = response.headers_mut();
    if headers.get("grpc-status").map(|code| code.as_bytes()) != Some(b"11") {
        return response;
    }
    if let Some(status) = Status::from_header_map(headers)
        && status.code() == Code::OutOfRange
        && status.message().starts_with(TOO_LARGE)
    {
        let _ = Status::resource_exhausted(status.message().to_owned()).add_header(headers);
    }
    response
}

/// Holds calls inside the handler until released: how a test fills a server with work in
/// progress without sleeping.
#[derive(Debug)]
pub struct Gate {
    open: Semaphore,
    entered: AtomicU64,
    entered_changed: Notify,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            open: Semaphore::new(0),
            entered: AtomicU64::new(0),
            entered_changed: Notify::new(),
        }
    }
}

impl Gate {
    /// How many calls have entered a handler so far.
    pub fn entered(&self) -> u64 {
        self.entered.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` calls have entered a handler.
    pub async fn wait_for_entered(&self, count: u64) {
        loop {
            let changed = self.entered_changed.notified();
            if self.entered() >= count {
                return;
            }
            changed.await;
        }
    }

    /// Lets every held call (and every later one) through.
    pub fn open(&self) {
        // A closed semaphore answers every `acquire` at once (with an error we ignore).
        self.open.close();
    }

    async fn pass(&self) {
        self.entered.fetch_add(1, Ordering::SeqCst);
        self.entered_changed.notify_waiters();
        let _ = self.open.acquire().await;
    }
}

/// Calls that reached each handler of a [`CountingUserService`].
#[derive(Debug, Default)]
pub struct CallCounts {
    get_user: AtomicU64,
    list_users: AtomicU64,
}

impl CallCounts {
    /// `GetUser` calls that reached the handler.
    pub fn get_user(&self) -> u64 {
        self.get_user.load(Ordering::SeqCst)
    }

    /// `ListUsers` calls that reached the handler.
    pub fn list_users(&self) -> u64 {
        self.list_users.load(Ordering::SeqCst)
    }
}

/// `GetUser` (chapter 3) and `ListUsers` (chapter 4) over a shared store, counting calls.
#[derive(Debug, Clone)]
pub struct CountingUserService {
    store: Arc<InMemoryUserStore>,
    calls: Arc<CallCounts>,
    gate: Option<Arc<Gate>>,
}

impl CountingUserService {
    /// A service answering from `store`.
    pub fn new(store: Arc<InMemoryUserStore>) -> Self {
        Self {
            store,
            calls: Arc::default(),
            gate: None,
        }
    }

    /// The same service, holding every `GetUser` at `gate` until it opens.
    pub fn with_gate(mut self, gate: Arc<Gate>) -> Self {
        self.gate = Some(gate);
        self
    }

    /// The calls that reached the handlers (shared by every clone of the service).
    pub fn calls(&self) -> Arc<CallCounts> {
        Arc::clone(&self.calls)
    }
}

#[tonic::async_trait]
impl UserService for CountingUserService {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        self.calls.get_user.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = &self.gate {
            gate.pass().await;
        }
        let user = lookup_user(self.store.as_ref(), request.into_inner().id)?;
        Ok(Response::new(user))
    }

    type ListUsersStream = UserStream;

    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        self.calls.list_users.fetch_add(1, Ordering::SeqCst);
        let spec = lab04::page_spec(request.get_ref())?;
        Ok(Response::new(lab04::stream_page(
            Arc::clone(&self.store),
            spec,
        )))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("not measured in this lab"))
    }

    type ChatStream = lab03::service::ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        Err(Status::unimplemented("not measured in this lab"))
    }
}
