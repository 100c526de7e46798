//! What every lab's tests need and no learner should have to write: a real gRPC server on
//! `127.0.0.1:0` (or on an in-memory pipe), a client channel to it, and a clean shutdown.
//!
//! Binding port 0 lets the operating system pick a free port, so tests can run in parallel
//! and never collide with each other or with a server the learner left running.

use std::net::SocketAddr;

use bytes::{Buf, BufMut};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{
    Code, Status,
    service::Routes,
    transport::{Channel, Endpoint, Server, Uri, server::TcpIncoming},
};

/// A server running on a loopback port for the length of one test.
///
/// Dropping it stops the server; [`TestServer::shutdown`] does the same and also waits
/// until the server has finished, which is what a test of graceful shutdown wants.
pub struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl TestServer {
    /// Starts `routes` on `127.0.0.1:0` and returns once the port is bound, so a client may
    /// connect straight away.
    ///
    /// Build `routes` from any generated server, e.g.
    /// `Routes::new(UserServiceServer::new(my_service))`.
    pub async fn start(routes: Routes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 should always work on loopback");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(
            Server::builder()
                .add_routes(routes)
                // With TCP_NODELAY, as a deployed server should (see chapter 10): small
                // responses are not held back by Nagle's algorithm.
                .serve_with_incoming_shutdown(
                    TcpIncoming::from(listener).with_nodelay(Some(true)),
                    async {
                        // Either an explicit shutdown or the TestServer being dropped.
                        let _ = stopped.await;
                    },
                ),
        );
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The address the server listens on (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's URL, as clients want it: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A channel to the server. It connects on first use, so creating it cannot fail.
    pub fn channel(&self) -> Channel {
        Endpoint::from_shared(self.url())
            .expect("http://127.0.0.1:<port> is a valid URI")
            .connect_lazy()
    }

    /// Stops accepting new calls, lets calls in flight finish, and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("the server task should not panic")
                .expect("the server should shut down without a transport error");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `routes` over an in-memory pipe instead of a socket and returns a channel to it.
///
/// No port, no operating-system networking: the HTTP/2 bytes travel through a
/// `tokio::io::duplex` pipe. The server stops when the channel (and every clone of it) is
/// dropped.
pub async fn serve_in_memory(routes: Routes) -> Channel {
    // 64 KiB of buffer each way: bigger than one default HTTP/2 frame (16 KiB).
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);

    tokio::spawn(
        Server::builder()
            .add_routes(routes)
            .serve_with_incoming(tokio_stream::once(Ok::<_, std::io::Error>(server_io))),
    );

    let mut client_io = Some(client_io);
    Endpoint::from_static("http://in-memory.test")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let io = client_io.take();
            async move {
                io.map(TokioIo::new).ok_or_else(|| {
                    std::io::Error::other("an in-memory channel can connect only once")
                })
            }
        }))
        .await
        .expect("connecting to an in-memory server cannot fail")
}

/// A status as one stable line for assertions and snapshots: `NotFound: no user with id 7`.
///
/// Only the code and the message: metadata holds things like dates and ports that would make
/// a snapshot change from run to run.
pub fn describe_status(status: &Status) -> String {
    format!("{:?}: {}", status.code(), status.message())
}

/// A `Result` from a call as one stable line: `Ok: <value>` or the status as in
/// [`describe_status`].
pub fn describe_result<T: std::fmt::Debug>(result: &Result<T, Status>) -> String {
    match result {
        Ok(value) => format!("Ok: {value:?}"),
        Err(status) => describe_status(status),
    }
}

/// Asserts that `result` failed with `code`, and returns the status for further checks.
///
/// The failure message says what came back instead, which is what a learner needs to see.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Err(status) if status.code() == code => status,
        Err(status) => panic!(
            "expected status {code:?}, got {:?} with message {:?}",
            status.code(),
            status.message()
        ),
        Ok(value) => panic!("expected status {code:?}, but the call succeeded with {value:?}"),
    }
}

