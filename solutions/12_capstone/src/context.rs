//! Step 1: what a call carries on to the services it calls.
//!
//! grpc-go and grpc-java hand every handler a context object: it carries the caller's
//! deadline and cancellation, and outgoing calls made with it inherit both. A tonic handler
//! gets a `Request` and nothing else, and an outgoing tonic call inherits nothing. So the
//! feed builds its own context when a call arrives, a [`CallContext`], and builds every
//! downstream request from it: the deadline shrinks by what has been spent, the caller's
//! credentials and request id travel along, and nothing else does.

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
        let budget = remaining_budget(request).unwrap_or(DEFAULT_DOWNSTREAM_DEADLINE);
        let request_id = request
            .metadata()
            .get(REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|id| is_valid_request_id(id))
            .map_or_else(new_request_id, str::to_owned);
        Self {
            request_id,
            deadline: Instant::now() + budget,
            authorization: request.metadata().get(AUTHORIZATION).cloned(),
        }
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
        let left = self.deadline.saturating_duration_since(Instant::now());
        let budget = left
            .checked_sub(PROPAGATION_MARGIN)
            .filter(|budget| !budget.is_zero())
            .ok_or_else(|| {
                Status::deadline_exceeded(format!(
                    "{left:?} left of the caller's deadline, less than the {PROPAGATION_MARGIN:?} \
                     needed to call UserService and answer; not calling it"
                ))
            })?;

        let mut request = Request::new(message);
        request.set_timeout(budget);
        let metadata = request.metadata_mut();
        if let Some(authorization) = &self.authorization {
            let mut forwarded = authorization.clone();
            forwarded.set_sensitive(true);
            metadata.insert(AUTHORIZATION, forwarded);
        }
        metadata.insert(REQUEST_ID, self.request_id_value());
        Ok(request)
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
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A fresh request id: 128 random bits as 32 lowercase hex digits.
///
/// Random, not secret: it names a call in logs and needs no cryptographic generator.
pub fn new_request_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}
