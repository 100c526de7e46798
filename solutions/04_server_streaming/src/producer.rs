//! The producer: a task that fetches a page and feeds it, user by user, to the client.
//!
//! Why a task and a channel rather than one big `Vec`: the first user reaches the client
//! while the rest are still being fetched, and memory holds a few users rather than the
//! whole page. Why a *bounded* channel: when the client reads slowly, HTTP/2 flow control
//! stops tonic from sending, tonic stops taking users from the channel, the channel fills,
//! and `send` waits. The producer slows to the client's pace instead of piling users up in
//! memory. That chain is backpressure.

use std::sync::Arc;

use lab03::service::UserStream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::{paging::PageSpec, source::UserPages};

/// How many users may wait between the producer and the network.
pub const CHANNEL_CAPACITY: usize = 16;
/// How many users the producer asks the source for in one round trip.
pub const FETCH_CHUNK: usize = 64;

// ANCHOR: stream_page
/// Streams the users of `spec` from `source`, in ascending id order.
///
/// A spawned task fetches chunks of [`FETCH_CHUNK`] users and sends them one by one into a
/// channel of [`CHANNEL_CAPACITY`]; the returned stream is the channel's receiving end, which
/// tonic sends to the client. The task stops when the page is complete, when the data ends
/// (a chunk comes back short), or when the client goes away, even while it waits for the
/// source.
pub fn stream_page<S: UserPages>(source: Arc<S>, spec: PageSpec) -> UserStream {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    tokio::spawn(async move {
        let end = spec.offset.saturating_add(spec.limit);
        let mut next = spec.offset;
        while next < end {
            let wanted = (end - next).min(FETCH_CHUNK);
            // When the client cancels, disconnects or runs out of deadline, tonic drops the
            // response stream, and with it the receiver: `closed()` completes. Racing it
            // against the fetch means a slow source never keeps a dead call's task alive.
            let chunk = tokio::select! {
                () = tx.closed() => return,
                chunk = source.fetch(next, wanted) => chunk,
            };
            let fetched = chunk.len();
            for user in chunk {
                // An error here also means the receiver is gone: stop.
                if tx.send(Ok(user)).await.is_err() {
                    return;
                }
            }
            if fetched < wanted {
                return;
            }
            next += fetched;
        }
    });
    Box::pin(ReceiverStream::new(rx))
}
// ANCHOR_END: stream_page
