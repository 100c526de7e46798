//! Step 5: authentication with bearer tokens, in a tonic interceptor.
//!
//! The client sends its token in the `authorization` metadata of every call, as
//! `authorization: Bearer <token>` (the HTTP scheme of RFC 6750, which gRPC reuses).
//! A tonic [`Interceptor`] runs on each call's request headers before the generated
//! service decodes a single message, so one interceptor covers unary and streaming
//! methods alike, and a refused call never reaches a handler.
//!
//! Authentication answers "who are you?": a call without a valid token ends with
//! `UNAUTHENTICATED`. What the caller may then do is authorization, step 6.

use std::{fmt, sync::Arc};

use tonic::{Request, Status, metadata::MetadataMap, service::Interceptor};

/// What a token allows. Ordered: a `ReadWrite` caller may do everything a `ReadOnly` one
/// may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// May read users (`GetUser`, `ListUsers`).
    ReadOnly,
    /// May call every method.
    ReadWrite,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::ReadOnly => "read-only",
            Role::ReadWrite => "read-write",
        })
    }
}

/// Checks `authorization: Bearer <token>` against known tokens, each with a role.
///
/// Put it in front of a service with `InterceptedService::new(service, auth)` (or
/// `UserServiceServer::with_interceptor`). On success the caller's [`Role`] is added to the
/// request's extensions, where step 6's authorization layer and the handlers find it.
#[derive(Clone, Default)]
pub struct BearerAuth {
    /// Shared, because tonic clones the interceptor for every connection.
    tokens: Arc<Vec<(String, Role)>>,
}

impl BearerAuth {
    /// An authenticator that knows no token yet (and so refuses every call).
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accepts `token`, for a caller with `role`.
    pub fn with_token(self, token: impl Into<String>, role: Role) -> Self {
        let mut tokens = Vec::clone(&self.tokens);
        tokens.push((token.into(), role));
        Self {
            tokens: Arc::new(tokens),
        }
    }

    // ANCHOR: authenticate
    /// The role of the caller whose `authorization` metadata is in `metadata`, or
    /// `UNAUTHENTICATED` saying what is wrong, without ever repeating the token.
    pub fn authenticate(&self, metadata: &MetadataMap) -> Result<Role, Status> {
        // TODO(lab 8, step 5): three ways to fail, each `Status::unauthenticated`, with
        // these messages (the snapshot test records them):
        // - no `authorization` in `metadata`:
        //   "missing authorization metadata: send `authorization: Bearer <token>`";
        // - a value that is not ASCII (`to_str()` fails) or not `Bearer <token>`
        //   (`bearer_token` below returns `None`):
        //   "malformed authorization metadata: expected `Bearer <token>`";
        // - a token that matches none of `self.tokens`: "invalid bearer token".
        // Compare with `constant_time_eq`, against every known token (don't stop at the
        // first match), and return the role of the one that matched.
        let _ = (metadata, &self.tokens);
        todo!("lab 8, step 5: implement BearerAuth::authenticate in labs/08_security/src/auth.rs")
    }
    // ANCHOR_END: authenticate
}

// ANCHOR: interceptor
impl Interceptor for BearerAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        // TODO(lab 8, step 5): authenticate the call, or refuse it.
        // - `self.authenticate(request.metadata())?`: a refusal ends the call right here;
        // - mark the `authorization` value sensitive (`request.metadata_mut()
        //   .get_mut("authorization")`, then `set_sensitive(true)`): h2 never marks a
        //   received header sensitive, so otherwise `{:?}` of the metadata prints the token;
        // - put the `Role` in `request.extensions_mut()`, for step 6 and the handlers;
        // - return the request.
        let _ = (request, &self.tokens);
        todo!(
            "lab 8, step 5: implement the Interceptor for BearerAuth in labs/08_security/src/auth.rs"
        )
    }
}
// ANCHOR_END: interceptor

// ANCHOR: debug
// Never `#[derive(Debug)]` on a type that holds secrets: a `{:?}` in a log line, a panic
// message or a test failure would print every token.
impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // TODO(lab 8, step 5): write `BearerAuth` without its tokens, e.g.
        // `BearerAuth { tokens: <2 redacted>, roles: [ReadOnly, ReadWrite] }`
        // (`f.debug_struct("BearerAuth")`, `.field(...)`, `format_args!`, `.finish()`).
        let _ = (f, &self.tokens);
        todo!("lab 8, step 5: implement Debug for BearerAuth in labs/08_security/src/auth.rs")
    }
}
// ANCHOR_END: debug

// ANCHOR: bearer_token
/// The token in an `authorization` value `Bearer <token>`; `None` for any other scheme, a
/// missing or empty token, or a token with spaces in it. The scheme name is
/// case-insensitive, as in all HTTP authentication schemes.
pub fn bearer_token(value: &str) -> Option<&str> {
    // TODO(lab 8, step 5): split `value` at its first space (`split_once(' ')`); the part
    // before must be "Bearer" in any case (`eq_ignore_ascii_case`), the part after (extra
    // leading spaces trimmed) the token: not empty, no spaces. The seed's
    // `value.replace('Bearer ', '')` accepts a bare token; this must not.
    let _ = value;
    todo!("lab 8, step 5: implement bearer_token in labs/08_security/src/auth.rs")
}
// ANCHOR_END: bearer_token

/// Whether `a == b`, taking the same time for every pair of inputs of the same lengths.
///
/// A plain `==` on slices may stop at the first byte that differs, so its running time can
/// tell an attacker how many leading bytes of a guess were right. This looks at every byte.
/// It still reveals the length, and Rust promises nothing about constant time (the
/// `black_box` only discourages the optimiser from adding an early exit), so production
/// code uses a vetted crate such as `subtle`, or compares fixed-length digests of tokens.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    difference == 0
}
