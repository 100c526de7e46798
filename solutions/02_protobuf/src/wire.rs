//! The framing around every value: a key that says which field follows and how its bytes
//! are laid out.
//!
//! A message on the wire is nothing but `key value key value ...`. There are no field names,
//! no separators, no type information beyond the three-bit wire type in each key. That is
//! why protobuf is small, and also why both sides must agree on a schema to make sense of
//! the values: the bytes say "field 2, length-delimited, 4 bytes", never "name".

use std::fmt;

use crate::{DecodeError, decode_varint, encode_varint};

/// The largest field number protobuf allows: field numbers have 29 bits.
pub const MAX_FIELD_NUMBER: u32 = (1 << 29) - 1;

// ANCHOR: wire_type
/// How a value is laid out: the low three bits of every key.
///
/// The wire type tells a reader how many bytes a value takes without knowing its field,
/// which is what lets an old program skip a field that was added after it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireType {
    /// A varint: `int32`, `int64`, `uint32`, `uint64`, `sint32`, `sint64`, `bool`, enums.
    Varint = 0,
    /// Eight little-endian bytes: `fixed64`, `sfixed64`, `double`.
    I64 = 1,
    /// A varint length, then that many bytes: `string`, `bytes`, embedded messages,
    /// packed repeated scalars.
    Len = 2,
    /// Four little-endian bytes: `fixed32`, `sfixed32`, `float`.
    I32 = 5,
}
// ANCHOR_END: wire_type

impl TryFrom<u8> for WireType {
    type Error = DecodeError;

    /// The wire type for the low three bits of a key. 3 and 4 (the start and end of a
    /// proto2 group) are refused: proto3 never writes them. (prost can still skip them.)
    fn try_from(bits: u8) -> Result<Self, Self::Error> {
        match bits {
            0 => Ok(Self::Varint),
            1 => Ok(Self::I64),
            2 => Ok(Self::Len),
            5 => Ok(Self::I32),
            other => Err(DecodeError::InvalidWireType(other)),
        }
    }
}

impl fmt::Display for WireType {
    /// The names the protobuf encoding documentation uses, with the number on the wire.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Varint => "VARINT",
            Self::I64 => "I64",
            Self::Len => "LEN",
            Self::I32 => "I32",
        };
        write!(f, "{name} (wire type {})", *self as u8)
    }
}

// ANCHOR: encode_key
/// Appends the key of field `field` with wire type `wire_type`: the varint
/// `field << 3 | wire_type`.
///
/// Field 1 as a varint is `08`; field 2 as length-delimited is `12`. Fields 1 to 15 fit in
/// a one-byte key, which is why the most frequent fields of a message should get them.
pub fn encode_key(field: u32, wire_type: WireType, buf: &mut Vec<u8>) {
    debug_assert!(
        (1..=MAX_FIELD_NUMBER).contains(&field),
        "field numbers run from 1 to {MAX_FIELD_NUMBER}, got {field}"
    );
    encode_varint((u64::from(field) << 3) | wire_type as u64, buf);
}
// ANCHOR_END: encode_key

// ANCHOR: decode_key
/// Reads one key from the front of `buf`: the field number and the wire type of the value
/// that follows.
///
/// Errors: whatever [`decode_varint`] reports; [`DecodeError::InvalidWireType`] for low
/// bits 3, 4, 6 or 7; [`DecodeError::InvalidFieldNumber`] for field 0 or a number above
/// [`MAX_FIELD_NUMBER`].
pub fn decode_key(buf: &mut &[u8]) -> Result<(u32, WireType), DecodeError> {
    let key = decode_varint(buf)?;
    // The mask keeps three bits, so the cast cannot lose anything.
    let wire_type = WireType::try_from((key & 0b111) as u8)?;
    let number = key >> 3;
    let field = u32::try_from(number)
        .ok()
        .filter(|field| (1..=MAX_FIELD_NUMBER).contains(field))
        .ok_or(DecodeError::InvalidFieldNumber(number))?;
    Ok((field, wire_type))
}
// ANCHOR_END: decode_key

// ANCHOR: decode_length_delimited
/// Reads one length-delimited value from the front of `buf` (a varint length, then that many
/// bytes), advances `buf` past it, and returns the bytes.
///
/// Errors: whatever [`decode_varint`] reports; [`DecodeError::Truncated`] when fewer bytes
/// remain than the length announces.
pub fn decode_length_delimited<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], DecodeError> {
    let mut rest = *buf;
    let len = decode_varint(&mut rest)?;
    // A length that does not even fit in memory is certainly longer than what we hold.
    let len = usize::try_from(len).map_err(|_| DecodeError::Truncated)?;
    let (value, rest) = rest.split_at_checked(len).ok_or(DecodeError::Truncated)?;
    *buf = rest;
    Ok(value)
}
// ANCHOR_END: decode_length_delimited

// ANCHOR: skip_field
/// Advances `buf` past one value of type `wire_type`, without interpreting it.
///
/// This is how a reader survives a newer writer: it does not know field 5, but the key's
/// wire type says how long the value is, so it can step over it and carry on.
///
/// Errors: [`DecodeError::Truncated`] when the value runs past the end of `buf`, and
/// whatever [`decode_varint`] reports.
pub fn skip_field(wire_type: WireType, buf: &mut &[u8]) -> Result<(), DecodeError> {
    match wire_type {
        WireType::Varint => decode_varint(buf).map(drop),
        WireType::I64 => skip_bytes(buf, 8),
        WireType::Len => decode_length_delimited(buf).map(drop),
        WireType::I32 => skip_bytes(buf, 4),
    }
}

fn skip_bytes(buf: &mut &[u8], count: usize) -> Result<(), DecodeError> {
    *buf = buf.get(count..).ok_or(DecodeError::Truncated)?;
    Ok(())
}
// ANCHOR_END: skip_field
