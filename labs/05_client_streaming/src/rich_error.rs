//! Step 2: turning violations into one `INVALID_ARGUMENT` a client can act on.
//!
//! gRPC's status has a code and a message, and a third, optional part: *details*, a
//! serialized `google.rpc.Status` whose `details` field holds typed messages such as
//! `google.rpc.BadRequest` (a list of field violations). tonic sends it base64-encoded in
//! the `grpc-status-details-bin` trailer; `tonic-types` builds and reads it
//! ([`StatusExt`]). Clients that don't know about details still get the code and the
//! message, so the message alone must say what is wrong.

// TODO(lab 5, step 2) uses `Code`, `ErrorDetails` and `StatusExt`; the `allow` can go once it does.
#[allow(unused_imports)]
use tonic::{Code, Status};
#[allow(unused_imports)]
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
    // TODO(lab 5, step 2): build the status described above.
    // - the message: "{field}: {description}" of the first violation, then (the snapshot
    //   test records it word for word):
    //   - only one violation:  " (nothing was stored)"
    //   - one more:            " (and 1 more problem; nothing was stored)"
    //   - n more, all listed:  " (and {n} more problems; nothing was stored)"
    //   - more violations than MAX_REPORTED_VIOLATIONS:
    //     " (and {n} more problems, the first 20 in the details; nothing was stored)";
    //   (an empty slice cannot happen; answer `Status::invalid_argument` with any message);
    // - the details: `ErrorDetails::with_bad_request(...)` holding clones of the first
    //   MAX_REPORTED_VIOLATIONS violations (`iter().take(..).cloned().collect::<Vec<_>>()`);
    // - both together: `Status::with_error_details(Code::InvalidArgument, message, details)`
    //   (a method that `tonic_types::StatusExt` adds to `Status`).
    let _ = violations;
    todo!(
        "lab 5, step 2: implement invalid_batch_status in labs/05_client_streaming/src/rich_error.rs"
    )
}
// ANCHOR_END: invalid_batch_status
