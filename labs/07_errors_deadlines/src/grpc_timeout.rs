//! Step 2: the `grpc-timeout` header.
//!
//! A gRPC deadline travels as a *duration*, not a point in time, because the client's and the
//! server's clocks need not agree: the header says how long the caller is still willing to
//! wait, measured from the moment the request was sent. The protocol's grammar is
//!
//! ```text
//! Timeout      → "grpc-timeout" TimeoutValue TimeoutUnit
//! TimeoutValue → {positive integer as ASCII string of at most 8 digits}
//! TimeoutUnit  → Hour / Minute / Second / Millisecond / Microsecond / Nanosecond
//!                 "H"    "M"      "S"      "m"           "u"           "n"
//! ```
//!
//! Eight digits in the most precise unit that fits: tonic sends 5 seconds as `5000000u`.

use std::time::Duration;

use http::HeaderMap;
use tonic::Status;

/// The name of the header that carries a call's deadline.
pub const GRPC_TIMEOUT: &str = "grpc-timeout";

// ANCHOR: parse_grpc_timeout
/// The duration a `grpc-timeout` value stands for, or `None` when it breaks the grammar.
///
/// `"250m"` is 250 ms, `"5000000u"` is 5 s, `"1H"` is an hour. One to eight ASCII digits,
/// then exactly one unit letter, nothing else: no sign, no space, no decimal point, no
/// ninth digit. `"0n"` is accepted (grpc-go's encoder writes it for a deadline that has
/// already passed) and means "no time left".
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    // TODO(lab 7, step 2): split off the unit, the last *byte*
    // (`value.as_bytes().split_last()`: slicing a `str` in the middle of a character panics);
    // check the digits (1 to 8, each `is_ascii_digit`: `str::parse::<u64>` would also accept
    // "+5"); turn them into a number; and make a `Duration` of that many H(ours), M(inutes),
    // S(econds), m(illis), u (micros) or n(anos). Anything else: `None`.
    let _ = value;
    todo!(
        "lab 7, step 2: implement parse_grpc_timeout in labs/07_errors_deadlines/src/grpc_timeout.rs"
    )
}
// ANCHOR_END: parse_grpc_timeout

// ANCHOR: call_timeout
/// The timeout a request's headers ask for: `Ok(None)` when there is no `grpc-timeout`,
/// `Err(INTERNAL)` when there is one that does not parse.
///
/// The protocol document gives the grammar but not what a server does with a value that
/// breaks it. grpc-go refuses the call with `INTERNAL` ("malformed time-out"), and so do we:
/// a caller that meant to set a deadline and got the syntax wrong should find out, rather
/// than get a call with no deadline at all, which is what tonic's own server does with it.
pub fn call_timeout(headers: &HeaderMap) -> Result<Option<Duration>, Status> {
    let Some(value) = headers.get(GRPC_TIMEOUT) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(parse_grpc_timeout)
        .map(Some)
        .ok_or_else(|| {
            Status::internal(format!(
                "malformed grpc-timeout {value:?}: expected 1 to 8 digits and one of the units \
                 H, M, S, m, u, n"
            ))
        })
}
// ANCHOR_END: call_timeout
