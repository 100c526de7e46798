//! Step 2: gzip, on both sides of the call.

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
    server
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip)
}
// ANCHOR_END: gzip_server

// ANCHOR: gzip_client
/// A client over `channel` that accepts gzipped responses and gzips its requests.
pub fn gzip_client(channel: Channel) -> UserServiceClient<Channel> {
    UserServiceClient::new(channel)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
}
// ANCHOR_END: gzip_client
