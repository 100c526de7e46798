//! Steps 7 and 8: retrying a call, carefully.
//!
//! tonic has no retries: a failed call fails, and it is up to the caller to try again. gRPC's
//! retry design (gRFC A6, implemented by grpc-go, grpc-java and the C core behind Python)
//! fixes the rules a careful caller follows, and this module follows them:
//!
//! - retry only codes that say "try again" ([`crate::is_retryable`]: `UNAVAILABLE`);
//! - at most `max_attempts` attempts in all, the first one included;
//! - wait between attempts, exponentially longer each time up to a cap, with random jitter so
//!   that clients failing together do not retry together;
//! - one deadline for the whole call, across all attempts and waits: each attempt gets what is
//!   left, and no attempt starts that could not finish in time;
//! - repeat a call that is not idempotent only when it provably never reached a server;
//! - once an attempt has received response headers it is *committed*: a stream that has
//!   started is the caller's to finish, never retried behind its back. For streams that falls
//!   out of the shape here: tonic returns `Ok(stream)` as soon as the response headers arrive,
//!   and an `Ok` is never retried. (A unary call's result arrives all at once, headers or not;
//!   the rules above on codes and idempotency are what keep retrying it safe.)
//!
//! Why a function around the generated client rather than a tower layer under the `Channel`?
//! Below the client, a request is an HTTP body that the first attempt consumes, so a layer
//! must buffer every body to replay it, and it sees only a path, not whether the method is
//! idempotent. Here the request message is still a value the closure can rebuild for each
//! attempt, and the caller says, per call, whether repeating it is safe.

use std::{future::Future, time::Duration};

use tokio::time::Instant;
use tonic::{Request, Status};

// TODO(lab 7, step 8) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use crate::codes::{is_retryable, local_timeout_as_deadline_exceeded, never_reached_the_server};

// ANCHOR: retry_policy
/// How a failed call is retried. See [`RetryPolicy::backoff`] for how the waits grow.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included: 1 means "never retry". 0 counts as 1.
    pub max_attempts: u32,
    /// The wait before the first retry, before jitter.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// How much longer each wait is than the one before, before the cap: 2.0 doubles it.
    pub multiplier: f64,
    /// The fraction of each wait that is random, from 0.0 (none: exactly the exponential
    /// wait) to 1.0 (anything from nothing up to the exponential wait).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// gRPC's example policy from gRFC A6: four attempts, waits growing from 100 ms by a
    /// factor of 2 up to 1 s, with full jitter (A6 draws each wait from `random(0, wait)`).
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            multiplier: 2.0,
            jitter: 1.0,
        }
    }
}
// ANCHOR_END: retry_policy

impl RetryPolicy {
    /// A policy that never retries: one attempt, as a plain tonic call.
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// This policy with `max_attempts` attempts in all (e.g. `--retries 2` is 3 attempts).
    pub fn with_max_attempts(self, max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..self
        }
    }

    // ANCHOR: backoff
    /// How long to wait before retry number `retry` (1 for the wait after the first attempt).
    ///
    /// The exponential wait is `initial_backoff * multiplier^(retry - 1)`, capped at
    /// `max_backoff`; jitter then takes a random part of it off: the result lies in
    /// `(wait * (1 - jitter), wait]`. It never exceeds `max_backoff`, and it never panics,
    /// however large `retry` grows.
    pub fn backoff(&self, retry: u32, rng: &mut fastrand::Rng) -> Duration {
        // TODO(lab 7, step 7): compute in f64 nanoseconds (`as_nanos() as f64`):
        // - the exponential wait `initial * multiplier.powi(retry - 1)` (careful: `retry - 1`
        //   as an `i32`, and retry may be huge; `powi` then gives `inf`, which is fine);
        // - capped at `max_backoff` (`f64::min`);
        // - jitter, clamped to 0.0..=1.0, takes a random part off:
        //   `wait * (1.0 - jitter * rng.f64())`;
        // - back to a `Duration` with `Duration::from_nanos(... as u64)`.
        // All randomness comes from `rng`, one draw per call.
        let _ = (retry, rng);
        todo!(
            "lab 7, step 7: implement RetryPolicy::backoff in labs/07_errors_deadlines/src/retry.rs"
        )
    }
    // ANCHOR_END: backoff
}

/// Whether repeating a call could do something twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Doing it twice is the same as doing it once: reads (`GetUser`, `ListUsers`), and
    /// writes that carry their own identity (a put by key, a create with an idempotency key).
    Idempotent,
    /// Doing it twice may do it twice: `CreateUsers` would store the batch twice. Retried only
    /// when the call never reached a server.
    NotIdempotent,
}

// ANCHOR: attempt
/// One attempt of a call, as [`call_with_retries`] hands it to the closure that makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first attempt, 2 for the first retry, ...
    pub number: u32,
    /// The time left before the whole call's deadline: this attempt's timeout.
    pub timeout: Duration,
}

impl Attempt {
    /// A request for this attempt: `message` with the attempt's timeout as its deadline
    /// (`grpc-timeout`) and, on a retry, the `grpc-previous-rpc-attempts` header that gRPC's
    /// retry design defines, so the server can tell a retry from a first call.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.set_timeout(self.timeout);
        if self.number > 1 {
            request
                .metadata_mut()
                .insert("grpc-previous-rpc-attempts", (self.number - 1).into());
        }
        request
    }
}
// ANCHOR_END: attempt

// ANCHOR: call_with_retries
/// Runs `call` until it succeeds, fails in a way that retrying cannot fix, runs out of
/// attempts, or runs out of time before `deadline`.
///
/// `call` makes one attempt; build its request with [`Attempt::request`] so the attempt's
/// timeout travels as `grpc-timeout`. The result is the first `Ok`, or the status of the last
/// attempt, with tonic's local timeout reported as `DEADLINE_EXCEEDED`. `rng` draws the
/// jitter: `fastrand::Rng::new()` in production, a seeded one in tests.
pub async fn call_with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    deadline: Instant,
    idempotency: Idempotency,
    rng: &mut fastrand::Rng,
    mut call: F,
) -> Result<T, Status>
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    // TODO(lab 7, step 8): loop over attempts numbered from 1:
    // 1. `timeout`: the time left until `deadline`; if none is left, answer
    //    `DEADLINE_EXCEEDED` without starting the attempt.
    // 2. `call(Attempt { number, timeout }).await`: `Ok` is the answer. Pass an `Err` through
    //    `local_timeout_as_deadline_exceeded`.
    // 3. Return the status unless its code `is_retryable`, repeating is safe (always when
    //    `Idempotency::Idempotent`; when `NotIdempotent`, only if `never_reached_the_server`),
    //    and `number < policy.max_attempts`.
    // 4. `pause = policy.backoff(number, rng)`. If `Instant::now() + pause` reaches the
    //    deadline, return the status now rather than sleep into the deadline. Else
    //    `tokio::time::sleep(pause).await` and go round again with `number + 1`.
    let _ = (policy, deadline, idempotency, rng, &mut call);
    todo!("lab 7, step 8: implement call_with_retries in labs/07_errors_deadlines/src/retry.rs")
}
// ANCHOR_END: call_with_retries
