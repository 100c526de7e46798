//! Steps 1 and 2: gRPC's length-prefixed messages.
//!
//! HTTP/2 gives a call a stream of bytes in each direction, cut into DATA frames wherever
//! the sender's buffers, flow-control windows and frame-size limits happened to cut it. gRPC
//! needs *messages*, so it puts a 5-byte prefix in front of each one:
//!
//! ```text
//! +------------+--------------------------------+------------------------+
//! | flag: 1 B  | length: 4 B, big-endian (u32)  | length bytes: protobuf |
//! +------------+--------------------------------+------------------------+
//! ```
//!
//! The flag is 0 (the bytes are the message as is) or 1 (they are compressed with the
//! call's `grpc-encoding`). Message boundaries and DATA-frame boundaries are unrelated: one
//! message may be split over several frames, and one frame may carry several messages. A
//! receiver therefore decodes *incrementally*: it buffers what has arrived and takes
//! messages out as soon as they are complete. That is [`MessageDecoder`].

use std::fmt;

// `Buf` gives `BytesMut` the `advance` that step 2 needs.
#[allow(unused_imports)]
use bytes::{Buf, Bytes, BytesMut};

/// The prefix in front of every message: the compressed flag and the 4-byte length.
pub const PREFIX_LEN: usize = 5;

/// tonic's default limit for a message it *receives*: 4 MiB (its sending limit defaults to
/// none at all). The same default as grpc-go, grpc-java and the C core.
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 4 * 1024 * 1024;

// ANCHOR: grpc_message
/// One length-prefixed message, as it came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcMessage {
    /// The flag byte was 1: `payload` is compressed with the call's `grpc-encoding`.
    pub compressed: bool,
    /// The message bytes after the prefix: protobuf, unless `compressed`.
    pub payload: Bytes,
}
// ANCHOR_END: grpc_message

// ANCHOR: framing_error
/// Why bytes on a gRPC stream are not a sequence of length-prefixed messages.
///
/// Every one of these is an input error: the bytes came from the network, so a decoder
/// reports them and never panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramingError {
    /// The flag byte is neither 0 nor 1.
    InvalidCompressedFlag(u8),
    /// The prefix announces more bytes than the receiver accepts. Reported as soon as the
    /// prefix arrives, before a single byte of the message is buffered.
    MessageTooLarge { len: usize, max: usize },
    /// The stream ended in the middle of a message: `buffered` bytes of the `expected`
    /// (prefix included; `expected` is [`PREFIX_LEN`] while the prefix itself is cut).
    Incomplete { buffered: usize, expected: usize },
}
// ANCHOR_END: framing_error

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCompressedFlag(flag) => write!(
                f,
                "invalid compressed flag {flag}: the first byte of a message prefix must be \
                 0 (not compressed) or 1 (compressed)"
            ),
            Self::MessageTooLarge { len, max } => write!(
                f,
                "message of {len} bytes is larger than the limit of {max} bytes"
            ),
            Self::Incomplete { buffered, expected } => write!(
                f,
                "the stream ended in the middle of a message: {buffered} of {expected} bytes \
                 (prefix included) arrived"
            ),
        }
    }
}

impl std::error::Error for FramingError {}

// ANCHOR: encode_message
/// Appends `payload` to `dst` as one length-prefixed message: the flag byte (1 if
/// `compressed`, else 0), the length as a big-endian `u32`, then the payload itself.
///
/// # Panics
///
/// If `payload` is longer than `u32::MAX` bytes: the prefix cannot express that length.
/// Real senders enforce a much smaller limit of their own before they get here.
pub fn encode_message(payload: &[u8], compressed: bool, dst: &mut Vec<u8>) {
    // TODO(lab 11, step 1): append the 5-byte prefix, then the payload, to `dst`:
    // - one flag byte: 1 if `compressed`, else 0 (`u8::from(compressed)` does it);
    // - the payload's length as a u32 in big-endian order (`u32::to_be_bytes`). Convert
    //   with `u32::try_from(payload.len())` and `expect` a message saying why it can't
    //   fail in practice (see `# Panics`);
    // - the payload bytes.
    // Append (`push`, `extend_from_slice`); don't clear `dst`, it may hold earlier messages.
    let _ = (payload, compressed, dst);
    todo!("lab 11, step 1: implement encode_message in labs/11_on_the_wire/src/framing.rs")
}
// ANCHOR_END: encode_message

// ANCHOR: message_prefix
/// What the 5-byte prefix says about the message behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagePrefix {
    /// The flag byte was 1.
    pub compressed: bool,
    /// How many payload bytes follow the prefix.
    pub len: usize,
}
// ANCHOR_END: message_prefix

// ANCHOR: decode_prefix
/// Reads a message prefix: the flag byte, then the big-endian `u32` length.
///
/// Errors:
/// - [`FramingError::InvalidCompressedFlag`]: the flag is neither 0 nor 1;
/// - [`FramingError::MessageTooLarge`]: the length is over `max_message_len`.
pub fn decode_prefix(
    prefix: [u8; PREFIX_LEN],
    max_message_len: usize,
) -> Result<MessagePrefix, FramingError> {
    // TODO(lab 11, step 1): read the prefix. Byte 0 is the flag: 0 is not compressed, 1 is
    // compressed, anything else is `FramingError::InvalidCompressedFlag(flag)`. Bytes 1..5
    // are the length, big-endian (`u32::from_be_bytes`); a length over `max_message_len`
    // is `FramingError::MessageTooLarge { len, max: max_message_len }`.
    // Hint: `let [flag, length @ ..] = prefix;` splits the array into the flag and a
    // `[u8; 4]`.
    let _ = (prefix, max_message_len);
    todo!("lab 11, step 1: implement decode_prefix in labs/11_on_the_wire/src/framing.rs")
}
// ANCHOR_END: decode_prefix

