//! What can be wrong with bytes that claim to be a protobuf message.
//!
//! A decoder reads bytes from the network, so every one of these is an input error, never a
//! bug: the decoder must return it, not panic. A server that panics on a malformed message
//! hands anyone with a socket a way to kill it.

use std::fmt;

use crate::wire::WireType;

// ANCHOR: decode_error
/// Why a byte string is not a valid message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended in the middle of a value.
    Truncated,
    /// A varint whose first ten bytes all have the continuation bit set.
    VarintTooLong,
    /// A ten-byte varint whose last byte carries bits beyond the 64th.
    VarintOverflow,
    /// A key whose low three bits are not a wire type this decoder accepts.
    InvalidWireType(u8),
    /// A key whose field number is 0 or above [`MAX_FIELD_NUMBER`](crate::MAX_FIELD_NUMBER).
    InvalidFieldNumber(u64),
    /// A known field sent with a wire type its declared type never uses.
    WrongWireType {
        field: u32,
        expected: WireType,
        found: WireType,
    },
    /// A `string` field whose bytes are not valid UTF-8.
    InvalidUtf8 { field: u32 },
}
// ANCHOR_END: decode_error

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str(
                "truncated input: a value runs past the end of the bytes \
                 (the message was cut off, or these bytes are not this message)",
            ),
            Self::VarintTooLong => {
                f.write_str("varint longer than 10 bytes: a 64-bit value never needs more than 10")
            }
            Self::VarintOverflow => f.write_str(
                "varint overflows 64 bits: the 10th byte of a varint may only be 0x00 or 0x01",
            ),
            Self::InvalidWireType(bits) => write!(
                f,
                "invalid wire type {bits}: expected 0 (VARINT), 1 (I64), 2 (LEN) or 5 (I32) \
                 (3 and 4 are proto2 groups, which this decoder does not read)"
            ),
            Self::InvalidFieldNumber(number) => write!(
                f,
                "invalid field number {number}: field numbers run from 1 to 536870911"
            ),
            Self::WrongWireType {
                field,
                expected,
                found,
            } => write!(
                f,
                "field {field} arrived as {found}, but the type this message declares for \
                 field {field} is written as {expected}: the writer's schema gives the field \
                 a different type (a breaking change)"
            ),
            Self::InvalidUtf8 { field } => write!(
                f,
                "field {field} is a string but its bytes are not valid UTF-8"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}
