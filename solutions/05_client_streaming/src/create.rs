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
use tokio_stream::{Stream, StreamExt};
use tonic::Status;
use workbook_proto::user::{CreateUserRequest, CreateUsersResponse};

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
    let mut valid = Vec::new();
    let mut violations = Vec::new();
    let mut index = 0;

    // `next()` waits for the client's next message. The server reads at its own pace:
    // bytes it has not read yet fill the call's HTTP/2 window, and once the window is
    // full the client's sends wait.
    while let Some(request) = requests.next().await {
        // `?`: a broken stream ends the call with its status, before anything is stored.
        let request = request?;
        if index == MAX_BATCH_SIZE {
            return Err(Status::resource_exhausted(format!(
                "a CreateUsers batch holds at most {MAX_BATCH_SIZE} requests; \
                 split the upload into several calls (nothing was stored)"
            )));
        }
        let found = validate(index, &request);
        if !found.is_empty() {
            violations.extend(found);
            // The batch is lost: stop holding on to requests that will never be stored.
            valid = Vec::new();
        } else if violations.is_empty() {
            // Keep the trimmed name: the name rule bounds what is kept only if what is kept is
            // what it checked. A name padded with spaces up to the 4 MiB message limit would
            // otherwise be held whole, 10,000 times over.
            let name = request.name.trim().to_owned();
            valid.push(CreateUserRequest { name, ..request });
        }
        index += 1;
    }

    if !violations.is_empty() {
        return Err(invalid_batch_status(&violations));
    }

    // The commit point: give a cancelled call its last chance to be dropped.
    cancellation_point().await;

    let users = store_batch(store, valid)?;
    Ok(CreateUsersResponse {
        // At most MAX_BATCH_SIZE (10,000), so it fits in the proto's int32.
        count: users.len() as i32,
        users,
    })
}
// ANCHOR_END: create_users
