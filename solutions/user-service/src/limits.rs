//! Status codes the gRPC specification asks for where tonic 0.14 answers differently.
//!
//! A request message larger than the server's limit (4 MiB by default) should be answered with
//! `RESOURCE_EXHAUSTED`: the status-code table of the gRPC specification lists "a message
//! larger than the configured maximum" under it, and grpc-go and grpc-java send it. tonic's
//! decoder reports `OUT_OF_RANGE` ("decoded message length too large") instead. For a unary
//! or server-streaming call the decoder runs before the handler does, so the handler never
//! sees the error; it leaves the server as a Trailers-Only response (the status in the
//! response headers). This layer rewrites exactly that response. Client-streaming and
//! bidirectional handlers see the error from `Streaming::message()` and map it with
//! [`spec_status`].

use tonic::{Code, Status, body::Body, codegen::http};

/// tonic's message for an over-limit message, as it stands at the start of `grpc-message`.
const TOO_LARGE: &str = "Error, decoded message length too large";

/// `status`, with tonic's `OUT_OF_RANGE` for an over-limit message turned into the
/// specification's `RESOURCE_EXHAUSTED`; any other status unchanged.
pub fn spec_status(status: Status) -> Status {
    if status.code() == Code::OutOfRange && status.message().starts_with(TOO_LARGE) {
        Status::resource_exhausted(status.message().to_owned())
    } else {
        status
    }
}

/// Applies [`spec_status`] to a Trailers-Only response. Used with
/// `tower::util::MapResponseLayer` around the whole server.
pub fn spec_status_in_headers(mut response: http::Response<Body>) -> http::Response<Body> {
    let headers = response.headers_mut();
    let is_out_of_range = headers
        .get("grpc-status")
        .is_some_and(|code| code.as_bytes() == b"11");
    if !is_out_of_range {
        return response;
    }
    // grpc-message is percent-encoded on the wire (chapter 11); tonic decodes it for us.
    let Some(status) = Status::from_header_map(headers) else {
        return response;
    };
    let mapped = spec_status(status);
    if mapped.code() == Code::ResourceExhausted {
        // `add_header` overwrites grpc-status and grpc-message; it only fails on a message
        // that cannot be a header value, and this one came from a header.
        let _ = mapped.add_header(headers);
    }
    response
}
