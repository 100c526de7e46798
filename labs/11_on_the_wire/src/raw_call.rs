//! Step 6: a gRPC call with nothing but a TCP socket, the `h2` crate and your codec.
//!
//! tonic's generated client does all of this for you. Doing it by hand once shows that
//! there is nothing else: a gRPC call *is* an HTTP/2 request with a few fixed headers, a
//! body of length-prefixed messages, and a status in the trailers.

use std::{fmt, net::SocketAddr, time::Duration};

use http::{HeaderMap, StatusCode};
// What step 6 needs: bytes for the DATA frame, the request builder's names, TCP, your
// codec and your timeout formatter.
#[allow(unused_imports)]
use bytes::Bytes;
#[allow(unused_imports)]
use http::{HeaderValue, Method, header};
#[allow(unused_imports)]
use tokio::net::TcpStream;

#[allow(unused_imports)]
use crate::{DEFAULT_MAX_MESSAGE_LEN, MessageDecoder, encode_message, format_grpc_timeout};
use crate::{FramingError, GrpcMessage, decode_grpc_message};

// ANCHOR: raw_request
/// One request with a single message, as raw as gRPC gets.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// `/{package}.{Service}/{Method}`, e.g. `/user.UserService/GetUser`.
    pub path: String,
    /// The request message's protobuf bytes (your codec adds the prefix).
    pub message: Vec<u8>,
    /// Sets the compressed flag of the message prefix. The bytes are sent as they are: say
    /// which compression they use with a `grpc-encoding` entry in `headers`.
    pub compressed: bool,
    /// Sent as `grpc-timeout` when set.
    pub timeout: Option<Duration>,
    /// More header fields: custom metadata, `grpc-encoding`, ...
    pub headers: HeaderMap,
}

impl RawRequest {
    /// A request for `path` carrying `message`, uncompressed, with no deadline and no
    /// extra headers.
    pub fn new(path: impl Into<String>, message: Vec<u8>) -> Self {
        Self {
            path: path.into(),
            message,
            compressed: false,
            timeout: None,
            headers: HeaderMap::new(),
        }
    }
}
// ANCHOR_END: raw_request

// ANCHOR: raw_response
/// Everything the server sent back.
#[derive(Debug)]
pub struct RawResponse {
    /// The HTTP status: 200 for every gRPC answer, success or failure.
    pub http_status: StatusCode,
    /// The response headers. For a Trailers-Only response, they hold the gRPC status too.
    pub headers: HeaderMap,
    /// The response messages, in order.
    pub messages: Vec<GrpcMessage>,
    /// The trailers; `None` for a Trailers-Only response.
    pub trailers: Option<HeaderMap>,
}

impl RawResponse {
    /// Where the call's outcome is: the trailers, or the headers of a Trailers-Only
    /// response.
    pub fn status_fields(&self) -> &HeaderMap {
        self.trailers.as_ref().unwrap_or(&self.headers)
    }

    /// The `grpc-status` value (`"0"` for OK), if the server sent one.
    pub fn grpc_status(&self) -> Option<&str> {
        self.status_fields()
            .get("grpc-status")
            .and_then(|value| value.to_str().ok())
    }

    /// The status message, percent-decoded; `None` if the server sent none.
    pub fn grpc_message(&self) -> Option<String> {
        self.status_fields()
            .get("grpc-message")
            .map(|value| decode_grpc_message(value.as_bytes()))
    }
}
// ANCHOR_END: raw_response

/// Why a raw call failed below the level of gRPC statuses.
#[derive(Debug)]
pub enum RawCallError {
    /// The path or a header value cannot be sent (not a valid URI path or header value).
    InvalidRequest(http::Error),
    /// The TCP connection could not be opened.
    Connect(std::io::Error),
    /// HTTP/2 failed: the handshake, a reset stream, a closed connection.
    Http2(h2::Error),
    /// The response body is not a sequence of length-prefixed messages.
    Framing(FramingError),
}

impl fmt::Display for RawCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRequest(error) => write!(f, "the request cannot be sent: {error}"),
            Self::Connect(error) => write!(f, "connecting failed: {error}"),
            Self::Http2(error) => write!(f, "HTTP/2 failed: {error}"),
            Self::Framing(error) => write!(f, "the response body is malformed: {error}"),
        }
    }
}

impl std::error::Error for RawCallError {}

impl From<h2::Error> for RawCallError {
    fn from(error: h2::Error) -> Self {
        Self::Http2(error)
    }
}

impl From<FramingError> for RawCallError {
    fn from(error: FramingError) -> Self {
        Self::Framing(error)
    }
}

// ANCHOR: raw_call
/// Makes one call that sends a single request message (a unary or a server-streaming
/// method) to the gRPC server at `addr`, over a new plaintext HTTP/2 connection, and
/// returns what came back: any number of response messages, then the status.
///
/// A gRPC error is not an `Err` here: it is a [`RawResponse`] whose `grpc-status` is not 0.
/// `Err` means the call did not get as far as a status.
pub async fn raw_call(addr: SocketAddr, request: RawRequest) -> Result<RawResponse, RawCallError> {
    // TODO(lab 11, step 6): one call, frame by frame, with the `h2` crate.
    // 1. `TcpStream::connect(addr)` (map the error with `RawCallError::Connect`), then
    //    `h2::client::handshake(tcp).await?` gives `(client, connection)`. `connection`
    //    does the I/O and must be polled: `tokio::spawn` it (ignore its result). Then
    //    `client.ready().await?` waits until a new stream may be opened.
    // 2. Build an `http::Request<()>`: method POST, URI `http://{addr}{path}`, headers
    //    `content-type: application/grpc` and `te: trailers`; with a timeout, also
    //    `grpc-timeout` from your `format_grpc_timeout`; then add `request.headers`
    //    (`headers_mut().extend(...)`). Builder errors: `RawCallError::InvalidRequest`.
    // 3. `client.send_request(http_request, false)?` sends HEADERS without END_STREAM and
    //    returns `(response_future, send_stream)`. Frame the message with your
    //    `encode_message` (flag from `request.compressed`) and send it as one DATA frame
    //    that ends the stream: `send_stream.send_data(Bytes::from(body), true)?`.
    // 4. `response_future.await?` gives an `http::Response<RecvStream>`; `into_parts()`.
    //    While `recv.data().await` yields chunks: give the bytes back to flow control
    //    (`recv.flow_control().release_capacity(chunk.len())`), push them into a
    //    `MessageDecoder::new(DEFAULT_MAX_MESSAGE_LEN)` and take out every complete message.
    //    Then `decoder.finish()?`.
    // 5. `recv.trailers().await?`: `Some` after DATA, `None` for a Trailers-Only response.
    // Return a `RawResponse` with the status, headers, messages and trailers. (`?` turns
    // `h2::Error` and `FramingError` into `RawCallError` through the `From` impls below.)
    let _ = (addr, request);
    todo!("lab 11, step 6: implement raw_call in labs/11_on_the_wire/src/raw_call.rs")
}
// ANCHOR_END: raw_call