// ANCHOR: message_decoder
/// Takes bytes in chunks of any size, as DATA frames deliver them, and hands out complete
/// messages.
///
/// ```text
/// let mut decoder = MessageDecoder::new(DEFAULT_MAX_MESSAGE_LEN);
/// for chunk in data_frames {
///     decoder.push(&chunk);
///     while let Some(message) = decoder.next_message()? { ... }
/// }
/// decoder.finish()?; // the stream ended: nothing may be left over
/// ```
#[derive(Debug)]
pub struct MessageDecoder {
    /// Bytes received and not yet returned as a message.
    buffer: BytesMut,
    /// The largest payload accepted, in bytes.
    max_message_len: usize,
}

impl MessageDecoder {
    /// A decoder that refuses messages longer than `max_message_len` bytes.
    pub fn new(max_message_len: usize) -> Self {
        Self {
            buffer: BytesMut::new(),
            max_message_len,
        }
    }

    /// Appends the next chunk of the stream (a DATA frame's payload, say) to the buffer.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// How many bytes are buffered and not yet returned as a message.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len()
    }
    // ANCHOR_END: message_decoder

    // ANCHOR: next_message
    /// The next complete message, if the buffer holds one.
    ///
    /// - `Ok(None)`: not enough bytes yet; push more.
    /// - `Ok(Some(message))`: the message, removed from the buffer.
    /// - `Err(..)`: the prefix is invalid ([`FramingError::InvalidCompressedFlag`]) or
    ///   announces a message over the limit ([`FramingError::MessageTooLarge`]). Both are
    ///   reported as soon as the 5 prefix bytes are there, without waiting for the
    ///   payload. The buffer is left as it was, so calling again returns the same error: the
    ///   stream cannot be resynchronised, and the call has to end.
    pub fn next_message(&mut self) -> Result<Option<GrpcMessage>, FramingError> {
        // TODO(lab 11, step 2): return the next complete message from `self.buffer`.
        // 1. Fewer than PREFIX_LEN bytes buffered: `Ok(None)` (`self.buffer.first_chunk()`
        //    gives you the first 5 bytes as an array, if there are 5).
        // 2. Read the prefix with `decode_prefix(prefix, self.max_message_len)?`: an
        //    invalid flag or an oversized length is an error *now*, before the payload.
        // 3. Fewer than PREFIX_LEN + len bytes buffered: `Ok(None)`.
        // 4. Otherwise drop the prefix (`self.buffer.advance(PREFIX_LEN)`, from
        //    `bytes::Buf`) and take the payload off the front without copying it
        //    (`self.buffer.split_to(len).freeze()`).
        // On an error, leave the buffer alone: the next call then reports the same error.
        let _ = (&mut self.buffer, self.max_message_len);
        todo!(
            "lab 11, step 2: implement MessageDecoder::next_message in labs/11_on_the_wire/src/framing.rs"
        )
    }
    // ANCHOR_END: next_message

    // ANCHOR: finish
    /// Call when the stream has ended (END_STREAM), after `next_message` has returned
    /// `Ok(None)`: checks that no partial message is left.
    ///
    /// Leftover bytes mean the peer stopped in the middle of a message:
    /// [`FramingError::Incomplete`], with how many bytes arrived and how many the message
    /// needed (prefix included). A prefix that is itself invalid reports that error instead.
    pub fn finish(&self) -> Result<(), FramingError> {
        // TODO(lab 11, step 2): the stream has ended; nothing may be left in the buffer.
        // - empty buffer: `Ok(())`;
        // - fewer than PREFIX_LEN bytes: `FramingError::Incomplete` with `buffered` (how
        //   many bytes there are) and `expected: PREFIX_LEN`;
        // - otherwise `decode_prefix` the first 5 bytes (its error, if any, is the answer)
        //   and report `Incomplete` with `expected: PREFIX_LEN + len`.
        let _ = (&self.buffer, self.max_message_len);
        todo!(
            "lab 11, step 2: implement MessageDecoder::finish in labs/11_on_the_wire/src/framing.rs"
        )
    }
    // ANCHOR_END: finish
}

// ANCHOR: decode_messages
/// Every message in `bytes`, a whole stream's worth of DATA: pushes it into a
/// [`MessageDecoder`], takes out every message, and checks nothing is left over.
pub fn decode_messages(
    bytes: &[u8],
    max_message_len: usize,
) -> Result<Vec<GrpcMessage>, FramingError> {
    let mut decoder = MessageDecoder::new(max_message_len);
    decoder.push(bytes);
    let mut messages = Vec::new();
    while let Some(message) = decoder.next_message()? {
        messages.push(message);
    }
    decoder.finish()?;
    Ok(messages)
}
// ANCHOR_END: decode_messages
