//! Step 5: turning a recording into a protocol trace a person can read.
//!
//! A recording holds what went over the wire: header fields as text and DATA as hex. The
//! transcript says what it *means*: which messages the DATA frames carry (your
//! [`MessageDecoder`] finds them, prost decodes them), how long the deadline is, which
//! status the call ended with, what the percent-encoded message says and what the binary
//! error details hold.
//!
//! [`render_transcript`] lays the trace out; the three functions it asks for the meaning of
//! a message, a header and the error details are yours.

use std::fmt::Write as _;

// What step 5 needs: prost to decode, tonic's `Code` names, the google.rpc types, the
// workbook's messages, and your steps 3 and 4.
#[allow(unused_imports)]
use prost::Message as _;
#[allow(unused_imports)]
use tonic::Code;
#[allow(unused_imports)]
use tonic_types::pb;
#[allow(unused_imports)]
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
};

use crate::{
    DEFAULT_MAX_MESSAGE_LEN, MessageDecoder,
    recording::{Direction, Event, Field, RecordedCall, Recording},
};
#[allow(unused_imports)]
use crate::{decode_grpc_message, parse_grpc_timeout};

// ANCHOR: describe_message
/// A message of the `UserService` method at `path` (e.g. `/user.UserService/GetUser`),
/// sent in `direction`, decoded with prost and shown with `{:?}`:
/// `GetUserRequest { id: 1 }`.
///
/// - a payload that is not a valid message of that type:
///   `not a valid GetUserRequest: <prost's error>`;
/// - a path that is not one of `UserService`'s four methods:
///   `7 bytes for /other.Service/Method, a method this transcript does not know`.
pub fn describe_message(path: &str, direction: Direction, payload: &[u8]) -> String {
    // TODO(lab 11, step 5): pick the message type from the method and the direction:
    // - GetUser: `GetUserRequest` in, `User` out;
    // - ListUsers: `ListUsersRequest` in, `User` out (one message per user);
    // - CreateUsers: `CreateUserRequest` in (one per user), `CreateUsersResponse` out;
    // - Chat: `ChatMessage` both ways.
    // The method is what follows "/user.UserService/" in `path` (`strip_prefix`).
    // Decode with prost (`GetUserRequest::decode(payload)`, from `prost::Message`):
    // `Ok(message)` is shown as `format!("{message:?}")`, `Err(error)` as
    // `format!("not a valid GetUserRequest: {error}")` with the type's name. Any other
    // path: `format!("{} bytes for {path}, a method this transcript does not know", payload.len())`.
    // A small generic helper `fn decode_as<M: prost::Message + Default + Debug>(name, payload)`
    // saves repeating the match for each type.
    let _ = (path, direction, payload);
    todo!("lab 11, step 5: implement describe_message in labs/11_on_the_wire/src/transcript.rs")
}
// ANCHOR_END: describe_message

// ANCHOR: explain_header
/// What a gRPC header field means, for the fields that need explaining; `None` for the
/// others (`content-type`, `:path`, ...), which speak for themselves.
///
/// - `grpc-timeout`: the duration, shown with `{:?}` (`5s`, `1.5ms`), or
///   `invalid: <your parser's error>`;
/// - `grpc-status`: the code as tonic names it (`Ok`, `NotFound`), or
///   `not a status code` when the value is not a number;
/// - `grpc-message`: the decoded text, quoted with `{:?}`: `"no user with id 42"`;
/// - `grpc-status-details-bin`: the lines of [`describe_status_details`] joined with
///   `\n`; `not valid base64` or `not a google.rpc.Status: <prost's error>` when it is
///   neither.
pub fn explain_header(name: &str, value: &str) -> Option<String> {
    // TODO(lab 11, step 5): match on `name` and return `Some(explanation)`:
    // - "grpc-timeout": your `parse_grpc_timeout(value)`; `Ok(d)` as `format!("{d:?}")`
    //   (that prints `5s`), `Err(e)` as `format!("invalid: {e}")`;
    // - "grpc-status": parse the value as an i32 and show `format!("{:?}",
    //   Code::from_i32(n))` (`Ok`, `NotFound`; out-of-range numbers become `Unknown`);
    //   not a number: "not a status code";
    // - "grpc-message": your `decode_grpc_message(value.as_bytes())`, quoted with `{:?}`;
    // - "grpc-status-details-bin": `decode_base64_header(value)` (given below); `None` is
    //   "not valid base64"; otherwise your `describe_status_details`, its lines joined
    //   with "\n", or `format!("not a google.rpc.Status: {error}")`.
    // Every other name: `None`.
    let _ = (name, value);
    todo!("lab 11, step 5: implement explain_header in labs/11_on_the_wire/src/transcript.rs")
}
// ANCHOR_END: explain_header

