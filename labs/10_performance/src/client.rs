//! Step 1: many calls, one connection.

// TODO(lab 10, step 1) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use tonic::{Status, transport::Endpoint};
#[allow(unused_imports)]
use workbook_proto::user::{GetUserRequest, User, user_service_client::UserServiceClient};

// ANCHOR: get_users
/// Fetches the users `ids`, all calls running at once, and returns them in the order of `ids`.
///
/// A `Channel` is one HTTP/2 connection that carries many calls side by side, and cloning it
/// (or a client built on it) shares that connection. Connecting costs a TCP handshake, two
/// HTTP/2 SETTINGS exchanges and, in production, a TLS handshake: pay it once per server,
/// never once per call.
pub async fn get_users(endpoint: &Endpoint, ids: &[i32]) -> Result<Vec<User>, Status> {
    // TODO(lab 10, step 1): connect ONCE (`endpoint.connect().await`, mapping the transport
    // error to `Status::unavailable`), build one `UserServiceClient` on that channel, then
    // for each id spawn a task (`tokio::spawn`) that calls `get_user` on a *clone* of the
    // client. Await the tasks in order and collect the users; the first error wins.
    let _ = (endpoint, ids);
    todo!("lab 10, step 1: implement get_users in labs/10_performance/src/client.rs")
}
// ANCHOR_END: get_users
