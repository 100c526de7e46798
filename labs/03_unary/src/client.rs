//! The client side of `GetUser`: the seed's
//! `stub.GetUser(GetUserRequest(id=1), timeout=5.0)`, in tonic.

use std::time::Duration;

// TODO(lab 3, step 4) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use tonic::{Request, Status, transport::Channel};
#[allow(unused_imports)]
use workbook_proto::user::{GetUserRequest, User, user_service_client::UserServiceClient};

/// A sensible deadline for one `GetUser`: the seed's `timeout=5.0`.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

// ANCHOR: get_user_client
/// Fetches user `id` over `channel`, giving up once `deadline` has passed.
///
/// A `Channel` is a handle to one HTTP/2 connection (re-established if it drops) on which
/// many calls run side by side: cloning it is cheap and shares that connection, so callers
/// create one per server and clone it freely. gRPC has no default
/// deadline, and neither has tonic: without `set_timeout` a call to a hung server waits
/// forever. `set_timeout` sends the deadline to the server as the `grpc-timeout` header
/// (so the server can give up too) and fails the call locally when it passes.
pub async fn get_user(channel: Channel, id: i32, deadline: Duration) -> Result<User, Status> {
    // TODO(lab 3, step 4): make a `UserServiceClient` over `channel`, build a
    // `Request<GetUserRequest>`, give it the caller's deadline with `set_timeout`,
    // call `get_user`, and return the message inside the response (`into_inner`).
    let _ = (channel, id, deadline);
    todo!("lab 3, step 4: implement the client's get_user in labs/03_unary/src/client.rs")
}
// ANCHOR_END: get_user_client
