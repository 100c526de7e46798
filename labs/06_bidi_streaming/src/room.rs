//! A chat room: everything any member says reaches every member.
//!
//! The decisions, and why:
//!
//! - **One `tokio::sync::broadcast` channel is the room.** A broadcast send never waits for
//!   receivers: it writes into a ring of `capacity` slots and each receiver keeps its own
//!   cursor. That is the property a room needs, because a member that stops reading can then
//!   never slow anyone else down. The price: a receiver more than `capacity` messages behind
//!   loses the oldest ones. It learns how many (`RecvError::Lagged(n)`) and carries on from the
//!   oldest message still held. Per-member `mpsc` queues would make the room choose, on every
//!   send to a full queue, between waiting (one slow member stalls the room), dropping, or
//!   disconnecting; broadcast makes "drop the oldest and say so" the built-in answer.
//! - **Each member's call has two independent halves.** A spawned task reads the member's
//!   request stream and publishes what it says ([`ChatRoom::join`]); the response stream reads
//!   the member's own receiver. Neither half waits for the other: a member can talk without
//!   reading and read without talking.
//! - **The response stream pulls straight from the member's receiver**, with no queue of its
//!   own in between, so the receiver's cursor is exactly "how far this member has read" and
//!   falling behind is detected where it happens.
//! - **The server decides who said what.** A member is named by the `user` field of its first
//!   message; everything it says later is published under that name, whatever `user` it sends.
//!
//! What a member sees, in order: everything the room says from the moment its call arrives
//! (before it is announced, too), including its own messages; its stream ends right where the
//! room announces its departure.

// Nothing calls the room's private parts below until `ChatRoom::join` does (step 2); this
// `allow` can go once it does.
#![allow(dead_code)]

use std::{
    pin::pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64},
    },
};
// TODO(lab 6, steps 2 to 4) use `Ordering`; the `allow` can go once they do.
#[allow(unused_imports)]
use std::sync::atomic::Ordering;

use lab03::service::ChatStream;
use tokio::sync::broadcast;
use tokio_stream::{
    Stream, StreamExt,
    wrappers::{BroadcastStream, errors::BroadcastStreamRecvError},
};
use tonic::Status;
use workbook_proto::user::ChatMessage;

use crate::echo::SERVER_NAME;

/// How many messages the room holds for a member that has not read them yet.
pub const DEFAULT_ROOM_CAPACITY: usize = 64;

/// A message the server itself says to the room: `ChatMessage { user: "Server", message }`.
pub fn server_notice(message: impl Into<String>) -> ChatMessage {
    ChatMessage {
        user: SERVER_NAME.to_owned(),
        message: message.into(),
    }
}

// ANCHOR: room_state
/// A chat room. Cloning it is cheap and every clone is the same room: the service keeps one,
/// and each member's task keeps another.
#[derive(Debug, Clone)]
pub struct ChatRoom {
    /// The room itself. Every member holds a receiver; a send reaches all of them.
    events: broadcast::Sender<RoomEvent>,
    /// Where the next member's id comes from.
    next_member: Arc<AtomicU64>,
}

/// Tells one call's membership from another's, even when two members pick the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MemberId(u64);

/// What travels through the room's broadcast channel.
#[derive(Debug, Clone)]
enum RoomEvent {
    /// A message for every member: something a member said, or a join notice.
    Said(ChatMessage),
    /// `member`'s call is over. Its own response stream ends here; the others see `notice`,
    /// which is `None` for a call that ended before its first message named anyone.
    Departed {
        member: MemberId,
        notice: Option<ChatMessage>,
    },
}
// ANCHOR_END: room_state

/// What one member's response stream does with one event from the room.
#[derive(Debug)]
enum Delivery {
    /// Send this message to the member.
    Show(ChatMessage),
    /// Nothing to send for this event.
    Skip,
    /// The member's response stream ends here.
    End,
}

impl Default for ChatRoom {
    fn default() -> Self {
        Self::new(DEFAULT_ROOM_CAPACITY)
    }
}

