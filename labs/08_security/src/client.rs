//! Step 7: the client side of a bearer token.
//!
//! The client attaches `authorization: Bearer <token>` to every call. An interceptor on
//! the client does it once for all methods: `UserServiceClient::with_interceptor(channel,
//! AttachToken::new(token)?)`. It is the tonic counterpart of grpcio's
//! `grpc.access_token_call_credentials(token)`.

use std::fmt;

use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::Interceptor,
};

/// A token that cannot travel as metadata: gRPC metadata values are visible ASCII only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidToken;

impl fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token itself stays out of the message, as everywhere else.
        f.write_str("a bearer token must be visible ASCII without spaces")
    }
}

impl std::error::Error for InvalidToken {}

/// Adds `authorization: Bearer <token>` to every request.
#[derive(Clone, Debug)]
pub struct AttachToken {
    /// `Bearer <token>`, marked sensitive: its `Debug` prints `Sensitive`, and HTTP/2 sends
    /// it "never indexed", so it is not kept in the connection's HPACK compression table.
    value: MetadataValue<Ascii>,
}

// ANCHOR: attach_token
impl AttachToken {
    /// An interceptor that sends `token` with every call; [`InvalidToken`] if `token` is
    /// empty or is not visible ASCII (spaces, control characters, non-ASCII letters).
    pub fn new(token: &str) -> Result<Self, InvalidToken> {
        // TODO(lab 8, step 7): build the metadata value once, here.
        // - refuse an empty token, or one with any byte that is not
        //   `u8::is_ascii_graphic` (`parse` alone would let spaces, tabs and non-ASCII
        //   through);
        // - `format!("Bearer {token}").parse::<MetadataValue<Ascii>>()`, its error as
        //   `InvalidToken`;
        // - `set_sensitive(true)` on it before storing it.
        let _ = token;
        todo!("lab 8, step 7: implement AttachToken::new in labs/08_security/src/client.rs")
    }
}

impl Interceptor for AttachToken {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        // TODO(lab 8, step 7): put a clone of `self.value` in the request's metadata under
        // "authorization". `insert` (not `append`) replaces a value set by hand: one
        // credential per call.
        let _ = (request, &self.value);
        todo!(
            "lab 8, step 7: implement the Interceptor for AttachToken in labs/08_security/src/client.rs"
        )
    }
}
// ANCHOR_END: attach_token
