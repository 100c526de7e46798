//! Lab 7: errors, deadlines and retries, the parts of gRPC that tonic leaves to you.
//!
//! - [`codes`]: which status codes a client may retry, and telling tonic's own timeouts and
//!   connection failures apart from what a server said;
//! - [`grpc_timeout`]: reading the `grpc-timeout` header;
//! - [`deadline`]: a server layer that answers an expired deadline with `DEADLINE_EXCEEDED`
//!   and stops the handler's work, for unary calls and streams alike;
//! - [`propagation`]: a handler that reads its remaining budget and passes it downstream;
//! - [`retry`]: a client retry policy with exponential backoff, jitter, an overall deadline,
//!   and respect for idempotency;
//! - [`client`]: `UserService` calls made through that policy;
//! - [`testing`]: a fault-injecting `UserService` and a raw HTTP/2 client, for tests.

// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/07_errors_deadlines/src/client.rs"]
pub mod client;
pub mod codes;
pub mod deadline;
pub mod grpc_timeout;
pub mod propagation;
pub mod retry;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/07_errors_deadlines/src/testing.rs"]
pub mod testing;

pub use client::{create_users_with_retries, get_user_with_retries, list_users_with_retries};
pub use codes::{
    is_local_timeout, is_retryable, local_timeout_as_deadline_exceeded, never_reached_the_server,
};
pub use deadline::{CallDeadline, DeadlineBody, DeadlineLayer, DeadlineService};
pub use grpc_timeout::{GRPC_TIMEOUT, call_timeout, parse_grpc_timeout};
pub use propagation::{
    DEFAULT_DOWNSTREAM_DEADLINE, PROPAGATION_MARGIN, UserGateway, remaining_budget,
};
pub use retry::{Attempt, Idempotency, RetryPolicy, call_with_retries};
