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
pub fn encode_varint(value: u64, buf: &mut Vec<u8>) {
    // TODO(lab 2, step 1): push `value` onto `buf`, 7 bits per byte, lowest bits first.
    // While `value` is 0x80 or more, push its low 7 bits with the top bit set
    // (`value as u8 & 0x7f | 0x80`) and shift `value` right by 7; then push what is left
    // (below 0x80, so its top bit is clear: that marks the last byte). Append to `buf`,
    // don't clear it: the caller is building a whole message in it.
    let _ = (value, buf);
    todo!("lab 2, step 1: implement encode_varint in labs/02_protobuf/src/varint.rs")
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
    // TODO(lab 2, step 1): read bytes from the front of `buf`, at most MAX_VARINT_LEN of
    // them. Byte number `i` (from 0) holds bits `7 * i ..` of the value in its low 7 bits
    // (`u64::from(byte & 0x7f) << (7 * i)`); a byte whose top bit is clear is the last one.
    // Then move `buf` past the bytes you read (`*buf = &buf[count..]`) and return the value.
    // Errors (leave `buf` as it was):
    // - the bytes run out before a last byte: `DecodeError::Truncated`;
    // - ten bytes and the 10th still has its top bit set: `DecodeError::VarintTooLong`;
    // - the 10th byte is the last but is more than 0x01: `DecodeError::VarintOverflow`
    //   (9 bytes carried 63 bits, so only one bit is left for the 10th).
    let _ = buf;
    todo!("lab 2, step 1: implement decode_varint in labs/02_protobuf/src/varint.rs")
}
// ANCHOR_END: decode_varint

// ANCHOR: zigzag
/// Maps a signed value to an unsigned one so that small magnitudes stay small:
/// 0 → 0, -1 → 1, 1 → 2, -2 → 3, ..., `i64::MAX` → `u64::MAX - 1`, `i64::MIN` → `u64::MAX`.
///
/// This is what `sint32`/`sint64` do before writing a varint.
pub fn zigzag_encode(value: i64) -> u64 {
    // TODO(lab 2, step 2): a value n >= 0 becomes 2n, a negative one becomes -2n - 1
    // (so -1 → 1, 1 → 2, -2 → 3). Write it without a branch: shift left by one, then XOR
    // with the sign spread over all 64 bits (`value >> 63` on an i64 is an arithmetic
    // shift: all ones for a negative value, all zeros otherwise), then cast to u64.
    let _ = value;
    todo!("lab 2, step 2: implement zigzag_encode in labs/02_protobuf/src/varint.rs")
}

/// The inverse of [`zigzag_encode`]: 0 → 0, 1 → -1, 2 → 1, 3 → -2, ...
pub fn zigzag_decode(value: u64) -> i64 {
    // TODO(lab 2, step 2): undo zigzag_encode. The low bit is the sign and the other bits
    // (`value >> 1`) the magnitude; for a negative value every bit of the magnitude must be
    // flipped back, i.e. XORed with all ones. Which mask can you make from `value & 1`?
    let _ = value;
    todo!("lab 2, step 2: implement zigzag_decode in labs/02_protobuf/src/varint.rs")
}
// ANCHOR_END: zigzag
