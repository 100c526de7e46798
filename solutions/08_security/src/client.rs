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
        // `parse` alone would accept spaces, tabs and (as obs-text) non-ASCII bytes.
        if token.is_empty() || !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(InvalidToken);
        }
        let mut value: MetadataValue<Ascii> = format!("Bearer {token}")
            .parse()
            .map_err(|_| InvalidToken)?;
        value.set_sensitive(true);
        Ok(Self { value })
    }
}

impl Interceptor for AttachToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        // `insert` replaces a value the caller may have set by hand: one credential per call.
        request
            .metadata_mut()
            .insert("authorization", self.value.clone());
        Ok(request)
    }
}
// ANCHOR_END: attach_token
