//! The backends a client balances over (given).
//!
//! A [`BackendSet`] is the client's view of one service: an ordered list of backends, each
//! with its own lazy [`Channel`] (one HTTP/2 connection, made on first use) and a *ready*
//! flag. The policies of steps 1 and 2 read the flags to choose a backend for each call;
//! two things write them:
//!
//! - **passive ejection** ([`forward`]): a call that fails below gRPC (the connection is
//!   refused or breaks) marks its backend not ready, so one dead server costs one failed
//!   call, not one in every three;
//! - **active health checking** (step 3): a task per backend watches `grpc.health.v1` and
//!   follows what the server says about itself, which also re-admits a backend that recovers.
//!
//! Every change of the set or of a flag is announced on a `watch` channel, so a caller (a
//! test, a metrics task) can wait for "backend b is out" instead of sleeping and hoping.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::sync::watch;
use tonic::{
    Status,
    body::Body,
    transport::{Channel, Endpoint},
};
use tower::ServiceExt;

/// The error type of the balancers: tonic turns it into a `Status` for the caller (a
/// `Status` inside it is passed through as is).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The future of one balanced call.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Body>, BoxError>> + Send + 'static>>;

/// One backend: an address, a channel to it, and whether calls may go there.
#[derive(Debug)]
pub struct Backend {
    addr: String,
    channel: Channel,
    ready: AtomicBool,
    retired: watch::Sender<bool>,
    changed: Arc<watch::Sender<()>>,
}

impl Backend {
    /// The backend's address as `host:port` (the endpoint URI's authority).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// A handle to the backend's channel. Clones share one connection.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Whether the policies may send calls here.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks the backend ready or not, and tells everyone waiting on the set.
    pub fn set_ready(&self, ready: bool) {
        if self.ready.swap(ready, Ordering::AcqRel) != ready {
            self.changed.send_replace(());
        }
    }

    /// Takes the backend out of service for good: discovery removed it. Calls already sent
    /// keep their clone of the channel and finish; its health watch (if any) stops.
    pub fn retire(&self) {
        self.set_ready(false);
        self.retired.send_replace(true);
    }

    /// Whether [`Backend::retire`] was called.
    pub fn is_retired(&self) -> bool {
        *self.retired.borrow()
    }

    /// Resolves once the backend is retired.
    pub async fn retired(&self) {
        let mut retired = self.retired.subscribe();
        // `wait_for` errs only if the sender is gone, and `self` owns it.
        let _ = retired.wait_for(|retired| *retired).await;
    }
}

/// An ordered, shared, changeable set of backends. Clones share the same set.
#[derive(Debug, Clone)]
pub struct BackendSet {
    pub(crate) backends: Arc<RwLock<Vec<Arc<Backend>>>>,
    pub(crate) changed: Arc<watch::Sender<()>>,
    /// The service name to health-check (`""` is the whole server), if any.
    pub(crate) health_service: Option<String>,
}

impl BackendSet {
    /// A set over `endpoints`, in order, every backend ready from the start (a plain
    /// channel's optimism: a backend is assumed to work until a call proves otherwise).
    pub fn new(endpoints: impl IntoIterator<Item = Endpoint>) -> Self {
        Self::build(endpoints, None)
    }

    /// A set whose backends start *not* ready and are admitted, ejected and re-admitted by
    /// watching `grpc.health.v1.Health/Watch` for `service` on each (step 3). Spawns one
    /// task per backend, so it must be called inside a tokio runtime.
    pub fn with_health_checks(
        endpoints: impl IntoIterator<Item = Endpoint>,
        service: impl Into<String>,
    ) -> Self {
        Self::build(endpoints, Some(service.into()))
    }

    fn build(
        endpoints: impl IntoIterator<Item = Endpoint>,
        health_service: Option<String>,
    ) -> Self {
        let set = Self {
            backends: Arc::default(),
            changed: Arc::new(watch::Sender::new(())),
            health_service,
        };
        let admitted: Vec<_> = endpoints.into_iter().map(|e| set.admit(e)).collect();
        *set.write() = admitted;
        set
    }

    /// A new backend for `endpoint`, belonging to this set (not yet in its list). With
    /// health checks on, it starts not ready and its health watch is spawned.
    pub fn admit(&self, endpoint: Endpoint) -> Arc<Backend> {
        let addr = endpoint
            .uri()
            .authority()
            .map_or_else(|| endpoint.uri().to_string(), ToString::to_string);
        let backend = Arc::new(Backend {
            addr,
            channel: endpoint.connect_lazy(),
            ready: AtomicBool::new(self.health_service.is_none()),
            retired: watch::Sender::new(false),
            changed: Arc::clone(&self.changed),
        });
        if let Some(service) = &self.health_service {
            tokio::spawn(crate::health::watch_health(
                Arc::clone(&backend),
                service.clone(),
            ));
        }
        backend
    }

    /// The backends, in order (a snapshot: the set may change right after).
    pub fn backends(&self) -> Vec<Arc<Backend>> {
        self.read().clone()
    }

    /// The addresses of the backends, in order.
    pub fn addrs(&self) -> Vec<String> {
        self.read().iter().map(|b| b.addr.clone()).collect()
    }

    /// The addresses of the ready backends, in order.
    pub fn ready_addrs(&self) -> Vec<String> {
        self.read()
            .iter()
            .filter(|b| b.is_ready())
            .map(|b| b.addr.clone())
            .collect()
    }

    /// The backend at `addr`, if the set has one.
    pub fn get(&self, addr: &str) -> Option<Arc<Backend>> {
        self.read().iter().find(|b| b.addr == addr).cloned()
    }

    /// Waits until `condition` holds for the set, re-checking after every change.
    pub async fn wait_until(&self, condition: impl Fn(&BackendSet) -> bool) {
        let mut changes = self.changed.subscribe();
        while !condition(self) {
            // The set owns the sender, so this cannot fail while `self` lives.
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// Announces a change to everyone waiting in [`BackendSet::wait_until`].
    pub fn notify(&self) {
        self.changed.send_replace(());
    }

    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Backend>>> {
        // The list is replaced whole under the lock, so a panic elsewhere cannot leave it
        // half-written: a poisoned lock is safe to keep using.
        self.backends
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Arc<Backend>>> {
        self.backends
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

// ANCHOR: forward
/// Sends `request` to `backend`, and ejects the backend if the call fails below gRPC.
///
/// An `Err` here is a transport failure (connection refused, reset, GOAWAY before the
/// request went out), never a gRPC status: a `NOT_FOUND` answer is an `Ok` response whose
/// trailers say `grpc-status: 5`, and says nothing about the backend's health.
pub fn forward(backend: Arc<Backend>, request: http::Request<Body>) -> ResponseFuture {
    let channel = backend.channel();
    Box::pin(async move {
        match channel.oneshot(request).await {
            Ok(response) => Ok(response),
            Err(error) => {
                backend.set_ready(false);
                Err(Status::unavailable(format!(
                    "backend {} failed and was ejected: {error}",
                    backend.addr
                ))
                .into())
            }
        }
    })
}
// ANCHOR_END: forward

/// The answer when no backend is ready.
pub fn no_ready_backend(set: &BackendSet) -> ResponseFuture {
    let status = Status::unavailable(format!("no ready backend among {:?}", set.addrs()));
    Box::pin(async move { Err(status.into()) })
}
