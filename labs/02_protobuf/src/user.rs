//! `user.User` by hand: the message of `proto/user.proto`, encoded and decoded with the
//! varints and keys of this lab, byte for byte what prost generates.
//!
//! ```proto
//! message User {
//!   int32 id = 1;
//!   string name = 2;
//!   string email = 3;
//! }
//! ```

use workbook_proto::user::User;

use crate::DecodeError;
// TODO(lab 2, steps 4 and 5) use these; the `allow` can go once they do.
#[allow(unused_imports)]
use crate::{
    WireType, decode_key, decode_length_delimited, decode_varint, encode_key, encode_varint,
    skip_field,
};

// ANCHOR: field_numbers
/// `int32 id = 1;`
pub const ID_FIELD: u32 = 1;
/// `string name = 2;`
pub const NAME_FIELD: u32 = 2;
/// `string email = 3;`
pub const EMAIL_FIELD: u32 = 3;
// ANCHOR_END: field_numbers

// ANCHOR: encode_user
/// `user` in the protobuf wire format, exactly as `prost::Message::encode_to_vec` writes it.
///
/// - Fields in field-number order (prost's order; any order is valid protobuf).
/// - proto3 leaves out a field that holds its default value (`0`, `""`): a reader fills the
///   default back in, so writing it would only cost bytes.
/// - `int32` is written as the varint of the value sign-extended to 64 bits, so a negative
///   id takes ten bytes.
/// - A string is a key with wire type LEN, the length *in bytes* (not characters) as a
///   varint, then the UTF-8 bytes.
pub fn encode_user(user: &User) -> Vec<u8> {
    // TODO(lab 2, step 4): build the bytes in a `Vec<u8>`, fields in number order, skipping
    // any field that holds its default:
    // - `id` unless 0: `encode_key(ID_FIELD, WireType::Varint, ..)`, then the varint of the
    //   id sign-extended to 64 bits: `i64::from(user.id) as u64`;
    // - `name` and `email` unless empty: the key with `WireType::Len`, the length in bytes
    //   (`str::len`) as a varint, then the bytes (`as_bytes`).
    let _ = user;
    todo!("lab 2, step 4: implement encode_user in labs/02_protobuf/src/user.rs")
}
// ANCHOR_END: encode_user

// ANCHOR: decode_user
/// Reads a `User` from `bytes`, the way prost's `User::decode` does.
///
/// - Fields may come in any order; a field missing from the bytes keeps its default.
/// - A field that occurs more than once takes the value of the last occurrence (the proto3
///   rule for scalars and strings).
/// - A field number `User` does not declare is skipped with [`skip_field`]: it was written
///   by a newer schema, and skipping it is what keeps old readers working.
/// - A known field with the wrong wire type is [`DecodeError::WrongWireType`]; a string
///   that is not UTF-8 is [`DecodeError::InvalidUtf8`].
pub fn decode_user(bytes: &[u8]) -> Result<User, DecodeError> {
    // TODO(lab 2, step 5): start from `User::default()` and, while bytes remain, read a key
    // with `decode_key`, then the value by field number:
    // - `ID_FIELD`: the wire type must be `WireType::Varint`, else
    //   `DecodeError::WrongWireType { field, expected, found }`; then `decode_varint` and
    //   keep the low 32 bits (`as i32`);
    // - `NAME_FIELD`, `EMAIL_FIELD`: the wire type must be `WireType::Len`; then
    //   `decode_length_delimited`, and `std::str::from_utf8` (not UTF-8:
    //   `DecodeError::InvalidUtf8 { field }`);
    // - any other field (lab 2, step 6): `skip_field(wire_type, ..)`.
    // Assign each value as it comes, so a field seen twice keeps its last value.
    let _ = bytes;
    todo!("lab 2, step 5: implement decode_user in labs/02_protobuf/src/user.rs")
}
// ANCHOR_END: decode_user
