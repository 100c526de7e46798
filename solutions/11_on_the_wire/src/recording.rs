//! A recorded gRPC exchange: what each side of a few real calls sent, at the HTTP/2 level.
//!
//! The recording is a text file (`tests/fixtures/exchange.txt`) that a person can read and
//! a test can re-create: the lab's tests record the reference server through a small
//! HTTP/2 proxy and compare. Each call lists the events of the request (`>`, client to
//! server) and of the response (`<`, server to client), in the order they were sent:
//!
//! ```text
//! call on stream 1: GetUser(id: 1): found
//! > HEADERS
//! >   :method: POST
//! >   :path: /user.UserService/GetUser
//! >   content-type: application/grpc
//! > DATA 7 bytes END_STREAM
//! >   00 00 00 00 02 08 01
//! < HEADERS
//! <   :status: 200
//! < DATA 34 bytes
//! <   00 00 00 00 1d 08 01 12 06 55 73 65 72 20 31 1a
//! <   ...
//! < TRAILERS END_STREAM
//! <   grpc-status: 0
//! ```
//!
//! `HEADERS`, `DATA` and `TRAILERS` are one HTTP/2 frame each (a header block may also
//! continue in CONTINUATION frames; the recording shows the whole block). Trailers are a
//! HEADERS frame too, the last one of the response; the recording names them for clarity.
//! The request's DATA frames and the response's frames are each in order, but how the two
//! directions interleaved in time is not recorded.

use std::fmt::{self, Write as _};

/// Which way an event went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The request: `>` in the recording.
    ClientToServer,
    /// The response: `<` in the recording.
    ServerToClient,
}

impl Direction {
    fn marker(self) -> char {
        match self {
            Self::ClientToServer => '>',
            Self::ServerToClient => '<',
        }
    }
}

/// One header field: a name (pseudo-headers such as `:path` included) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

impl Field {
    /// A field named `name` with `value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// One HTTP/2 frame of a call, as the recording shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The header block that opens the request or the response. With `end_stream`, a
    /// response's only frame: a Trailers-Only response.
    Headers {
        fields: Vec<Field>,
        end_stream: bool,
    },
    /// A DATA frame's payload: length-prefixed messages, or parts of them.
    Data { bytes: Vec<u8>, end_stream: bool },
    /// The header block that ends a response after its DATA: always END_STREAM.
    Trailers { fields: Vec<Field> },
}

/// One call: the HTTP/2 stream it used, a title saying what it shows, then each
/// direction's frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCall {
    /// The stream id the client chose: odd, and increasing on one connection.
    pub stream_id: u32,
    pub title: String,
    pub request: Vec<Event>,
    pub response: Vec<Event>,
}

impl RecordedCall {
    /// The request's `:path`, e.g. `/user.UserService/GetUser`.
    pub fn path(&self) -> Option<&str> {
        self.request.iter().find_map(|event| match event {
            Event::Headers { fields, .. } => fields
                .iter()
                .find(|field| field.name == ":path")
                .map(|field| field.value.as_str()),
            _ => None,
        })
    }
}

/// A whole recording: calls in the order they were made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recording {
    pub calls: Vec<RecordedCall>,
}

/// The comment at the top of every recording file.
pub const RECORDING_HEADER: &str = "\
# A recorded gRPC exchange: tonic's generated client -> an HTTP/2 recording proxy -> the
# reference server (user-service). `>` is client to server, `<` server to client.
# Each HEADERS, DATA and TRAILERS entry is one HTTP/2 frame; header fields are shown as
# HPACK decoded them, DATA payloads in hex. The port in :authority is replaced by <port>,
# and the `date` header hyper adds to every response is left out.
# Do not edit: re-record with
#   cargo test -p solution11-on-the-wire -- --ignored record_fixture
";

/// How many payload bytes one hex line of a DATA entry shows.
const BYTES_PER_LINE: usize = 16;

