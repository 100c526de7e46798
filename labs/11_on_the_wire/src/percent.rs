//! Step 4: the percent-encoding of `grpc-message`.
//!
//! A status message is free text for people, in UTF-8, and it travels in an HTTP/2 header,
//! where a value may not hold control characters and is not reliably UTF-8. gRPC therefore
//! percent-encodes it: every byte outside printable ASCII (`0x20..=0x7E`), and `%` itself,
//! becomes `%` and two hex digits. "Zoë" becomes `Zo%C3%AB`, one escape per UTF-8 byte.
//!
//! Senders may escape more than that (tonic also escapes the space and `"#<>?{}` and the
//! backtick); receivers decode whatever they get. A receiver must also never fail on a
//! malformed value: it decodes what it can and keeps the rest as it is, because losing the
//! one human-readable explanation of an error is worse than showing a stray `%`.

// ANCHOR: encode_grpc_message
/// Percent-encodes a status message for the `grpc-message` header, as the gRPC
/// specification asks: bytes `0x20..=0x7E` other than `%` stay as they are, every other
/// byte (of the UTF-8 encoding) becomes `%XX` with two uppercase hex digits.
///
/// `"no user with id 42"` is unchanged; `"100% sure"` becomes `100%25 sure`; `"Zoë"`
/// becomes `Zo%C3%AB`.
pub fn encode_grpc_message(message: &str) -> String {
    // TODO(lab 11, step 4): go through the message's UTF-8 bytes (`message.as_bytes()`).
    // A byte in 0x20..=0x7E that is not b'%' goes into the result as a character
    // (`char::from(byte)`); every other byte becomes '%' and two uppercase hex digits
    // (`format!("%{byte:02X}")` does it, or index into b"0123456789ABCDEF").
    let _ = message;
    todo!("lab 11, step 4: implement encode_grpc_message in labs/11_on_the_wire/src/percent.rs")
}
// ANCHOR_END: encode_grpc_message

// ANCHOR: decode_grpc_message
/// Decodes a `grpc-message` header value back into the status message. Never fails:
///
/// - `%` followed by two hex digits (either case) is that byte;
/// - any other `%` (at the end, or before a non-hex character) is kept as it is;
/// - bytes that don't form valid UTF-8 once decoded become U+FFFD, the replacement
///   character.
///
/// Takes bytes, not `&str`: a header value off the wire need not be ASCII or UTF-8.
pub fn decode_grpc_message(value: &[u8]) -> String {
    // TODO(lab 11, step 4): build the decoded bytes in a `Vec<u8>`, then turn them into text
    // with `String::from_utf8_lossy(&bytes).into_owned()` (invalid UTF-8 becomes U+FFFD).
    // Walk through `value`: a b'%' followed by two hex digits (`char::from(b).to_digit(16)`
    // tells you whether a byte is one, and its value) is one byte, `high << 4 | low`, and
    // you skip all three; any other byte, a lone '%' included, is copied as it is.
    // Careful at the end of the input: "100%" and "%4" must not index past it.
    let _ = value;
    todo!("lab 11, step 4: implement decode_grpc_message in labs/11_on_the_wire/src/percent.rs")
}
// ANCHOR_END: decode_grpc_message
