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

use prost::Message as _;
use tonic::Code;
use tonic_types::pb;
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
};

use crate::{
    DEFAULT_MAX_MESSAGE_LEN, MessageDecoder, decode_grpc_message, parse_grpc_timeout,
    recording::{Direction, Event, Field, RecordedCall, Recording},
};

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
    use Direction::{ClientToServer as Request, ServerToClient as Response};

    let method = path.strip_prefix("/user.UserService/");
    match (method, direction) {
        (Some("GetUser"), Request) => decode_as::<GetUserRequest>("GetUserRequest", payload),
        (Some("GetUser" | "ListUsers"), Response) => decode_as::<User>("User", payload),
        (Some("ListUsers"), Request) => decode_as::<ListUsersRequest>("ListUsersRequest", payload),
        (Some("CreateUsers"), Request) => {
            decode_as::<CreateUserRequest>("CreateUserRequest", payload)
        }
        (Some("CreateUsers"), Response) => {
            decode_as::<CreateUsersResponse>("CreateUsersResponse", payload)
        }
        (Some("Chat"), _) => decode_as::<ChatMessage>("ChatMessage", payload),
        _ => format!(
            "{} bytes for {path}, a method this transcript does not know",
            payload.len()
        ),
    }
}

/// `payload` decoded as `M`, shown with `{:?}`, or why it is not an `M`.
fn decode_as<M: prost::Message + Default + std::fmt::Debug>(name: &str, payload: &[u8]) -> String {
    match M::decode(payload) {
        Ok(message) => format!("{message:?}"),
        Err(error) => format!("not a valid {name}: {error}"),
    }
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
    let explanation = match name {
        "grpc-timeout" => match parse_grpc_timeout(value) {
            Ok(timeout) => format!("{timeout:?}"),
            Err(error) => format!("invalid: {error}"),
        },
        "grpc-status" => match value.parse::<i32>() {
            // Code::from_i32 maps numbers outside 0..=16 to Unknown, as the spec asks.
            Ok(code) => format!("{:?}", Code::from_i32(code)),
            Err(_) => "not a status code".to_owned(),
        },
        "grpc-message" => format!("{:?}", decode_grpc_message(value.as_bytes())),
        "grpc-status-details-bin" => match decode_base64_header(value) {
            None => "not valid base64".to_owned(),
            Some(details) => match describe_status_details(&details) {
                Ok(lines) => lines.join("\n"),
                Err(error) => format!("not a google.rpc.Status: {error}"),
            },
        },
        _ => return None,
    };
    Some(explanation)
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
    const BAD_REQUEST: &str = "type.googleapis.com/google.rpc.BadRequest";

    let status = pb::Status::decode(details)?;
    let mut lines = vec![format!(
        "google.rpc.Status: code {} ({:?}), message {:?}",
        status.code,
        Code::from_i32(status.code),
        status.message
    )];
    for (index, detail) in status.details.iter().enumerate() {
        if detail.type_url == BAD_REQUEST {
            lines.push(format!("details[{index}]: {}", detail.type_url));
            let bad_request = pb::BadRequest::decode(detail.value.as_slice())?;
            for violation in bad_request.field_violations {
                lines.push(format!(
                    "  {}: {} ({})",
                    violation.field, violation.description, violation.reason
                ));
            }
        } else {
            lines.push(format!(
                "details[{index}]: {}, {} bytes",
                detail.type_url,
                detail.value.len()
            ));
        }
    }
    Ok(lines)
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