impl Recording {
    /// The recording as the text of a fixture file.
    pub fn to_text(&self) -> String {
        let mut text = String::from(RECORDING_HEADER);
        for call in &self.calls {
            let _ = writeln!(text, "\ncall on stream {}: {}", call.stream_id, call.title);
            for (direction, events) in [
                (Direction::ClientToServer, &call.request),
                (Direction::ServerToClient, &call.response),
            ] {
                let m = direction.marker();
                for event in events {
                    match event {
                        Event::Headers { fields, end_stream } => {
                            let _ = writeln!(text, "{m} HEADERS{}", eos(*end_stream));
                            write_fields(&mut text, m, fields);
                        }
                        Event::Data { bytes, end_stream } => {
                            let _ = writeln!(
                                text,
                                "{m} DATA {} bytes{}",
                                bytes.len(),
                                eos(*end_stream)
                            );
                            for line in bytes.chunks(BYTES_PER_LINE) {
                                let hex: Vec<String> =
                                    line.iter().map(|byte| format!("{byte:02x}")).collect();
                                let _ = writeln!(text, "{m}   {}", hex.join(" "));
                            }
                        }
                        Event::Trailers { fields } => {
                            let _ = writeln!(text, "{m} TRAILERS END_STREAM");
                            write_fields(&mut text, m, fields);
                        }
                    }
                }
            }
        }
        text
    }

    /// Reads a recording written by [`Recording::to_text`]. Lines starting with `#` and
    /// blank lines are ignored.
    pub fn parse(text: &str) -> Result<Self, RecordingParseError> {
        let mut calls: Vec<RecordedCall> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let error = |what: &str| RecordingParseError {
                line: index + 1,
                message: what.to_owned(),
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(call) = line.strip_prefix("call on stream ") {
                let (stream_id, title) = call
                    .split_once(": ")
                    .and_then(|(id, title)| Some((id.parse().ok()?, title)))
                    .ok_or_else(|| error("expected `call on stream <id>: <title>`"))?;
                calls.push(RecordedCall {
                    stream_id,
                    title: title.to_owned(),
                    request: Vec::new(),
                    response: Vec::new(),
                });
                continue;
            }
            let call = calls
                .last_mut()
                .ok_or_else(|| error("an event before the first `call on stream` line"))?;
            let (events, rest) = if let Some(rest) = line.strip_prefix("> ") {
                (&mut call.request, rest)
            } else if let Some(rest) = line.strip_prefix("< ") {
                (&mut call.response, rest)
            } else {
                return Err(error(
                    "expected `call on stream `, `> ` or `< ` at the start of the line",
                ));
            };

            if let Some(content) = rest.strip_prefix("  ") {
                // A continuation line: a header field, or a line of hex.
                match events.last_mut() {
                    Some(Event::Headers { fields, .. } | Event::Trailers { fields }) => {
                        let (name, value) = split_field(content)
                            .ok_or_else(|| error("expected a header field `name: value`"))?;
                        fields.push(Field::new(name, value));
                    }
                    Some(Event::Data { bytes, .. }) => {
                        for pair in content.split(' ') {
                            let byte = u8::from_str_radix(pair, 16)
                                .map_err(|_| error("expected hex bytes such as `0a 1f`"))?;
                            bytes.push(byte);
                        }
                    }
                    None => return Err(error("a field or hex line before any frame")),
                }
                continue;
            }

            let (kind, end_stream) = match rest.strip_suffix(" END_STREAM") {
                Some(kind) => (kind, true),
                None => (rest, false),
            };
            let event = if kind == "HEADERS" {
                Event::Headers {
                    fields: Vec::new(),
                    end_stream,
                }
            } else if kind == "TRAILERS" {
                if !end_stream {
                    return Err(error("TRAILERS always end the stream"));
                }
                Event::Trailers { fields: Vec::new() }
            } else if kind.starts_with("DATA ") && kind.ends_with(" bytes") {
                Event::Data {
                    bytes: Vec::new(),
                    end_stream,
                }
            } else {
                return Err(error("expected HEADERS, DATA <n> bytes or TRAILERS"));
            };
            events.push(event);
        }
        Ok(Self { calls })
    }
}

fn eos(end_stream: bool) -> &'static str {
    if end_stream { " END_STREAM" } else { "" }
}

fn write_fields(text: &mut String, marker: char, fields: &[Field]) {
    for field in fields {
        let _ = writeln!(text, "{marker}   {}: {}", field.name, field.value);
    }
}

/// `name: value`, where a pseudo-header's name starts with `:`.
fn split_field(line: &str) -> Option<(&str, &str)> {
    let search_from = usize::from(line.starts_with(':'));
    let colon = line[search_from..].find(": ")? + search_from;
    Some((&line[..colon], &line[colon + 2..]))
}

/// Why a recording file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingParseError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RecordingParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for RecordingParseError {}
