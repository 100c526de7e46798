//! Lab 4: server streaming, `ListUsers`.
//!
//! - [`paging`]: turning `page` / `page_size` into which users to send, or a status;
//! - [`source`]: where the users come from, one round trip at a time;
//! - [`producer`]: a task that fetches users and feeds them into a bounded channel, and
//!   stops when the client goes away;
//! - [`service`]: the `ListUsers` handler that ties them together.

pub mod paging;
pub mod producer;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/04_server_streaming/src/service.rs"]
pub mod service;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/04_server_streaming/src/source.rs"]
pub mod source;

pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageSpec, page_spec};
pub use producer::{CHANNEL_CAPACITY, FETCH_CHUNK, stream_page};
pub use service::ListUsersService;
pub use source::UserPages;
