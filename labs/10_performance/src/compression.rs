//! Step 2: gzip, on both sides of the call.

// TODO(lab 10, step 2) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use tonic::{codec::CompressionEncoding, transport::Channel};
use workbook_proto::user::{
    user_service_client::UserServiceClient,
    user_service_server::{UserService, UserServiceServer},
};

// ANCHOR: gzip_server
/// `server`, configured to gzip its responses for clients that accept gzip, and to accept
/// gzipped requests.
///
/// Compression is negotiated per call: the client lists what it can decompress in
/// `grpc-accept-encoding`, and the server compresses a response only when it was configured
/// to send that encoding *and* the client accepts it.
pub fn gzip_server<S: UserService>(server: UserServiceServer<S>) -> UserServiceServer<S> {
    // TODO(lab 10, step 2): enable `CompressionEncoding::Gzip` in both directions:
    // `send_compressed` (responses) and `accept_compressed` (requests).
    let _ = server;
    todo!("lab 10, step 2: implement gzip_server in labs/10_performance/src/compression.rs")
}
// ANCHOR_END: gzip_server

// ANCHOR: gzip_client
/// A client over `channel` that accepts gzipped responses and gzips its requests.
pub fn gzip_client(channel: Channel) -> UserServiceClient<Channel> {
    // TODO(lab 10, step 2): `UserServiceClient::new(channel)`, then `accept_compressed` and
    // `send_compressed` with `CompressionEncoding::Gzip`.
    let _ = channel;
    todo!("lab 10, step 2: implement gzip_client in labs/10_performance/src/compression.rs")
}
// ANCHOR_END: gzip_client
