//! Step 4: `CreateUsers` as a function of a stream of requests.
//!
//! The batch is all or nothing, so nothing can be stored before the last request has
//! arrived and been validated: the server must *buffer* the batch. Buffering what a client
//! sends is only safe with a bound, so a batch holds at most [`MAX_BATCH_SIZE`] requests,
//! and only requests that can still be stored are kept (once one request is invalid, the
//! batch is lost and only its violations are collected).
//!
//! The function takes any `Stream` of `Result<CreateUserRequest, Status>`:
//! `tonic::Streaming<CreateUserRequest>` is one, and so is `tokio_stream::iter(...)` in a
//! test, so the rule is tested without a network and served unchanged over one.

use lab03::InMemoryUserStore;
use tokio_stream::Stream;
// TODO(lab 5, step 4) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use tokio_stream::StreamExt;
use tonic::Status;
use workbook_proto::user::{CreateUserRequest, CreateUsersResponse};

#[allow(unused_imports)]
use crate::{batch::store_batch, rich_error::invalid_batch_status, validation::validate};

/// The most requests one `CreateUsers` call may send.
///
/// Valid requests are buffered until the stream ends, well under a kilobyte each once
/// validated, and a lost batch keeps only its violations, so this bounds one call's memory
/// to a few megabytes. Larger uploads are split by the client into several batches.
pub const MAX_BATCH_SIZE: usize = 10_000;

// ANCHOR: cancellation_point
/// Await this between "the client's stream has ended" and "store the batch".
///
/// tonic's server-side `Streaming` reports a client that *cancelled* the call (HTTP/2
/// RST_STREAM) exactly like one that *finished* sending (END_STREAM): both end the stream
/// with `None`. What tells them apart is hyper, underneath: it drops a call's future when
/// the client has reset the stream, but only when that future is pending. A handler that
/// goes from the end of the stream to the store without ever waiting gives it no chance,
/// and commits a batch its client abandoned. Yielding once is that chance: a cancelled
/// call is dropped here, before it stores anything; a finished one carries on.
pub async fn cancellation_point() {
    tokio::task::yield_now().await;
}
// ANCHOR_END: cancellation_point

// ANCHOR: create_users
/// Reads every request of `requests`, validates each as it arrives, and stores the batch
/// atomically once the client has half-closed its stream.
///
/// - a request after the first [`MAX_BATCH_SIZE`]: `RESOURCE_EXHAUSTED`, at once, without
///   reading further;
/// - the stream fails (a message that cannot be decoded, a broken connection): that
///   status, nothing stored;
/// - any violation: [`invalid_batch_status`], nothing stored;
/// - otherwise: every user stored with fresh ids, returned in request order. An empty
///   stream is a valid, empty batch.
pub async fn create_users<S>(
    store: &InMemoryUserStore,
    mut requests: S,
) -> Result<CreateUsersResponse, Status>
where
    S: Stream<Item = Result<CreateUserRequest, Status>> + Unpin,
{
    // TODO(lab 5, step 4): read the whole stream, then decide.
    // - `while let Some(request) = requests.next().await`: each item is a
    //   `Result<CreateUserRequest, Status>`; an `Err` is the stream failing: return it (`?`);
    // - count the requests; the request after the first MAX_BATCH_SIZE means
    //   `Err(Status::resource_exhausted(...))` at once, without reading further, with the
    //   message (word for word, for the snapshot) "a CreateUsers batch holds at most 10000
    //   requests; split the upload into several calls (nothing was stored)";
    // - `validate(index, &request)` each request as it arrives, collecting every violation;
    //   keep the request only while no violation has been seen (a lost batch needs no
    //   requests, only its violations), and keep it with its name trimmed: the name rule
    //   checked the trimmed name, so only that is bounded (a name padded with spaces to the
    //   4 MiB message limit would otherwise be held whole);
    // - after the stream ends: any violation → `Err(invalid_batch_status(&violations))`;
    // - otherwise `cancellation_point().await` (read its comment: a cancelled call must be
    //   dropped before it stores), then `store_batch`, and return
    //   `CreateUsersResponse { count, users }` (`count` is an i32).
    let _ = (store, &mut requests);
    todo!("lab 5, step 4: implement create_users in labs/05_client_streaming/src/create.rs")
}
// ANCHOR_END: create_users
