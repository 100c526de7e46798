//! Step 4: a tight limit on request messages.

use workbook_proto::user::user_service_server::{UserService, UserServiceServer};

/// The largest request message this service accepts: far above any real `GetUserRequest` or
/// `ListUsersRequest` (a few bytes), far below tonic's default of 4 MiB.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

// ANCHOR: limit_requests
/// `server`, refusing request messages larger than [`MAX_REQUEST_BYTES`].
///
/// tonic reads the five-byte prefix of a message, compares the announced length with the
/// limit and fails the call *before* buffering or decoding the body, so an oversized
/// request costs the server almost nothing and never reaches the handler.
pub fn limit_requests<S: UserService>(server: UserServiceServer<S>) -> UserServiceServer<S> {
    server.max_decoding_message_size(MAX_REQUEST_BYTES)
}
// ANCHOR_END: limit_requests
