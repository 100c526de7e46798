//! Step 2: what a failed `UserService` call means for the feed.
//!
//! The feed must not pass a downstream status through blindly. `NOT_FOUND` from
//! `GetUser` means "no such author", not "no such post"; `UNAVAILABLE` from a dependency is
//! something the feed decides how to survive; and the caller's own credential errors must
//! reach the caller unchanged, never be hidden behind a degraded answer.

// TODO(lab 12, step 2) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use lab07::local_timeout_as_deadline_exceeded;
#[allow(unused_imports)]
use tonic::Code;
use tonic::Status;

/// Why a `UserService` call gave the feed no user.
#[derive(Debug)]
pub enum Failure {
    /// `UserService` refused the caller's credentials (`UNAUTHENTICATED` or
    /// `PERMISSION_DENIED`). The caller must see this status as it is.
    Refused(Status),
    /// `UserService` answered: there is no such user.
    NoSuchUser,
    /// `UserService` gave no usable answer: down, refusing connections, overloaded, too
    /// slow for the deadline, or failing. The status says which; the feed degrades or fails
    /// closed.
    NoAnswer(Status),
}

// ANCHOR: classify
/// Sorts the status of a failed `UserService` call into a [`Failure`].
///
/// tonic reports its own expired timeout as `CANCELLED` "Timeout expired"; that is a
/// deadline, and is classified as `NoAnswer` with code `DEADLINE_EXCEEDED`.
pub fn classify(status: Status) -> Failure {
    // TODO(lab 12, step 2): match on `status.code()`: `Unauthenticated` and
    // `PermissionDenied` are `Refused` (the status unchanged), `NotFound` is `NoSuchUser`, and
    // everything else is `NoAnswer`, after lab 7's `local_timeout_as_deadline_exceeded`.
    let _ = status;
    todo!("lab 12, step 2: implement classify in labs/12_capstone/src/downstream.rs")
}
// ANCHOR_END: classify