/// insta settings shared by the labs: a snapshot file is named after the snapshot alone
/// (`get_user_answers.snap`), not after the test module that wrote it.
///
/// Keep what varies between runs (ports, times, generated ids) out of snapshot text in the
/// first place: render it through [`describe_status`] / [`describe_result`], which drop
/// metadata, rather than `{:?}` of a whole response.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The bytes of a `GetUserRequest { id: 1 }` padded with an unknown 5 MiB field: valid
/// protobuf, but over the 4 MiB default message limit. Send it with [`raw_unary_call`].
pub fn oversized_get_user_request() -> Vec<u8> {
    let padding = 5 * 1024 * 1024;
    let mut body = vec![0x08, 0x01];
    // Field 15, wire type 2 (length-delimited): key (15 << 3) | 2 = 0x7a, then the length as
    // a varint, then the bytes.
    body.push(0x7a);
    let mut length = padding as u64;
    while length >= 0x80 {
        body.push((length as u8 & 0x7f) | 0x80);
        length >>= 7;
    }
    body.push(length as u8);
    body.resize(body.len() + padding, b'x');
    body
}

/// Calls `path` (e.g. `/user.UserService/GetUser`) with `body` as the request message's raw
/// bytes, and returns the response message's raw bytes.
///
/// This is how a test sends what a generated client never would: bytes that are not the
/// request type at all, or not protobuf.
pub async fn raw_unary_call(
    channel: Channel,
    path: &'static str,
    body: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let mut grpc = ready_client(channel).await?;
    let response = grpc
        .unary(
            tonic::Request::new(body),
            tonic::codegen::http::uri::PathAndQuery::from_static(path),
            RawBytesCodec,
        )
        .await?;
    Ok(response.into_inner())
}

/// Calls the client-streaming method `path` (e.g. `/user.UserService/CreateUsers`) with each
/// of `messages` as one request message's raw bytes, and returns the response's raw bytes.
pub async fn raw_client_streaming_call(
    channel: Channel,
    path: &'static str,
    messages: Vec<Vec<u8>>,
) -> Result<Vec<u8>, Status> {
    let mut grpc = ready_client(channel).await?;
    let response = grpc
        .client_streaming(
            tonic::Request::new(tokio_stream::iter(messages)),
            tonic::codegen::http::uri::PathAndQuery::from_static(path),
            RawBytesCodec,
        )
        .await?;
    Ok(response.into_inner())
}

/// Calls the bidirectional-streaming method `path` (e.g. `/user.UserService/Chat`) with each
/// of `messages` as one request message's raw bytes, and returns the stream of response
/// messages' raw bytes.
pub async fn raw_streaming_call(
    channel: Channel,
    path: &'static str,
    messages: Vec<Vec<u8>>,
) -> Result<tonic::Streaming<Vec<u8>>, Status> {
    let mut grpc = ready_client(channel).await?;
    let response = grpc
        .streaming(
            tonic::Request::new(tokio_stream::iter(messages)),
            tonic::codegen::http::uri::PathAndQuery::from_static(path),
            RawBytesCodec,
        )
        .await?;
    Ok(response.into_inner())
}

/// A generic gRPC client over `channel`, once the channel is ready to take a call.
async fn ready_client(channel: Channel) -> Result<tonic::client::Grpc<Channel>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(format!("connecting failed: {error}")))?;
    Ok(grpc)
}

/// A codec that passes message bytes through untouched, for the `raw_*_call` functions.
#[derive(Debug, Clone, Copy, Default)]
struct RawBytesCodec;

impl tonic::codec::Codec for RawBytesCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawBytesCodec;
    type Decoder = RawBytesCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawBytesCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawBytesCodec
    }
}

impl tonic::codec::Encoder for RawBytesCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(
        &mut self,
        item: Self::Item,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), Self::Error> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawBytesCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Self::Item>, Self::Error> {
        let mut bytes = vec![0; src.remaining()];
        src.copy_to_slice(&mut bytes);
        Ok(Some(bytes))
    }
}
