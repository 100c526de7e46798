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

use crate::{
    DecodeError, WireType, decode_key, decode_length_delimited, decode_varint, encode_key,
    encode_varint, skip_field,
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
    let mut buf = Vec::new();
    if user.id != 0 {
        encode_key(ID_FIELD, WireType::Varint, &mut buf);
        // `i64::from` sign-extends, `as u64` reinterprets the bits: -1 becomes u64::MAX.
        encode_varint(i64::from(user.id) as u64, &mut buf);
    }
    encode_string(NAME_FIELD, &user.name, &mut buf);
    encode_string(EMAIL_FIELD, &user.email, &mut buf);
    buf
}

fn encode_string(field: u32, value: &str, buf: &mut Vec<u8>) {
    if value.is_empty() {
        return;
    }
    encode_key(field, WireType::Len, buf);
    // `str::len` is the length in bytes, which is what the wire counts.
    encode_varint(value.len() as u64, buf);
    buf.extend_from_slice(value.as_bytes());
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
    let mut buf = bytes;
    let mut user = User::default();
    while !buf.is_empty() {
        let (field, wire_type) = decode_key(&mut buf)?;
        match field {
            ID_FIELD => {
                expect_wire_type(field, WireType::Varint, wire_type)?;
                // int32 keeps the low 32 bits of the varint, as every protobuf runtime does,
                // so the ten-byte encoding of -1 comes back as -1.
                user.id = decode_varint(&mut buf)? as i32;
            }
            NAME_FIELD => user.name = decode_string(field, wire_type, &mut buf)?,
            EMAIL_FIELD => user.email = decode_string(field, wire_type, &mut buf)?,
            _ => skip_field(wire_type, &mut buf)?,
        }
    }
    Ok(user)
}

fn expect_wire_type(field: u32, expected: WireType, found: WireType) -> Result<(), DecodeError> {
    if found == expected {
        Ok(())
    } else {
        Err(DecodeError::WrongWireType {
            field,
            expected,
            found,
        })
    }
}

fn decode_string(field: u32, wire_type: WireType, buf: &mut &[u8]) -> Result<String, DecodeError> {
    expect_wire_type(field, WireType::Len, wire_type)?;
    let bytes = decode_length_delimited(buf)?;
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| DecodeError::InvalidUtf8 { field })
}
// ANCHOR_END: decode_user
