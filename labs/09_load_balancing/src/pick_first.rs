//! Pick first: every call goes to the first ready address; the next one takes over only when
//! it fails.
//!
//! grpc's default policy (the seed's `('grpc.lb_policy_name', 'pick_first')`). It is not
//! balancing at all: it is failover. Use it when one server should see all of a client's
//! traffic (caches stay warm, ordering is simpler) and the others are standbys.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use tonic::{body::Body, transport::Endpoint};
use tower::Service;

use crate::backend::{Backend, BackendSet, BoxError, ResponseFuture, forward, no_ready_backend};

/// A pick-first balancer: a `tower::Service` that `UserServiceClient::new` accepts.
#[derive(Debug, Clone)]
pub struct PickFirst {
    backends: BackendSet,
}

/// A pick-first balancer over `endpoints`, in the order given.
pub fn pick_first(endpoints: impl IntoIterator<Item = Endpoint>) -> PickFirst {
    PickFirst::new(BackendSet::new(endpoints))
}

impl PickFirst {
    /// A pick-first balancer over `backends`.
    pub fn new(backends: BackendSet) -> Self {
        Self { backends }
    }

    /// The set this balancer picks from.
    pub fn backends(&self) -> &BackendSet {
        &self.backends
    }

    // ANCHOR: pick_first_pick
    /// The backend for the next call: the first ready one in address order, or `None`.
    pub fn pick(&self) -> Option<Arc<Backend>> {
        // TODO(lab 9, step 2): return the first backend of `self.backends.backends()`, in
        // order, that `is_ready()`, or `None`. Passive ejection (`forward`, given) marks a
        // dead backend not ready, which is what makes the next address take over.
        let _ = &self.backends;
        todo!(
            "lab 9, step 2: implement PickFirst::pick in labs/09_load_balancing/src/pick_first.rs"
        )
    }
    // ANCHOR_END: pick_first_pick
}

impl Service<http::Request<Body>> for PickFirst {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match self.pick() {
            Some(backend) => forward(backend, request),
            None => no_ready_backend(&self.backends),
        }
    }
}
