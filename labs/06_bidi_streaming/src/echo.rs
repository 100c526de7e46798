//! The seed's `Chat`: an echo.
//!
//! The seed's Python servicer is a generator, `for message in request_iterator: yield ...`:
//! it reads one request, yields one reply, and reads the next. In tonic the handler does not
//! loop at all. It *returns* the response stream, and tonic pulls replies from it while the
//! call lasts; here that stream is the request stream itself, mapped message by message.

use lab03::service::ChatStream;
use tokio_stream::Stream;
// TODO(lab 6, step 1) uses `StreamExt::map`; the `allow` can go once it does.
#[allow(unused_imports)]
use tokio_stream::StreamExt;
use tonic::Status;
use workbook_proto::user::ChatMessage;

/// The name in the `user` field of everything the server itself says.
pub const SERVER_NAME: &str = "Server";

/// The seed's reply to one message: `ChatMessage(user="Server", message=f"Echo: {...}")`.
pub fn echo_reply(message: ChatMessage) -> ChatMessage {
    // TODO(lab 6, step 1): return a `ChatMessage` whose `user` is `SERVER_NAME` and whose
    // `message` is "Echo: " followed by the incoming message's text.
    let _ = message;
    todo!("lab 6, step 1: implement echo_reply in labs/06_bidi_streaming/src/echo.rs")
}

// ANCHOR: echo
/// The seed's echo: one reply per incoming message, in order, ending when the client
/// half-closes (when `incoming` ends).
///
/// A stream combinator rather than a spawned task: `map` reads a request only when tonic
/// asks for the next reply, and tonic asks only while HTTP/2 flow control lets it send. A
/// client that stops reading replies therefore stops the server reading its requests too, and
/// nothing piles up in between.
///
/// An error in `incoming` (undecodable bytes, a message over the size limit) is passed on as
/// a reply. tonic ends the call at the first `Err` a response stream yields: it sends the
/// replies it has already encoded, then that status in the trailers, and polls no further.
pub fn echo<S>(incoming: S) -> ChatStream
where
    S: Stream<Item = Result<ChatMessage, Status>> + Send + 'static,
{
    // TODO(lab 6, step 1): turn each item of `incoming` into the reply to send. A message
    // becomes its `echo_reply`; an error stays that error (`Result::map` does both). Use
    // `StreamExt::map` on the stream, and `Box::pin` the result into a `ChatStream`.
    let _ = incoming;
    todo!("lab 6, step 1: implement echo in labs/06_bidi_streaming/src/echo.rs")
}
// ANCHOR_END: echo
