//! Step 6: the client side of `CreateUsers`: the seed's
//! `stub.CreateUsers(generate_requests())`, in tonic.

use std::time::Duration;

use tokio_stream::Stream;
// TODO(lab 5, step 6) uses `Request` and `UserServiceClient`; the `allow` can go once it does.
#[allow(unused_imports)]
use tonic::{Request, Status, transport::Channel};
#[allow(unused_imports)]
use workbook_proto::user::{
    CreateUserRequest, CreateUsersResponse, user_service_client::UserServiceClient,
};

/// A sensible deadline for one upload of a full batch.
pub const UPLOAD_DEADLINE: Duration = Duration::from_secs(30);

// ANCHOR: upload_users
/// Sends every request that `requests` yields as one `CreateUsers` call and returns the
/// server's summary, giving up once `deadline` has passed.
///
/// The stream plays the part of the seed's Python generator: tonic pulls from it only as
/// fast as HTTP/2 lets it send, so a stream fed by a bounded channel makes its producer
/// wait when the server reads slowly. When the stream ends, tonic half-closes the call
/// (END_STREAM), which tells the server "that is the whole batch": to abandon an upload,
/// cancel the call (drop its future) instead of ending the stream.
pub async fn upload_users<S>(
    channel: Channel,
    requests: S,
    deadline: Duration,
) -> Result<CreateUsersResponse, Status>
where
    S: Stream<Item = CreateUserRequest> + Send + 'static,
{
    // TODO(lab 5, step 6): make a `UserServiceClient` over `channel`, wrap the stream in a
    // `Request` (`Request::new(requests)`), give it the deadline with `set_timeout`, call
    // `create_users`, and return the message inside the response (`into_inner`).
    let _ = (channel, requests, deadline);
    todo!("lab 5, step 6: implement upload_users in labs/05_client_streaming/src/client.rs")
}
// ANCHOR_END: upload_users
