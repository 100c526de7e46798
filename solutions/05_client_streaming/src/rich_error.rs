//! Step 2: turning violations into one `INVALID_ARGUMENT` a client can act on.
//!
//! gRPC's status has a code and a message, and a third, optional part: *details*, a
//! serialized `google.rpc.Status` whose `details` field holds typed messages such as
//! `google.rpc.BadRequest` (a list of field violations). tonic sends it base64-encoded in
//! the `grpc-status-details-bin` trailer; `tonic-types` builds and reads it
//! ([`StatusExt`]). Clients that don't know about details still get the code and the
//! message, so the message alone must say what is wrong.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// How many violations the details list at most.
///
/// The details travel in a trailer, and trailers are headers: a client refuses a header
/// block larger than it allows. A tonic client allows 16 KiB, and the gRPC protocol
/// suggests clients allow 8 KiB (grpc-java and the C core behind Python's `grpcio` follow
/// that). A violation costs about 130 bytes once encoded, so 20 keep the worst case near
/// 3 KiB, safely inside every client's limit, however large the batch. The message still
/// counts all of them.
pub const MAX_REPORTED_VIOLATIONS: usize = 20;

// ANCHOR: invalid_batch_status
/// `INVALID_ARGUMENT` for a batch with these `violations` (in request order), with
/// `BadRequest` details listing the first [`MAX_REPORTED_VIOLATIONS`] of them.
///
/// The message names the first violation and counts the rest, e.g.
/// `requests[1].email: email must contain exactly one '@', got 0 (and 2 more problems;
/// nothing was stored)`.
pub fn invalid_batch_status(violations: &[FieldViolation]) -> Status {
    let Some(first) = violations.first() else {
        // Not reachable from `create_users`, which only calls this with violations; a
        // sensible answer anyway rather than a panic.
        return Status::invalid_argument("invalid batch; nothing was stored");
    };

    let mut message = format!("{}: {}", first.field, first.description);
    match violations.len() - 1 {
        0 => message.push_str(" (nothing was stored)"),
        1 => message.push_str(" (and 1 more problem; nothing was stored)"),
        others if violations.len() > MAX_REPORTED_VIOLATIONS => message.push_str(&format!(
            " (and {others} more problems, the first {MAX_REPORTED_VIOLATIONS} in the details; \
             nothing was stored)"
        )),
        others => message.push_str(&format!(
            " (and {others} more problems; nothing was stored)"
        )),
    }

    let reported: Vec<FieldViolation> = violations
        .iter()
        .take(MAX_REPORTED_VIOLATIONS)
        .cloned()
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        ErrorDetails::with_bad_request(reported),
    )
}
// ANCHOR_END: invalid_batch_status
