//! Lab 12: a second service. The feed of a small social app, which stores posts and asks
//! `UserService` who wrote them.
//!
//! - [`context`] (step 1): what a call carries on to the services it calls: its deadline,
//!   shrinking; its credentials; its request id;
//! - [`downstream`] (step 2): what a failed `UserService` call means for the feed;
//! - [`directory`] (step 3): looking authors up, once per author and all at once, and
//!   falling back on the last answer when `UserService` cannot give one;
//! - [`feed`] (step 4): `CreatePost` fails closed and `GetFeed` degrades;
//! - [`posts`], [`server`], [`testing`]: the post store, the feed's routes and server, and a
//!   `UserService` whose failures tests switch on and off.

pub mod context;
pub mod directory;
pub mod downstream;
pub mod feed;
#[path = "../../../labs/12_capstone/src/posts.rs"]
pub mod posts;
#[path = "../../../labs/12_capstone/src/server.rs"]
pub mod server;
#[path = "../../../labs/12_capstone/src/testing.rs"]
pub mod testing;

pub use context::{CallContext, REQUEST_ID, is_valid_request_id, new_request_id};
pub use directory::{Authors, UserDirectory};
pub use downstream::{Failure, classify};
pub use feed::FeedServer;
pub use posts::PostStore;
pub use server::{routes, serve};
