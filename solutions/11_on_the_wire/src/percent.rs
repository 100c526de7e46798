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
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(message.len());
    for &byte in message.as_bytes() {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
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
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some((&byte, after)) = rest.split_first() {
        if byte == b'%'
            && let [high, low, ..] = *after
            && let (Some(high), Some(low)) = (hex_value(high), hex_value(low))
        {
            bytes.push(high << 4 | low);
            rest = &after[2..];
        } else {
            bytes.push(byte);
            rest = after;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The value of one hex digit, if `byte` is one.
fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|digit| digit as u8)
}
// ANCHOR_END: decode_grpc_message
