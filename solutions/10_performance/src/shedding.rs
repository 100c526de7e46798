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
    server
        .concurrency_limit_per_connection(MAX_IN_FLIGHT_PER_CONNECTION)
        .load_shed(true)
}
// ANCHOR_END: shed_load
