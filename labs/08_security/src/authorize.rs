//! Step 6: authorization per method, in a tower layer.
//!
//! Authorization answers "may *you* call *this*?", so it needs the caller (the [`Role`] the
//! interceptor of step 5 found) and the method. A tonic interceptor cannot see the method:
//! it gets a `Request<()>` of metadata and extensions, and the request's path (here
//! `/user.UserService/CreateUsers`) is not among them. So the check lives one level down, in
//! [`Authorize`], a tower service that wraps the generated server and sees the whole HTTP
//! request. [`protect`] puts both together, in the order that works.

use std::task::{Context, Poll};

use tonic::{
    Status,
    body::Body,
    codegen::{BoxFuture, http},
    server::NamedService,
    service::interceptor::InterceptedService,
};

use crate::auth::{BearerAuth, Role};

/// The methods a [`Role::ReadOnly`] caller may call: they change nothing.
pub const READ_ONLY_METHODS: [&str; 2] =
    ["/user.UserService/GetUser", "/user.UserService/ListUsers"];

// ANCHOR: authorize
/// The least role that may call the method at `path` (`/package.Service/Method`).
pub fn required_role(path: &str) -> Role {
    // TODO(lab 8, step 6): `Role::ReadOnly` for the paths in `READ_ONLY_METHODS`,
    // `Role::ReadWrite` for every other path, including methods nobody has written yet.
    let _ = path;
    todo!("lab 8, step 6: implement required_role in labs/08_security/src/authorize.rs")
}

/// Whether a caller with `role` may call the method at `path`.
///
/// - no role at all: nobody authenticated the call, `UNAUTHENTICATED` (fail closed: a
///   server wired without step 5's interceptor refuses everything);
/// - a role below [`required_role`]: `PERMISSION_DENIED`, naming the method;
/// - otherwise the call may proceed.
pub fn authorize(role: Option<Role>, path: &str) -> Result<(), Status> {
    // TODO(lab 8, step 6): apply the three rules above. `Role` is ordered
    // (`ReadOnly < ReadWrite`) and displays as "read-only" / "read-write"; the messages
    // (the snapshot test records them):
    // - no role: "no authenticated caller: the call did not pass the authentication
    //   interceptor";
    // - too weak: "a {role} token may not call {path}: it needs a {required} token".
    let _ = (role, path);
    todo!("lab 8, step 6: implement authorize in labs/08_security/src/authorize.rs")
}
// ANCHOR_END: authorize

// ANCHOR: protect
/// A service behind both checks.
pub type Protected<S> = InterceptedService<Authorize<S>, BearerAuth>;

/// Puts `service` (e.g. a `UserServiceServer`) behind `auth` (step 5) and [`Authorize`].
///
/// Only this service: a health service added next to it on the same server stays open,
/// as load balancers and orchestrators expect.
pub fn protect<S>(service: S, auth: BearerAuth) -> Protected<S> {
    // TODO(lab 8, step 6): wrap `service` in `Authorize::new`, and that in
    // `InterceptedService::new(..., auth)`. The order matters: the outer layer runs first,
    // and `Authorize` needs the `Role` that the interceptor puts in the extensions.
    let _ = (service, auth);
    todo!("lab 8, step 6: implement protect in labs/08_security/src/authorize.rs")
}
// ANCHOR_END: protect

/// A tower service that lets a call through to `S` only if [`authorize`] allows it, for
/// the [`Role`] found in the request's extensions and the request's path.
///
/// Given code: the tower plumbing around your [`authorize`].
#[derive(Debug, Clone)]
pub struct Authorize<S> {
    inner: S,
}

impl<S> Authorize<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S, B> tower::Service<http::Request<B>> for Authorize<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    // ANCHOR: authorize_call
    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let role = request.extensions().get::<Role>().copied();
        match authorize(role, request.uri().path()) {
            Ok(()) => Box::pin(self.inner.call(request)),
            // The refusal is an ordinary gRPC response: HTTP 200 with `grpc-status` and
            // `grpc-message` in the headers and no body (a "Trailers-Only" response).
            Err(status) => Box::pin(std::future::ready(Ok(status.into_http()))),
        }
    }
    // ANCHOR_END: authorize_call
}

// The router finds a service by its name (`user.UserService`); wrapping keeps the name.
impl<S: NamedService> NamedService for Authorize<S> {
    const NAME: &'static str = S::NAME;
}
