//! Lab 2: Protocol Buffers by hand.
//!
//! prost turns a `user.User` into bytes and back without anyone looking, and most code never
//! needs to. An engineer who knows what those bytes are can read a hex dump, say why a
//! negative `int32` costs ten bytes, and predict what an old client does with a newer
//! message. This lab writes the encoding by hand, byte for byte the same as prost:
//!
//! - [`varint`]: base-128 varints and zig-zag, the way protobuf writes integers;
//! - [`wire`]: field keys (field number + wire type), length-delimited values, and skipping
//!   fields a reader does not know;
//! - [`error`]: [`DecodeError`], everything that can be wrong with bytes off the wire;
//! - [`user`]: `user.User` itself, encoded and decoded with the pieces above.

// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/02_protobuf/src/error.rs"]
pub mod error;
pub mod user;
pub mod varint;
pub mod wire;

pub use error::DecodeError;
pub use user::{EMAIL_FIELD, ID_FIELD, NAME_FIELD, decode_user, encode_user};
pub use varint::{MAX_VARINT_LEN, decode_varint, encode_varint, zigzag_decode, zigzag_encode};
pub use wire::{
    MAX_FIELD_NUMBER, WireType, decode_key, decode_length_delimited, encode_key, skip_field,
};
pub use workbook_proto::user::User;
