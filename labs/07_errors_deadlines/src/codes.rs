//! Step 1: the status codes a client acts on.
//!
//! A client that retries has to answer two questions about every failure: *could another
//! attempt succeed?* (the code says) and *did this attempt reach the server?* (for a call
//! that is not idempotent, only "no" makes a retry safe). tonic adds a third: *is this
//! `CANCELLED` a cancellation, or tonic's word for "your timeout ran out"?*
//!
//! The last two are answered by the *type* of the error behind the status, never by its
//! message: messages are for humans, and any server can send `CANCELLED` with the message
//! "Timeout expired".

use std::error::Error;

// TODO(lab 7, step 1) uses `ConnectError` and `TimeoutExpired`; the `allow` can go once it does.
#[allow(unused_imports)]
use tonic::{Code, ConnectError, Status, TimeoutExpired};

// ANCHOR: is_retryable
/// Whether a call that failed with `code` is worth repeating exactly as it was.
///
/// Only `UNAVAILABLE`: the service could not take the call right now, and the same call may
/// well succeed in a moment, on this server or another. Every other code either describes
/// the request (`INVALID_ARGUMENT`, `NOT_FOUND`, `ALREADY_EXISTS`, `OUT_OF_RANGE`), the
/// caller (`UNAUTHENTICATED`, `PERMISSION_DENIED`), the state of the system
/// (`FAILED_PRECONDITION`: don't retry until someone fixes it), asks for a retry at a higher
/// level (`ABORTED`: restart the whole read-modify-write, not this call), reports a bug or
/// data loss (`INTERNAL`, `UNKNOWN`, `DATA_LOSS`, `UNIMPLEMENTED`), or says the time is up
/// (`DEADLINE_EXCEEDED`, `CANCELLED`). `RESOURCE_EXHAUSTED` is a quota or a limit: retrying at
/// once makes it worse, so it is left to the application.
pub fn is_retryable(code: Code) -> bool {
    // TODO(lab 7, step 1): `true` for the one code a client may retry as it is, `false`
    // for the other sixteen (the list above says why).
    let _ = code;
    todo!("lab 7, step 1: implement is_retryable in labs/07_errors_deadlines/src/codes.rs")
}
// ANCHOR_END: is_retryable

// ANCHOR: is_local_timeout
/// Whether `status` is tonic's report that the client's own timer ran out: the call's
/// `grpc-timeout` (set with `Request::set_timeout`) or the channel's `Endpoint::timeout`.
///
/// tonic reports it as `CANCELLED` with the message "Timeout expired", where the gRPC
/// specification says `DEADLINE_EXCEEDED`. It keeps the error it made the status from as
/// the status's source: a `tonic::TimeoutExpired`, somewhere down the source chain.
pub fn is_local_timeout(status: &Status) -> bool {
    // TODO(lab 7, step 1): `true` when the code is `CANCELLED` and a `TimeoutExpired` is in
    // the source chain (the helper `source_chain_contains::<TimeoutExpired>` at the bottom
    // of this file walks it). Don't look at the message.
    let _ = status;
    todo!("lab 7, step 1: implement is_local_timeout in labs/07_errors_deadlines/src/codes.rs")
}
// ANCHOR_END: is_local_timeout

// ANCHOR: never_reached_the_server
/// Whether the call behind `status` provably never reached a server: the channel could not
/// even connect, so no request left the client.
///
/// tonic then answers `UNAVAILABLE` and keeps a `tonic::ConnectError` in the source chain.
/// Such a call is safe to retry even when it is not idempotent (gRPC's own retry design
/// retries these "transparently"). Any other `UNAVAILABLE` may have been sent, and even
/// processed, before the failure.
pub fn never_reached_the_server(status: &Status) -> bool {
    // TODO(lab 7, step 1): `true` when the code is `UNAVAILABLE` and a `ConnectError` is in
    // the source chain.
    let _ = status;
    todo!(
        "lab 7, step 1: implement never_reached_the_server in labs/07_errors_deadlines/src/codes.rs"
    )
}
// ANCHOR_END: never_reached_the_server

// ANCHOR: local_timeout_as_deadline_exceeded
/// The specification's `DEADLINE_EXCEEDED` for tonic's local timeout; any other status as it
/// is (a `CANCELLED` the server sent stays `CANCELLED`).
pub fn local_timeout_as_deadline_exceeded(status: Status) -> Status {
    if is_local_timeout(&status) {
        Status::deadline_exceeded(format!(
            "deadline exceeded: no answer before the call's timeout ran out (tonic: {})",
            status.message()
        ))
    } else {
        status
    }
}
// ANCHOR_END: local_timeout_as_deadline_exceeded

/// Whether an error of type `E` is anywhere in the chain of sources behind `status`.
// TODO(lab 7, step 1) uses this; the `allow` can go once it does.
#[allow(dead_code)]
pub(crate) fn source_chain_contains<E: Error + 'static>(status: &Status) -> bool {
    let mut source = status.source();
    while let Some(error) = source {
        if error.is::<E>() {
            return true;
        }
        source = error.source();
    }
    false
}
