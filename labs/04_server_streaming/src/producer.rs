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
// TODO(lab 4, step 2) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use tokio::sync::mpsc;
#[allow(unused_imports)]
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
    // TODO(lab 4, step 2): produce the page from a spawned task.
    // 1. `let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);`
    // 2. `tokio::spawn` a task that walks from `spec.offset` to `spec.offset + spec.limit`,
    //    fetching at most FETCH_CHUNK users per `source.fetch(offset, limit)` call, and sends
    //    each user as `Ok(user)` with `tx.send(..).await`, in order.
    // 3. Stop when the page is complete, when a chunk comes back shorter than asked (the
    //    data ended), or when the client has gone: `send` fails, and `tx.closed()` completes.
    //    Race every fetch against `tx.closed()` with `tokio::select!`, so a slow source never
    //    keeps the task of a cancelled call alive.
    // 4. Return `Box::pin(ReceiverStream::new(rx))`.
    let _ = (source, spec, CHANNEL_CAPACITY, FETCH_CHUNK);
    todo!("lab 4, step 2: implement stream_page in labs/04_server_streaming/src/producer.rs")
}
// ANCHOR_END: stream_page
