//! Step 1: many calls, one connection.

use tonic::{Status, transport::Endpoint};
use workbook_proto::user::{GetUserRequest, User, user_service_client::UserServiceClient};

// ANCHOR: get_users
/// Fetches the users `ids`, all calls running at once, and returns them in the order of `ids`.
///
/// A `Channel` is one HTTP/2 connection that carries many calls side by side, and cloning it
/// (or a client built on it) shares that connection. Connecting costs a TCP handshake, two
/// HTTP/2 SETTINGS exchanges and, in production, a TLS handshake: pay it once per server,
/// never once per call.
pub async fn get_users(endpoint: &Endpoint, ids: &[i32]) -> Result<Vec<User>, Status> {
    let channel = endpoint
        .connect()
        .await
        .map_err(|err| Status::unavailable(format!("cannot connect: {err}")))?;
    let client = UserServiceClient::new(channel);
    let calls: Vec<_> = ids
        .iter()
        .map(|&id| {
            // A clone shares the connection: no handshake, just a new HTTP/2 stream.
            let mut client = client.clone();
            tokio::spawn(async move {
                let response = client.get_user(GetUserRequest { id }).await?;
                Ok::<_, Status>(response.into_inner())
            })
        })
        .collect();
    let mut users = Vec::with_capacity(calls.len());
    for call in calls {
        let user = call
            .await
            .map_err(|err| Status::internal(format!("a call's task failed: {err}")))??;
        users.push(user);
    }
    Ok(users)
}
// ANCHOR_END: get_users
