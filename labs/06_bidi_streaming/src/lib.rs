//! Lab 6: bidirectional streaming, `Chat`.
//!
//! - [`echo`]: the seed's `Chat`, one reply per message, as a stream combinator;
//! - [`room`]: a chat room in which every member hears every member, built on
//!   `tokio::sync::broadcast`, with join and leave notices and a policy for members that
//!   fall behind;
//! - [`service`]: the two `UserService`s that tonic serves, one per behaviour.

pub mod echo;
pub mod room;
pub mod service;

pub use echo::{SERVER_NAME, echo, echo_reply};
pub use lab03::service::ChatStream;
pub use room::{ChatRoom, DEFAULT_ROOM_CAPACITY, server_notice};
pub use service::{EchoService, RoomService};
pub use workbook_proto::user::ChatMessage;
