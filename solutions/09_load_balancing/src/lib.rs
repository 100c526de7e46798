//! Lab 9: client-side load balancing, health checks and discovery, built by hand.
//!
//! tonic's own balancer (`Channel::balance_list`) is tower's power-of-two-choices over
//! endpoints that all report the same load, so in effect it picks at random, and it keeps
//! picking endpoints whose server is gone. grpc-go's and grpc-java's `round_robin` and
//! `pick_first` policies do not exist in tonic. This lab builds them:
//!
//! - [`backend`]: the set of backends a client balances over, one lazy `Channel` each, and
//!   whether each is ready (given);
//! - [`round_robin`]: strict per-call rotation over the ready backends (step 1);
//! - [`pick_first`]: the first ready address, failing over to the next (step 2);
//! - [`policy`]: either policy by its grpc name, as one type (given);
//! - [`health`]: watching `grpc.health.v1.Health` to eject and re-admit backends (step 3);
//! - [`discovery`]: changing the set of backends while calls are in flight (step 4);
//! - [`proxy`]: an L7 proxy that balances every call, not every connection (step 5);
//! - [`l4`]: a connection-level (L4) balancer, for comparison (given).

// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/09_load_balancing/src/backend.rs"]
pub mod backend;
pub mod discovery;
pub mod health;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/09_load_balancing/src/l4.rs"]
pub mod l4;
pub mod pick_first;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/09_load_balancing/src/policy.rs"]
pub mod policy;
pub mod proxy;
pub mod round_robin;

pub use backend::{Backend, BackendSet, BoxError, ResponseFuture};
pub use health::{HEALTH_RETRY_DELAY, watch_health};
pub use l4::L4Balancer;
pub use pick_first::{PickFirst, pick_first};
pub use policy::{Balancer, Policy, balancer};
pub use proxy::BalancingProxy;
pub use round_robin::{RoundRobin, round_robin};
