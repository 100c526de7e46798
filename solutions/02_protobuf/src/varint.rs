//! Varints: how protobuf writes every integer that is not a `fixed32`/`fixed64`.
//!
//! A varint spends one byte per 7 bits of the value, least significant group first. The top
//! bit of each byte says "another byte follows". Small numbers, which are most numbers in
//! real messages (ids, counts, lengths, enum values), take one or two bytes instead of four
//! or eight; the price is that a full 64-bit value takes ten.
//!
//! Negative numbers are where the choice of type shows. `int32` and `int64` write a negative
//! value as its 64-bit two's complement, so -1 is ten bytes. `sint32` and `sint64` first
//! apply zig-zag, which interleaves the signs (0, -1, 1, -2, ... become 0, 1, 2, 3, ...), so
//! a small negative number stays small.

use crate::DecodeError;

/// The most bytes a varint can take: 64 bits in groups of 7 need 10 groups.
pub const MAX_VARINT_LEN: usize = 10;

// ANCHOR: encode_varint
/// Appends `value` to `buf` as a varint: 7 bits per byte, low bits first, the top bit of
/// every byte but the last set to 1.
///
/// `300` is `0b10_0101100`: the low 7 bits `0101100` go first with the continuation bit
/// (`0xac`), then the remaining `10` (`0x02`), so it encodes as `ac 02`.
pub fn encode_varint(mut value: u64, buf: &mut Vec<u8>) {
    while value >= 0x80 {
        // Keep the low 7 bits and set the continuation bit; the cast drops the rest on
        // purpose, since they go out in the next bytes.
        buf.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}
// ANCHOR_END: encode_varint

// ANCHOR: decode_varint
/// Reads one varint from the front of `buf` and advances `buf` past it.
///
/// Errors, leaving `buf` where it was:
/// - [`DecodeError::Truncated`]: `buf` ends before a byte without the continuation bit;
/// - [`DecodeError::VarintTooLong`]: ten bytes and still a continuation bit;
/// - [`DecodeError::VarintOverflow`]: the 10th byte is more than `0x01` (its one useful bit
///   is the 64th bit of the value).
pub fn decode_varint(buf: &mut &[u8]) -> Result<u64, DecodeError> {
    // Read through an iterator and move `buf` only once the varint is complete: on error
    // the caller still holds the input from the start of the bad value, which is where an
    // error report (or a debugger) wants to look.
    let mut value = 0u64;
    for (index, &byte) in buf.iter().take(MAX_VARINT_LEN).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            if index == MAX_VARINT_LEN - 1 && byte > 0x01 {
                return Err(DecodeError::VarintOverflow);
            }
            *buf = &buf[index + 1..];
            return Ok(value);
        }
    }
    // Out of bytes: either all ten had the continuation bit, or the input ran out first.
    if buf.len() >= MAX_VARINT_LEN {
        Err(DecodeError::VarintTooLong)
    } else {
        Err(DecodeError::Truncated)
    }
}
// ANCHOR_END: decode_varint

// ANCHOR: zigzag
/// Maps a signed value to an unsigned one so that small magnitudes stay small:
/// 0 → 0, -1 → 1, 1 → 2, -2 → 3, ..., `i64::MAX` → `u64::MAX - 1`, `i64::MIN` → `u64::MAX`.
///
/// This is what `sint32`/`sint64` do before writing a varint.
pub fn zigzag_encode(value: i64) -> u64 {
    // `value >> 63` is all ones for a negative value and all zeros otherwise (an arithmetic
    // shift), so the XOR flips every bit of negatives: -1 (all ones) << 1 ^ all ones = 1.
    ((value << 1) ^ (value >> 63)) as u64
}

/// The inverse of [`zigzag_encode`]: 0 → 0, 1 → -1, 2 → 1, 3 → -2, ...
pub fn zigzag_decode(value: u64) -> i64 {
    // The low bit is the sign; the other bits are the magnitude (minus one for negatives).
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}
// ANCHOR_END: zigzag