// ANCHOR: describe_status_details
/// The binary error details of a status (the bytes of `grpc-status-details-bin` after
/// base64), one line per item:
///
/// ```text
/// google.rpc.Status: code 3 (InvalidArgument), message "requests[1].email: ..."
/// details[0]: type.googleapis.com/google.rpc.BadRequest
///   requests[1].email: email must contain exactly one '@', got 0 (EMAIL_NO_AT)
/// ```
///
/// The bytes are a `google.rpc.Status` (`tonic_types::pb::Status`): a code, a message and
/// a list of `Any` details, each a type URL and the bytes of a message of that type. A
/// `google.rpc.BadRequest` detail (`tonic_types::pb::BadRequest`) gets one line per field
/// violation: `  <field>: <description> (<reason>)`. Any other detail type gets no lines
/// beyond its own: `details[1]: <type URL>, 12 bytes`.
pub fn describe_status_details(details: &[u8]) -> Result<Vec<String>, prost::DecodeError> {
    // TODO(lab 11, step 5): decode the bytes as a `pb::Status` (`pb::Status::decode(details)?`).
    // First line: `format!("google.rpc.Status: code {} ({:?}), message {:?}", status.code,
    // Code::from_i32(status.code), status.message)`. Then for each detail (index `i`), an
    // `Any` with `type_url` and `value`:
    // - type URL "type.googleapis.com/google.rpc.BadRequest": `details[i]: <type_url>`,
    //   then decode `value` as a `pb::BadRequest` (`?` on error) and add one line per field
    //   violation: `format!("  {}: {} ({})", v.field, v.description, v.reason)`;
    // - any other type: `format!("details[{i}]: {}, {} bytes", type_url, value.len())`.
    let _ = details;
    todo!(
        "lab 11, step 5: implement describe_status_details in labs/11_on_the_wire/src/transcript.rs"
    )
}
// ANCHOR_END: describe_status_details

// ANCHOR: decode_base64_header
/// The bytes of a binary header's value (its name ends in `-bin`): gRPC sends them
/// base64-encoded, with or without padding. `None` if the value is not base64.
///
/// tonic does this for every `-bin` metadata value: `MetadataMap::get_bin` hands out a
/// `MetadataValue<Binary>` whose `to_bytes` decodes it.
pub fn decode_base64_header(value: &str) -> Option<Vec<u8>> {
    let value = http::HeaderValue::from_str(value).ok()?;
    let mut headers = http::HeaderMap::new();
    headers.insert("grpc-status-details-bin", value);
    let metadata = tonic::metadata::MetadataMap::from_headers(headers);
    let bytes = metadata
        .get_bin("grpc-status-details-bin")?
        .to_bytes()
        .ok()?;
    Some(bytes.to_vec())
}
// ANCHOR_END: decode_base64_header

/// Header values longer than this are shortened in the transcript (the decoded meaning
/// follows them anyway).
const LONG_VALUE: usize = 40;

/// The column where a header's explanation starts.
const EXPLANATION_COLUMN: usize = 44;

