//! Lab 10: performance improvements whose effect is *counted*, not timed.
//!
//! - [`counting`] (given): the instruments: connections accepted, bytes on the wire, calls
//!   that reached a handler;
//! - [`client`]: one connection for many calls;
//! - [`compression`]: gzip where it pays;
//! - [`bulk`]: one stream instead of a call per user;
//! - [`limits`]: refuse oversized requests before decoding them;
//! - [`shedding`]: fail fast when a connection has too much in flight.

pub mod bulk;
pub mod client;
pub mod compression;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/10_performance/src/counting.rs"]
pub mod counting;
pub mod limits;
pub mod shedding;

pub use bulk::export_users;
pub use client::get_users;
pub use compression::{gzip_client, gzip_server};
pub use limits::{MAX_REQUEST_BYTES, limit_requests};
pub use shedding::{MAX_IN_FLIGHT_PER_CONNECTION, shed_load};
