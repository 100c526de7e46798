//! Lab 3: a unary RPC, `GetUser`, end to end.
//!
//! - [`store`]: where users live, behind the [`UserStore`] trait;
//! - [`service`]: the server side, turning a request into a user or a status;
//! - [`client`]: the client side, one call with a deadline.

pub mod client;
pub mod service;
pub mod store;

pub use client::{DEFAULT_DEADLINE, get_user};
pub use service::{UserServiceImpl, lookup_user};
pub use store::{InMemoryUserStore, UserStore, seed_user};
pub use workbook_proto::user::{GetUserRequest, User};
