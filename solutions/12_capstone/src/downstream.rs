//! Step 2: what a failed `UserService` call means for the feed.
//!
//! The feed must not pass a downstream status through blindly. `NOT_FOUND` from
//! `GetUser` means "no such author", not "no such post"; `UNAVAILABLE` from a dependency is
//! something the feed decides how to survive; and the caller's own credential errors must
//! reach the caller unchanged, never be hidden behind a degraded answer.

use lab07::local_timeout_as_deadline_exceeded;
use tonic::{Code, Status};

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
    match status.code() {
        Code::Unauthenticated | Code::PermissionDenied => Failure::Refused(status),
        Code::NotFound => Failure::NoSuchUser,
        _ => Failure::NoAnswer(local_timeout_as_deadline_exceeded(status)),
    }
}
// ANCHOR_END: classify
