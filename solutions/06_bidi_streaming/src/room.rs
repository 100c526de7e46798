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

use std::{
    pin::pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

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
        let me = MemberId(self.next_member.fetch_add(1, Ordering::Relaxed));
        let departed = Arc::new(AtomicBool::new(false));
        // Subscribe before the task below can announce anything, so that the member is sure
        // to see its own join notice and everything after it.
        let feed = self.feed(me, Arc::clone(&departed));
        // The request half runs on its own task: it keeps reading whatever the response half
        // is doing. It ends when the request stream ends (half-close, cancel or disconnect),
        // so it cannot outlive the call.
        tokio::spawn(self.clone().member_session(me, departed, incoming));
        feed
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
        // A half-close, a cancel or an error before the first message: nobody joined.
        let Some(Ok(first)) = incoming.next().await else {
            return None;
        };
        let name = first.user;
        self.publish(RoomEvent::Said(server_notice(format!("{name} joined"))));
        self.publish(RoomEvent::Said(ChatMessage {
            user: name.clone(),
            message: first.message,
        }));
        // The end of the stream and an error both end the membership: a half-close, a cancel
        // (tonic ends a cancelled request stream as if it were half-closed) and a broken
        // stream all mean this member will say nothing more.
        while let Some(Ok(message)) = incoming.next().await {
            self.publish(RoomEvent::Said(ChatMessage {
                user: name.clone(),
                message: message.message,
            }));
        }
        Some(name)
    }
    // ANCHOR_END: relay

    // ANCHOR: depart
    /// Announces that the member has gone, which also ends its own response stream.
    fn depart(&self, me: MemberId, name: Option<String>, departed: &AtomicBool) {
        // Set before the announcement is published: a response stream that has fallen so far
        // behind that the announcement was overwritten checks this flag instead (`deliver`).
        departed.store(true, Ordering::Release);
        self.publish(RoomEvent::Departed {
            member: me,
            notice: name.map(|name| server_notice(format!("{name} left"))),
        });
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
        // The member's own departure: its stream ends exactly here, after everything the
        // room said before it.
        Ok(RoomEvent::Departed { member, .. }) if member == me => Delivery::End,
        Ok(RoomEvent::Departed { notice, .. }) => notice.map_or(Delivery::Skip, Delivery::Show),
        // The room overwrote `missed` messages this member had not read. Say so, and carry
        // on from the oldest message the room still holds. If the member has left, its own
        // departure may be among the overwritten: end rather than wait for it forever.
        Err(BroadcastStreamRecvError::Lagged(missed)) => {
            if departed.load(Ordering::Acquire) {
                Delivery::End
            } else {
                Delivery::Show(server_notice(format!("you missed {missed} messages")))
            }
        }
    }
}
// ANCHOR_END: deliver
