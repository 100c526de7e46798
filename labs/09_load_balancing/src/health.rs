//! Active health checking: follow what each backend says about itself.
//!
//! The gRPC health checking protocol (`grpc.health.v1.Health`) has two methods. `Check` is
//! one question, one answer; `Watch` is a server stream that sends the current status at
//! once and then every change, so a client learns of `NOT_SERVING` the moment the server
//! says it, without polling. A backend that cannot be reached cannot answer at all: the
//! stream fails, and that is a verdict too.

use std::{sync::Arc, time::Duration};

// TODO(lab 9, step 3) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::backend::Backend;

/// How long to wait before watching again after the stream failed or ended. A real client
/// backs off further (with jitter, chapter 7) while a backend stays down.
pub const HEALTH_RETRY_DELAY: Duration = Duration::from_millis(200);

// ANCHOR: watch_health
/// Keeps `backend`'s ready flag equal to "the backend says `service` is `SERVING`", until
/// the backend is retired.
///
/// - every message of the `Watch` stream sets the flag: ready exactly when it is `SERVING`;
/// - the stream failing (unreachable, reset, an error status such as tonic-health's
///   `NOT_FOUND` for an unknown service) or ending ejects the backend, and after
///   [`HEALTH_RETRY_DELAY`] the watch starts again, which is how a backend that comes back
///   is re-admitted.
pub async fn watch_health(backend: Arc<Backend>, service: String) {
    // TODO(lab 9, step 3): loop until the backend is retired:
    // - call `Watch` with `HealthCheckRequest { service }` on a `HealthClient` over
    //   `backend.channel()`, and for every message of the stream
    //   `backend.set_ready(response.status() == ServingStatus::Serving)`;
    // - when the call or the stream fails, or the stream ends: `backend.set_ready(false)`,
    //   then wait `HEALTH_RETRY_DELAY` and watch again;
    // - return as soon as `backend.retired()` resolves (`tokio::select!` it against the
    //   watch, and against the pause).
    let _ = (backend, service, HEALTH_RETRY_DELAY);
    todo!("lab 9, step 3: implement watch_health in labs/09_load_balancing/src/health.rs")
}
// ANCHOR_END: watch_health
