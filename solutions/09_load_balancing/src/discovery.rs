//! Dynamic discovery: the set of backends changes while the client runs.
//!
//! Whatever finds the addresses (DNS re-resolution, a registry such as Consul or etcd, the
//! Kubernetes endpoints API, an xDS control plane), the client's side is the same: here is
//! the new list; make the set match it without failing a single call in flight.

use tonic::transport::Endpoint;

use crate::backend::BackendSet;

impl BackendSet {
    // ANCHOR: update
    /// Makes the set hold exactly `endpoints`, in that order.
    ///
    /// - a backend whose address is still listed stays as it is: same channel, same
    ///   connection, same ready flag (re-resolving must not reconnect everything);
    /// - a new address gets a new backend from [`BackendSet::admit`];
    /// - a backend no longer listed is retired: no new call picks it, but calls already on
    ///   its channel finish, because each holds its own clone of the channel.
    pub fn update(&self, endpoints: impl IntoIterator<Item = Endpoint>) {
        let current = self.backends();
        let updated: Vec<_> = endpoints
            .into_iter()
            .map(|endpoint| {
                let addr = endpoint.uri().authority().map(|a| a.to_string());
                current
                    .iter()
                    .find(|backend| Some(backend.addr()) == addr.as_deref())
                    .cloned()
                    .unwrap_or_else(|| self.admit(endpoint))
            })
            .collect();
        for backend in &current {
            if !updated.iter().any(|kept| kept.addr() == backend.addr()) {
                backend.retire();
            }
        }
        *self.write() = updated;
        self.notify();
    }
    // ANCHOR_END: update
}
