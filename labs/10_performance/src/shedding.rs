//! Step 5: load shedding: fail fast instead of queueing.

use tonic::transport::Server;

/// How many calls one connection may have inside the service at once.
pub const MAX_IN_FLIGHT_PER_CONNECTION: usize = 4;

// ANCHOR: shed_load
/// `server`, allowing at most [`MAX_IN_FLIGHT_PER_CONNECTION`] calls per connection in the
/// service and refusing the next one at once with `RESOURCE_EXHAUSTED`, instead of queueing
/// it behind the others.
///
/// A queued call waits without the client knowing why, often until its deadline; a refused
/// call fails in a round trip, and the client can retry elsewhere or back off.
pub fn shed_load<L>(server: Server<L>) -> Server<L> {
    // TODO(lab 10, step 5): limit the calls in flight per connection
    // (`concurrency_limit_per_connection(MAX_IN_FLIGHT_PER_CONNECTION)`), and turn on load
    // shedding (`load_shed(true)`) so that a call over the limit is refused, not queued.
    let _ = server;
    todo!("lab 10, step 5: implement shed_load in labs/10_performance/src/shedding.rs")
}
// ANCHOR_END: shed_load
