//! Step 1: what a call carries on to the services it calls.
//!
//! grpc-go and grpc-java hand every handler a context object: it carries the caller's
//! deadline and cancellation, and outgoing calls made with it inherit both. A tonic handler
//! gets a `Request` and nothing else, and an outgoing tonic call inherits nothing. So the
//! feed builds its own context when a call arrives, a [`CallContext`], and builds every
//! downstream request from it: the deadline shrinks by what has been spent, the caller's
//! credentials and request id travel along, and nothing else does.

// TODO(lab 12, step 1) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use lab07::{DEFAULT_DOWNSTREAM_DEADLINE, PROPAGATION_MARGIN, remaining_budget};
use tokio::time::Instant;
use tonic::{
    Request, Status,
    metadata::{AsciiMetadataValue, MetadataValue},
};

/// The metadata key of the request id that ties together the logs of every service a call
/// touched.
pub const REQUEST_ID: &str = "x-request-id";

/// The metadata key of the caller's credentials (`Bearer <token>`).
pub const AUTHORIZATION: &str = "authorization";

/// The longest request id accepted from a caller.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// What the feed knows about one incoming call, for the calls it makes on its behalf.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The caller's request id, or a new one when it sent none (or an unusable one).
    pub request_id: String,
    /// When the caller stops waiting: its `grpc-timeout` from arrival, or
    /// [`DEFAULT_DOWNSTREAM_DEADLINE`] from arrival when it set none.
    pub deadline: Instant,
    /// The caller's `authorization` value, forwarded unchanged.
    #[allow(dead_code)] // until step 1 uses it
    authorization: Option<AsciiMetadataValue>,
}

impl CallContext {
    // ANCHOR: from_request
    /// The context of `request`, read as it arrives.
    ///
    /// The deadline is fixed here, once, as an instant: whatever the handler then spends
    /// (waiting for a lock, a first downstream call) comes out of what later downstream
    /// calls get. A request id is kept only when [`is_valid_request_id`] accepts it; anything
    /// else is replaced by [`new_request_id`], so a caller cannot put arbitrary bytes into
    /// every log line downstream.
    pub fn from_request<T>(request: &Request<T>) -> Self {
        // TODO(lab 12, step 1):
        // - the budget: lab 7's `remaining_budget(request)`, or `DEFAULT_DOWNSTREAM_DEADLINE`
        //   when the caller set none; the deadline is `Instant::now() + budget`;
        // - the request id: the `REQUEST_ID` metadata as a `&str`, kept if
        //   `is_valid_request_id` accepts it, else `new_request_id()`;
        // - the `AUTHORIZATION` metadata value, cloned, if there is one.
        let _ = request;
        todo!(
            "lab 12, step 1: implement CallContext::from_request in labs/12_capstone/src/context.rs"
        )
    }
    // ANCHOR_END: from_request

    // ANCHOR: downstream
    /// A request carrying `message` to a downstream service on this call's behalf.
    ///
    /// Its timeout is what is left of the caller's deadline minus [`PROPAGATION_MARGIN`], so
    /// the downstream call gives up first and the feed still has time to answer. When less
    /// than the margin is left the call is not worth making: `DEADLINE_EXCEEDED`, and
    /// nothing is sent. The caller's `authorization` is forwarded (marked sensitive, so
    /// HTTP/2 never puts it in a compression table) and the request id always is.
    pub fn downstream<U>(&self, message: U) -> Result<Request<U>, Status> {
        // TODO(lab 12, step 1):
        // - what is left: `self.deadline.saturating_duration_since(Instant::now())`; minus
        //   `PROPAGATION_MARGIN`; nothing (or zero) left is `Status::deadline_exceeded`
        //   saying that UserService is not being called;
        // - `Request::new(message)`, with `set_timeout(budget)`;
        // - the caller's authorization, cloned and `set_sensitive(true)`, inserted under
        //   `AUTHORIZATION`; `self.request_id_value()` inserted under `REQUEST_ID`.
        let _ = message;
        todo!(
            "lab 12, step 1: implement CallContext::downstream in labs/12_capstone/src/context.rs"
        )
    }
    // ANCHOR_END: downstream

    /// The request id as a metadata value, for a request or a response.
    pub fn request_id_value(&self) -> AsciiMetadataValue {
        MetadataValue::try_from(self.request_id.as_str())
            .expect("request ids are checked or generated as visible ASCII")
    }
}

/// Whether `id` is fit to travel as a request id: 1 to [`MAX_REQUEST_ID_LEN`] characters,
/// each an ASCII letter, digit, `-`, `_` or `.`.
pub fn is_valid_request_id(id: &str) -> bool {
    // TODO(lab 12, step 1): check the length (in bytes: every allowed character is one byte)
    // and every byte (`u8::is_ascii_alphanumeric`, or one of `-`, `_`, `.`).
    let _ = id;
    todo!("lab 12, step 1: implement is_valid_request_id in labs/12_capstone/src/context.rs")
}

/// A fresh request id: 128 random bits as 32 lowercase hex digits.
///
/// Random, not secret: it names a call in logs and needs no cryptographic generator.
pub fn new_request_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}