// ANCHOR: render_transcript
/// The whole recording as a protocol trace: for each call, every frame in each direction,
/// header fields with their meaning, and the messages inside each DATA frame.
pub fn render_transcript(recording: &Recording) -> String {
    let mut out = String::from("→ client to server, ← server to client\n");
    for call in &recording.calls {
        let heading = format!("Stream {}: {}", call.stream_id, call.title);
        let _ = write!(
            out,
            "\n{heading}\n{}\n",
            "=".repeat(heading.chars().count())
        );
        render_direction(&mut out, call, Direction::ClientToServer);
        render_direction(&mut out, call, Direction::ServerToClient);
    }
    out
}

fn render_direction(out: &mut String, call: &RecordedCall, direction: Direction) {
    let (arrow, events) = match direction {
        Direction::ClientToServer => ('→', &call.request),
        Direction::ServerToClient => ('←', &call.response),
    };
    let path = call.path().unwrap_or("(no :path)");
    let mut decoder = MessageDecoder::new(DEFAULT_MAX_MESSAGE_LEN);
    let mut failed = false;

    for (index, event) in events.iter().enumerate() {
        match event {
            Event::Headers { fields, end_stream } => {
                let trailers_only = *end_stream && direction == Direction::ServerToClient;
                let note = if trailers_only {
                    ", END_STREAM: a Trailers-Only response"
                } else if *end_stream {
                    ", END_STREAM"
                } else {
                    ""
                };
                let _ = writeln!(out, "{arrow} HEADERS{note}");
                render_fields(out, fields);
            }
            Event::Trailers { fields } => {
                let _ = writeln!(out, "{arrow} TRAILERS (a HEADERS frame), END_STREAM");
                render_fields(out, fields);
            }
            Event::Data { bytes, end_stream } => {
                let eos = if *end_stream { ", END_STREAM" } else { "" };
                let _ = writeln!(out, "{arrow} DATA, {} bytes{eos}", bytes.len());
                if failed {
                    continue;
                }
                decoder.push(bytes);
                loop {
                    match decoder.next_message() {
                        Ok(Some(message)) if message.compressed => {
                            let _ = writeln!(
                                out,
                                "    compressed message, {} bytes (not decoded)",
                                message.payload.len()
                            );
                        }
                        Ok(Some(message)) => {
                            let _ = writeln!(
                                out,
                                "    message, {} bytes: {}",
                                message.payload.len(),
                                describe_message(path, direction, &message.payload)
                            );
                        }
                        Ok(None) => break,
                        Err(error) => {
                            let _ = writeln!(out, "    framing error: {error}");
                            failed = true;
                            break;
                        }
                    }
                }
                let more_data_follows = events[index + 1..]
                    .iter()
                    .any(|event| matches!(event, Event::Data { .. }));
                if !failed && decoder.buffered_len() > 0 {
                    if more_data_follows {
                        let _ = writeln!(
                            out,
                            "    ({} bytes of a message continue in the next DATA frame)",
                            decoder.buffered_len()
                        );
                    } else if let Err(error) = decoder.finish() {
                        let _ = writeln!(out, "    framing error: {error}");
                        failed = true;
                    }
                }
            }
        }
    }
}

fn render_fields(out: &mut String, fields: &[Field]) {
    for field in fields {
        let length = field.value.chars().count();
        let value = if length > LONG_VALUE {
            let start: String = field.value.chars().take(LONG_VALUE - 8).collect();
            format!("{start}… ({length} chars)")
        } else {
            field.value.clone()
        };
        let shown = format!("    {}: {value}", field.name);
        let _ = write!(out, "{shown}");
        let Some(explanation) = explain_header(&field.name, &field.value) else {
            out.push('\n');
            continue;
        };
        // Short fields get their meaning in a column on the same line, long ones below.
        let width = shown.chars().count();
        let column = if width + 2 <= EXPLANATION_COLUMN {
            let _ = write!(out, "{:padding$}", "", padding = EXPLANATION_COLUMN - width);
            EXPLANATION_COLUMN
        } else {
            let _ = write!(out, "\n{:8}", "");
            8
        };
        for (index, line) in explanation.lines().enumerate() {
            if index == 0 {
                let _ = writeln!(out, "⇒ {line}");
            } else {
                let _ = writeln!(out, "{:column$}  {line}", "");
            }
        }
    }
}
// ANCHOR_END: render_transcript
