//! Step 6: a gRPC call with nothing but a TCP socket, the `h2` crate and your codec.
//!
//! tonic's generated client does all of this for you. Doing it by hand once shows that
//! there is nothing else: a gRPC call *is* an HTTP/2 request with a few fixed headers, a
//! body of length-prefixed messages, and a status in the trailers.

use std::{fmt, net::SocketAddr, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use tokio::net::TcpStream;

use crate::{
    DEFAULT_MAX_MESSAGE_LEN, FramingError, GrpcMessage, MessageDecoder, decode_grpc_message,
    encode_message, format_grpc_timeout,
};

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
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(RawCallError::Connect)?;
    // The handshake sends the connection preface and SETTINGS. `connection` is the half
    // that does the I/O (reads frames, answers PING and SETTINGS, writes what the streams
    // queue); it must be polled for anything to move, so it gets a task of its own.
    let (client, connection) = h2::client::handshake(tcp).await?;
    tokio::spawn(async move {
        // It ends when the client and all its streams are dropped, or the connection fails
        // (the stream's own calls below report that failure).
        let _ = connection.await;
    });
    // Waits until the server's SETTINGS allow another concurrent stream.
    let mut client = client.ready().await?;

    let mut http_request = http::Request::builder()
        .method(Method::POST)
        .uri(format!("http://{addr}{}", request.path))
        .header(header::CONTENT_TYPE, "application/grpc")
        .header(header::TE, "trailers")
        .body(())
        .map_err(RawCallError::InvalidRequest)?;
    if let Some(timeout) = request.timeout {
        let value = HeaderValue::try_from(format_grpc_timeout(timeout))
            .map_err(|error| RawCallError::InvalidRequest(error.into()))?;
        http_request.headers_mut().insert("grpc-timeout", value);
    }
    http_request.headers_mut().extend(request.headers);

    // HEADERS without END_STREAM (the body follows), then one DATA frame with the message
    // and END_STREAM: a unary client has nothing more to say.
    let (response, mut send) = client.send_request(http_request, false)?;
    let mut body = Vec::new();
    encode_message(&request.message, request.compressed, &mut body);
    send.send_data(Bytes::from(body), true)?;

    let response = response.await?;
    let (parts, mut recv) = response.into_parts();

    let mut decoder = MessageDecoder::new(DEFAULT_MAX_MESSAGE_LEN);
    let mut messages = Vec::new();
    while let Some(chunk) = recv.data().await {
        let chunk = chunk?;
        // Hand the bytes back to the flow-control windows (stream and connection): without
        // this the server stops sending once it has filled them.
        let _ = recv.flow_control().release_capacity(chunk.len());
        decoder.push(&chunk);
        while let Some(message) = decoder.next_message()? {
            messages.push(message);
        }
    }
    decoder.finish()?;
    // After the last DATA frame: the trailers, or nothing for a Trailers-Only response
    // (its HEADERS frame already had END_STREAM).
    let trailers = recv.trailers().await?;

    Ok(RawResponse {
        http_status: parts.status,
        headers: parts.headers,
        messages,
        trailers,
    })
}
// ANCHOR_END: raw_call
