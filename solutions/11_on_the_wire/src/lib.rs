//! Lab 11: gRPC on the wire.
//!
//! Every earlier lab let tonic turn calls into bytes. This one does it by hand, which is the
//! only way to be sure what a trace, a proxy log or a packet capture is telling you:
//!
//! - [`framing`]: the 5-byte prefix in front of every message, and an incremental decoder
//!   that finds messages in DATA frames cut anywhere (steps 1 and 2);
//! - [`timeout`]: the `grpc-timeout` header, both ways (step 3);
//! - [`percent`]: the percent-encoding of `grpc-message` (step 4);
//! - [`recording`]: a recorded exchange with the reference server (given);
//! - [`transcript`]: that recording turned into a readable protocol trace (step 5);
//! - [`raw_call`]: a call made with the `h2` crate and your codec alone (step 6).

pub mod framing;
pub mod percent;
pub mod raw_call;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/11_on_the_wire/src/recording.rs"]
pub mod recording;
pub mod timeout;
pub mod transcript;

pub use framing::{
    DEFAULT_MAX_MESSAGE_LEN, FramingError, GrpcMessage, MessageDecoder, MessagePrefix, PREFIX_LEN,
    decode_messages, decode_prefix, encode_message,
};
pub use percent::{decode_grpc_message, encode_grpc_message};
pub use raw_call::{RawCallError, RawRequest, RawResponse, raw_call};
pub use recording::{Direction, Event, Field, RecordedCall, Recording};
pub use timeout::{
    MAX_TIMEOUT_DIGITS, MAX_TIMEOUT_VALUE, TimeoutError, format_grpc_timeout, parse_grpc_timeout,
};
pub use transcript::{
    decode_base64_header, describe_message, describe_status_details, explain_header,
    render_transcript,
};
