//! Steps 3 and 4: a server layer that enforces the caller's deadline the way the gRPC
//! specification says, which tonic does not.
//!
//! tonic's server already reads `grpc-timeout` and drops the handler's future when it runs
//! out, but it answers `CANCELLED` ("Timeout expired"), and only until the handler has
//! returned its response: a streaming handler returns at once, and its stream then runs
//! past the deadline for as long as it likes. This layer closes both gaps:
//!
//! - while the handler works out its response, the layer races it against the deadline; if
//!   the deadline wins, the handler's future is dropped (which stops its work at its next
//!   `.await`) and the caller gets a Trailers-Only `DEADLINE_EXCEEDED`;
//! - once the response has started, [`DeadlineBody`] keeps watching: if the deadline passes
//!   mid-stream, it drops the rest of the response (and with it the handler's stream) and
//!   ends the call with `DEADLINE_EXCEEDED` trailers.
//!
//! Use it for the whole server, `Server::builder().layer(DeadlineLayer::new())`, or for one
//! service, `Routes::new(DeadlineLayer::new().layer(UserServiceServer::new(service)))`.
//!
//! Why our timer wins the race against tonic's: tonic's timer wraps every layer you add, is
//! started just after ours (it calls our `call` first) with the same duration, and its
//! future polls ours before looking at its own timer. So ours is never later, and when both
//! are due, our answer is the one that comes out.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use http::HeaderMap;
use http_body::Frame;
use tokio::time::{Instant, Sleep};
use tonic::{Status, body::Body, server::NamedService};
use tower::{Layer, Service};

// TODO(lab 7, step 4) uses this; the `allow` can go once it does.
#[allow(unused_imports)]
use crate::grpc_timeout::call_timeout;

/// Any error, as hyper and tonic pass them around.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The moment a call's deadline passes, as this server measured it on arrival.
///
/// [`DeadlineService`] stores it in the request's extensions, where a handler finds it with
/// `request.extensions().get::<CallDeadline>()`; [`crate::remaining_budget`] does exactly
/// that. It is a point on this server's clock, so it also counts the time the call has
/// spent here, which the `grpc-timeout` header alone cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallDeadline(pub Instant);

// ANCHOR: deadline_layer
/// The tower layer that wraps a service in a [`DeadlineService`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DeadlineLayer;

impl DeadlineLayer {
    /// The layer. It has no settings: the deadline is the caller's.
    pub fn new() -> Self {
        Self
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = DeadlineService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DeadlineService::new(inner)
    }
}

/// A service that enforces each call's `grpc-timeout` on `inner`.
#[derive(Debug, Clone)]
pub struct DeadlineService<S> {
    inner: S,
}

impl<S> DeadlineService<S> {
    /// `inner`, with deadlines enforced.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}
// ANCHOR_END: deadline_layer

// A wrapped generated server keeps its name, so `Routes::new` can still route to it.
impl<S: NamedService> NamedService for DeadlineService<S> {
    const NAME: &'static str = S::NAME;
}

/// The `DEADLINE_EXCEEDED` a call gets when `timeout` runs out before its response starts.
// TODO(lab 7, step 4) uses this; the `allow` can go once it does.
#[allow(dead_code)]
fn expired_before_response(timeout: Duration) -> Status {
    Status::deadline_exceeded(format!(
        "deadline exceeded: the caller's timeout of {timeout:?} ran out before the server answered"
    ))
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for DeadlineService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    // ANCHOR: deadline_service_call
    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // TODO(lab 7, step 4): enforce the request's deadline.
        // 1. `call_timeout(request.headers())`:
        //    - `Err(status)`: answer at once with `status.into_http()`, without calling `inner`;
        //    - `Ok(None)`: no deadline; call `inner` and pass its response on, its body
        //      boxed with `Body::new` (`response.map(Body::new)`).
        // 2. A timeout: `deadline = Instant::now() + timeout`; insert `CallDeadline(deadline)`
        //    into `request.extensions_mut()` (step 5 reads it). A zero timeout is already spent:
        //    answer `expired_before_response(timeout).into_http()` without calling `inner`.
        // 3. Otherwise call `inner` and, in `Box::pin(async move { ... })`, race its future
        //    with `tokio::time::timeout_at(deadline, ...)`:
        //    - in time: `?` the inner result and wrap its body,
        //      `DeadlineBody::new(body, deadline)`, boxed with `Body::new`;
        //    - too late: `expired_before_response(timeout).into_http()` (Trailers-Only).
        //    `inner.call` must run here, in `call`, not inside the `async` block: `poll_ready`
        //    made `inner` ready for exactly this call.
        let _ = (&mut self.inner, request);
        todo!(
            "lab 7, step 4: implement DeadlineService::call in labs/07_errors_deadlines/src/deadline.rs"
        )
    }
    // ANCHOR_END: deadline_service_call
}

/// A response body that ends the call with `DEADLINE_EXCEEDED` once `deadline` passes.
///
/// Until then it passes every frame of the inner body through unchanged. Frames come out
/// only when hyper asks for them, so that is also when the deadline is looked at: each time
/// hyper is ready to send the next frame, and whenever the timer fires.
pub struct DeadlineBody {
    /// The response still being produced; `None` once it has ended or been cut off.
    inner: Option<Body>,
    /// Fires at the deadline. Boxed because a `Sleep` must not move once polled, and a box
    /// keeps `DeadlineBody` itself free to move (`Unpin`).
    deadline: Pin<Box<Sleep>>,
}

impl DeadlineBody {
    /// `inner`, cut off at `deadline`.
    pub fn new<B>(inner: B, deadline: Instant) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self {
            inner: Some(Body::new(inner)),
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

/// The trailers that end a response cut off by its deadline.
// TODO(lab 7, step 3) uses this; the `allow` can go once it does.
#[allow(dead_code)]
fn expired_mid_response() -> HeaderMap {
    let status = Status::deadline_exceeded(
        "deadline exceeded: the caller's timeout ran out while the response was streaming",
    );
    let mut trailers = HeaderMap::new();
    // Only fails for metadata that is not a valid header; this status has none.
    let _ = status.add_header(&mut trailers);
    trailers
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Status;

    // ANCHOR: deadline_body_poll_frame
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        // TODO(lab 7, step 3): `let this = &mut *self;` (the body is `Unpin`), then:
        // - `this.inner` is `None`: the response is over, `Poll::Ready(None)`;
        // - the deadline has passed (`this.deadline.as_mut().poll(cx)` is ready): drop the
        //   inner body (`this.inner = None`: that stops the handler's stream) and end with
        //   `Frame::trailers(expired_mid_response())`;
        // - otherwise hand on what the inner body gives (`Pin::new(inner).poll_frame(cx)`),
        //   and set `this.inner = None` once it has ended (`Ready(None)`) or sent its
        //   trailers (`frame.is_trailers()`), so the deadline cannot add a second set.
        // Check the deadline first: once it has passed, not one more frame goes out.
        let _ = (&self.inner, &self.deadline, cx);
        todo!(
            "lab 7, step 3: implement DeadlineBody::poll_frame in labs/07_errors_deadlines/src/deadline.rs"
        )
    }
    // ANCHOR_END: deadline_body_poll_frame

    fn is_end_stream(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(http_body::Body::is_end_stream)
    }
}