impl ChatRoom {
    /// An empty room that holds up to `capacity` messages for a member that has not read
    /// them yet. tokio rounds the capacity up to a power of two (a room of 10 holds 16).
    ///
    /// # Panics
    ///
    /// If `capacity` is 0, as `tokio::sync::broadcast::channel` does.
    pub fn new(capacity: usize) -> Self {
        // The receiver that `channel` returns is dropped at once: members subscribe their own.
        let (events, _) = broadcast::channel(capacity);
        Self {
            events,
            next_member: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many receivers the room has: one per `Chat` call whose response stream is still
    /// alive. It returns to 0 once every call has ended, which is how the tests prove that
    /// nothing is left behind.
    pub fn receiver_count(&self) -> usize {
        self.events.receiver_count()
    }

    // ANCHOR: join
    /// Lets one `Chat` call into the room: `incoming` is what the member sends, the returned
    /// stream is what the member receives.
    ///
    /// Returns at once, without reading anything: tonic sends the response headers only when
    /// the handler returns, and a tonic client's `chat(...).await` waits for them. Reading the
    /// first message here would deadlock a client that waits for the call before it sends.
    ///
    /// Spawns a task, so it must run inside a tokio runtime, as tonic handlers always do.
    pub fn join<S>(&self, incoming: S) -> ChatStream
    where
        S: Stream<Item = Result<ChatMessage, Status>> + Send + 'static,
    {
        // TODO(lab 6, step 2): let the member in, in this order:
        // 1. give it a fresh `MemberId` (`self.next_member.fetch_add(1, Ordering::Relaxed)`)
        //    and a `departed` flag, `Arc::new(AtomicBool::new(false))`;
        // 2. make its response stream with `self.feed(me, Arc::clone(&departed))`. This
        //    subscribes to the room; do it before the task of item 3 exists, or that task
        //    could announce the member before it listens, and it would miss its own join;
        // 3. `tokio::spawn` the request half, `self.clone().member_session(me, departed,
        //    incoming)`, so that it reads while the response stream is being sent;
        // 4. return the response stream, without waiting for anything.
        let _ = incoming;
        todo!("lab 6, step 2: implement ChatRoom::join in labs/06_bidi_streaming/src/room.rs")
    }
    // ANCHOR_END: join

    /// The request half of one member's call, from its first message to its departure.
    async fn member_session<S>(self, me: MemberId, departed: Arc<AtomicBool>, incoming: S)
    where
        S: Stream<Item = Result<ChatMessage, Status>>,
    {
        let mut incoming = pin!(incoming);
        let name = self.relay(&mut incoming).await;
        self.depart(me, name, &departed);
    }

    // ANCHOR: relay
    /// Names the member after its first message, announces it, then publishes everything it
    /// says under that name. Returns the name once the request stream is over, or `None` when
    /// it ended before a first message named anyone.
    async fn relay<S>(&self, incoming: &mut S) -> Option<String>
    where
        S: Stream<Item = Result<ChatMessage, Status>> + Unpin,
    {
        // TODO(lab 6, step 2):
        // - read the first item (`incoming.next().await`). Anything but `Some(Ok(first))`
        //   means the call ended before naming anyone: return `None`;
        // - the name is `first.user`. Publish (`self.publish(RoomEvent::Said(...))`) the
        //   notice "<name> joined" (`server_notice`), then the first message itself, under
        //   that name;
        // - then publish every further `Ok(message)` as a `ChatMessage` with `user: name` and
        //   the message's text, whatever `user` the client put in it;
        // - stop at the end of the stream or at the first error (both end the membership,
        //   which step 3 announces) and return `Some(name)`.
        let _ = incoming;
        todo!("lab 6, step 2: implement ChatRoom::relay in labs/06_bidi_streaming/src/room.rs")
    }
    // ANCHOR_END: relay

    // ANCHOR: depart
    /// Announces that the member has gone, which also ends its own response stream.
    fn depart(&self, me: MemberId, name: Option<String>, departed: &AtomicBool) {
        // TODO(lab 6, step 3):
        // - first set the flag: `departed.store(true, Ordering::Release)`. A response stream
        //   that falls so far behind that this departure is overwritten checks the flag
        //   instead (step 4);
        // - then publish `RoomEvent::Departed` for `me`, with the notice "<name> left" when
        //   the member had a name, and no notice when it had none.
        let _ = (me, name, departed);
        todo!("lab 6, step 3: implement ChatRoom::depart in labs/06_bidi_streaming/src/room.rs")
    }
    // ANCHOR_END: depart

    fn publish(&self, event: RoomEvent) {
        // `send` fails only when the room has no receiver at all, for instance when the only
        // member's client is already gone. Nobody is there to miss the message.
        let _ = self.events.send(event);
    }

    // ANCHOR: feed
    /// The response half of one member's call: the room's events, from the moment this is
    /// called, turned into the messages this member receives.
    fn feed(&self, me: MemberId, departed: Arc<AtomicBool>) -> ChatStream {
        let events = BroadcastStream::new(self.events.subscribe());
        let messages = events
            .map(move |event| deliver(me, &departed, event))
            .take_while(|delivery| !matches!(delivery, Delivery::End))
            .filter_map(|delivery| match delivery {
                Delivery::Show(message) => Some(Ok(message)),
                Delivery::Skip | Delivery::End => None,
            });
        // Dropping this stream (tonic drops it when the call ends, however it ends) drops the
        // receiver, and the room stops holding messages for this member.
        Box::pin(messages)
    }
    // ANCHOR_END: feed
}

// ANCHOR: deliver
/// What member `me` receives for one event from the room.
fn deliver(
    me: MemberId,
    departed: &AtomicBool,
    event: Result<RoomEvent, BroadcastStreamRecvError>,
) -> Delivery {
    match event {
        Ok(RoomEvent::Said(message)) => Delivery::Show(message),
        Ok(RoomEvent::Departed { member, notice }) => {
            // TODO(lab 6, step 3): if `member` is `me`, this is the member's own departure,
            // and its stream ends right here: `Delivery::End`. Someone else's departure shows
            // its notice (`Delivery::Show`), or nothing (`Delivery::Skip`) if it has none.
            let _ = (me, member, notice);
            todo!("lab 6, step 3: deliver a departure in labs/06_bidi_streaming/src/room.rs")
        }
        Err(BroadcastStreamRecvError::Lagged(missed)) => {
            // TODO(lab 6, step 4): the room overwrote `missed` messages this member had not
            // read yet; the stream carries on from the oldest message the room still holds.
            // - if the member has departed (`departed.load(Ordering::Acquire)`), its own
            //   departure may be among the overwritten, so end the stream: `Delivery::End`;
            // - otherwise show the notice "you missed <missed> messages" (`server_notice`).
            let _ = (missed, departed);
            todo!("lab 6, step 4: deliver a lag notice in labs/06_bidi_streaming/src/room.rs")
        }
    }
}
// ANCHOR_END: deliver
