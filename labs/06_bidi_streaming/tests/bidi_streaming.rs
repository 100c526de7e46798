//! Lab 6's tests, in the order of the TODOs: the echo, then the chat room (joining and
//! broadcasting, leaving, members that fall behind).
//!
//! The same file tests your code (`cargo test -p lab06-bidi-streaming`) and the reference
//! solution (`cargo test -p solution06-bidi-streaming`).
//!
//! No test sleeps to let something happen. Each one waits for the message that proves it has
//! happened (a member's join notice, say) before it takes the next step, and gives up after
//! [`PATIENCE`] with a message saying what never came.

use std::time::Duration;

use lab06::{ChatRoom, ChatStream, EchoService, RoomService, echo};
use test_support::{TestServer, describe_result, describe_status, expect_code, serve_in_memory};
use tokio::sync::mpsc;
use tokio_stream::{StreamExt, wrappers::ReceiverStream};
use tonic::{
    CancellationHandle, Code, Request, Status, Streaming, service::Routes, transport::Channel,
};
use workbook_proto::user::{
    ChatMessage, user_service_client::UserServiceClient, user_service_server::UserServiceServer,
};

/// The longest any test waits for one thing. A working solution needs milliseconds; this
/// bound only turns a hang into a failure that says what was awaited.
const PATIENCE: Duration = Duration::from_secs(10);

fn said(user: &str, message: &str) -> ChatMessage {
    ChatMessage {
        user: user.to_owned(),
        message: message.to_owned(),
    }
}

/// A message as one transcript line: `alice: hi`.
fn line(message: &ChatMessage) -> String {
    format!("{}: {}", message.user, message.message)
}

fn echo_service() -> Routes {
    Routes::new(UserServiceServer::new(EchoService))
}

fn room_service(room: &ChatRoom) -> Routes {
    Routes::new(UserServiceServer::new(RoomService::new(room.clone())))
}

/// Waits until the room has exactly `expected` receivers, i.e. until the calls that ended
/// have been cleaned up. Yields to the runtime between looks instead of sleeping.
async fn wait_for_receivers(room: &ChatRoom, expected: usize) {
    let settled = tokio::time::timeout(PATIENCE, async {
        while room.receiver_count() != expected {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(
        settled.is_ok(),
        "the room still has {} receivers after {PATIENCE:?}; expected {expected}. Every call that \
         has ended must drop its response stream (and with it its broadcast receiver)",
        room.receiver_count()
    );
}

/// One chat client over gRPC: what it says goes into `outgoing`, what the server streams
/// back comes out of `incoming`.
struct Participant {
    name: String,
    outgoing: Option<mpsc::Sender<ChatMessage>>,
    incoming: Streaming<ChatMessage>,
    cancel: Option<CancellationHandle>,
    seen: Vec<String>,
}

impl Participant {
    /// Calls `Chat` over `channel` with `first` as the first message.
    async fn join(channel: Channel, name: &str, first: &str) -> Self {
        let (outgoing, requests) = mpsc::channel(256);
        outgoing
            .send(said(name, first))
            .await
            .expect("the request stream is still ours");
        let mut participant = Self::call(channel, name, ReceiverStream::new(requests)).await;
        participant.outgoing = Some(outgoing);
        participant
    }

    /// Calls `Chat` over `channel` with `requests` as the whole request stream.
    async fn call(
        channel: Channel,
        name: &str,
        requests: impl tokio_stream::Stream<Item = ChatMessage> + Send + 'static,
    ) -> Self {
        let mut request = Request::new(requests);
        let cancel = request.cancellation_handle();
        let response = tokio::time::timeout(
            PATIENCE,
            UserServiceClient::new(channel).chat(request),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{name}'s Chat call got no response headers within {PATIENCE:?}: the handler \
                     must return its response stream at once, without waiting for messages"
            )
        })
        .unwrap_or_else(|status| {
            panic!(
                "{name}'s Chat call failed: {}. If the server panicked (a `todo!()` reported \
                 above), that is the step to do next",
                describe_status(&status)
            )
        });
        Self {
            name: name.to_owned(),
            outgoing: None,
            incoming: response.into_inner(),
            cancel: Some(cancel),
            seen: Vec::new(),
        }
    }

    async fn say(&self, message: &str) {
        self.outgoing
            .as_ref()
            .expect("a participant that has half-closed cannot speak")
            .send(said(&self.name, message))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{}'s call ended while it still had things to say",
                    self.name
                )
            });
    }

    /// Sends `message` with `user` set to something other than this participant's name.
    async fn say_as(&self, user: &str, message: &str) {
        self.outgoing
            .as_ref()
            .expect("a participant that has half-closed cannot speak")
            .send(said(user, message))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{}'s call ended while it still had things to say",
                    self.name
                )
            });
    }

    /// Ends this participant's request stream (a half-close); its response stream goes on.
    fn half_close(&mut self) {
        self.outgoing = None;
    }

    /// Cancels the call: tonic sends RST_STREAM(CANCEL), and both directions end. The
    /// request stream stays open on this side, so only the cancel can tell the server.
    fn cancel(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            cancel.cancel();
        }
    }

    /// The next thing the server sends: `Ok(Some(message))`, `Ok(None)` at a clean end, or
    /// the status the call ended with.
    async fn next(&mut self) -> Result<Option<ChatMessage>, Status> {
        let next = tokio::time::timeout(PATIENCE, self.incoming.message())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{} waited {PATIENCE:?} for a message that never came; it had received:\n  {}",
                    self.name,
                    self.seen.join("\n  ")
                )
            });
        if let Ok(Some(message)) = &next {
            self.seen.push(line(message));
        }
        next
    }

    /// Receives exactly `expected` (as `user: message` lines), in order.
    async fn expect(&mut self, expected: &[&str]) {
        for want in expected {
            match self.next().await {
                Ok(Some(message)) => assert_eq!(
                    line(&message),
                    *want,
                    "{} expected to receive {want:?} next; it had received:\n  {}",
                    self.name,
                    self.seen.join("\n  ")
                ),
                other => panic!(
                    "{} expected to receive {want:?} but its stream gave {}",
                    self.name,
                    describe_result(&other)
                ),
            }
        }
    }

    /// Expects the response stream to end cleanly (status OK) now.
    async fn expect_end(&mut self) {
        match self.next().await {
            Ok(None) => {}
            Ok(Some(message)) => panic!(
                "{} expected its stream to end but received {:?}",
                self.name,
                line(&message)
            ),
            Err(status) => panic!(
                "{} expected its stream to end with OK but it ended with {}",
                self.name,
                describe_status(&status)
            ),
        }
    }
}

/// One member of a room without any network: the room's own `join`, fed from a channel.
/// Used where a test must know exactly how far a member has read, which a network's buffers
/// would blur.
struct LocalMember {
    name: &'static str,
    outgoing: Option<mpsc::Sender<Result<ChatMessage, Status>>>,
    feed: ChatStream,
}

impl LocalMember {
    async fn join(room: &ChatRoom, name: &'static str, first: &str) -> Self {
        let (outgoing, requests) = mpsc::channel(256);
        let feed = room.join(ReceiverStream::new(requests));
        let member = Self {
            name,
            outgoing: Some(outgoing),
            feed,
        };
        member.send(Ok(said(name, first))).await;
        member
    }

    async fn send(&self, item: Result<ChatMessage, Status>) {
        self.outgoing
            .as_ref()
            .expect("a member that has left cannot speak")
            .send(item)
            .await
            .expect("the room reads a member's messages until the member leaves");
    }

    async fn say(&self, message: &str) {
        self.send(Ok(said(self.name, message))).await;
    }

    fn half_close(&mut self) {
        self.outgoing = None;
    }

    async fn next(&mut self) -> Option<ChatMessage> {
        let next = tokio::time::timeout(PATIENCE, self.feed.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{} waited {PATIENCE:?} for a message that never came",
                    self.name
                )
            });
        next.map(|item| {
            item.unwrap_or_else(|status| {
                panic!(
                    "{}'s stream yielded an error: {}",
                    self.name,
                    describe_status(&status)
                )
            })
        })
    }

    async fn expect(&mut self, expected: &[&str]) {
        for want in expected {
            match self.next().await {
                Some(message) => assert_eq!(
                    line(&message),
                    *want,
                    "{} expected to receive {want:?} next",
                    self.name
                ),
                None => panic!("{} expected {want:?} but its stream ended", self.name),
            }
        }
    }

    async fn expect_end(&mut self) {
        if let Some(message) = self.next().await {
            panic!(
                "{} expected its stream to end but received {:?}",
                self.name,
                line(&message)
            );
        }
    }
}

mod step_1_echo {
    use super::*;

    #[tokio::test]
    async fn echo_replies_to_each_message_in_order_signed_by_the_server() {
        let incoming = tokio_stream::iter(
            ["Hello", "How are you?", "Goodbye"].map(|text| Ok(said("Client", text))),
        );
        let replies: Vec<String> = echo(incoming)
            .map(|reply| describe_result(&reply.map(|message| line(&message))))
            .collect()
            .await;
        assert_eq!(
            replies,
            [
                "Ok: \"Server: Echo: Hello\"",
                "Ok: \"Server: Echo: How are you?\"",
                "Ok: \"Server: Echo: Goodbye\"",
            ],
            "one reply per message, in order, from user \"Server\", saying \"Echo: <message>\""
        );
    }

    // ANCHOR: echo_passes_an_error_in_the_incoming_stream_on_to_the_client
    #[tokio::test]
    async fn echo_passes_an_error_in_the_incoming_stream_on_to_the_client() {
        let incoming = tokio_stream::iter([
            Ok(said("Client", "Hello")),
            Err(Status::data_loss("the request stream broke")),
        ]);
        let replies: Vec<String> = echo(incoming)
            .map(|reply| describe_result(&reply.map(|message| line(&message))))
            .collect()
            .await;
        assert_eq!(
            replies,
            [
                "Ok: \"Server: Echo: Hello\"",
                "DataLoss: the request stream broke"
            ],
            "the echo of what came before, then the error itself, which is what tonic ends the \
             call with"
        );
    }
    // ANCHOR_END: echo_passes_an_error_in_the_incoming_stream_on_to_the_client

    #[tokio::test]
    async fn chat_echoes_the_seeds_three_messages_snapshot() {
        let channel = serve_in_memory(echo_service()).await;
        // The seed's client: a fixed sequence of messages, like its Python generator.
        let requests = tokio_stream::iter(
            ["Hello", "How are you?", "Goodbye"].map(|text| said("Client", text)),
        );
        let mut client = Participant::call(channel, "the seed's client", requests).await;

        let mut transcript = String::new();
        loop {
            match client.next().await {
                Ok(Some(reply)) => transcript.push_str(&format!("{}\n", line(&reply))),
                Ok(None) => {
                    transcript.push_str("(end of stream, status OK)\n");
                    break;
                }
                Err(status) => {
                    transcript.push_str(&format!("(ended with {})\n", describe_status(&status)));
                    break;
                }
            }
        }

        test_support::snapshot_settings().bind(|| {
            insta::assert_snapshot!("echo_of_the_seeds_messages", transcript);
        });
    }

    // ANCHOR: chat_answers_each_message_before_the_client_sends_the_next
    #[tokio::test]
    async fn chat_answers_each_message_before_the_client_sends_the_next() {
        // A ping-pong: the client sends its next message only after the reply to the last one.
        // A server that read the whole request stream before replying would never answer.
        let channel = serve_in_memory(echo_service()).await;
        let mut client = Participant::join(channel, "Client", "ping 1").await;
        for round in 1..=3 {
            client
                .expect(&[&format!("Server: Echo: ping {round}")])
                .await;
            client.say(&format!("ping {}", round + 1)).await;
        }
        client.expect(&["Server: Echo: ping 4"]).await;
    }
    // ANCHOR_END: chat_answers_each_message_before_the_client_sends_the_next

    #[tokio::test]
    async fn chat_ends_its_replies_when_the_client_half_closes() {
        let channel = serve_in_memory(echo_service()).await;
        let mut client = Participant::join(channel, "Client", "one").await;
        client.say("two").await;
        client.half_close();
        client
            .expect(&["Server: Echo: one", "Server: Echo: two"])
            .await;
        client.expect_end().await;
    }

    // ANCHOR: chat_reports_undecodable_bytes_with_an_error_and_keeps_serving
    #[tokio::test]
    async fn chat_reports_undecodable_bytes_with_an_error_and_keeps_serving() {
        let channel = serve_in_memory(echo_service()).await;
        // A valid ChatMessage ("Hello"), then field 1 as a varint where ChatMessage has a
        // string: tonic's decoder refuses the second message.
        let hello = prost::Message::encode_to_vec(&said("Client", "Hello"));
        let garbage = vec![0x08, 0x01];
        let mut replies = test_support::raw_streaming_call(
            channel.clone(),
            "/user.UserService/Chat",
            vec![hello, garbage],
        )
        .await
        .expect("the call starts before any message is decoded");

        let first = tokio::time::timeout(PATIENCE, replies.message())
            .await
            .expect("a reply within PATIENCE");
        assert_eq!(
            first
                .map(|reply| reply.map(|bytes| line(&decode_chat_message(&bytes))))
                .ok(),
            Some(Some("Server: Echo: Hello".to_owned())),
            "the valid message before the bad one is echoed"
        );
        let second = tokio::time::timeout(PATIENCE, replies.message())
            .await
            .expect("the end of the call within PATIENCE");
        expect_code(second, Code::Internal);

        // The server survives: a new call on the same connection is echoed as usual.
        let mut client = Participant::join(channel, "Client", "still there?").await;
        client.expect(&["Server: Echo: still there?"]).await;
    }
    // ANCHOR_END: chat_reports_undecodable_bytes_with_an_error_and_keeps_serving
}

mod step_2_room_join_and_broadcast {
    use super::*;

    // ANCHOR: the_first_message_names_the_member_and_follows_its_join_notice
    #[tokio::test]
    async fn the_first_message_names_the_member_and_follows_its_join_notice() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "hi, I'm alice").await;
        alice
            .expect(&["Server: alice joined", "alice: hi, I'm alice"])
            .await;
    }
    // ANCHOR_END: the_first_message_names_the_member_and_follows_its_join_notice

    #[tokio::test]
    async fn every_message_reaches_every_member_including_its_sender() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut bob = Participant::join(server.channel(), "bob", "hey").await;
        // Once alice has seen bob join, bob is in the room: safe to talk.
        alice.expect(&["Server: bob joined", "bob: hey"]).await;
        bob.expect(&["Server: bob joined", "bob: hey"]).await;

        bob.say("how is everyone?").await;
        alice.say("fine, thanks").await;
        for member in [&mut alice, &mut bob] {
            let first = member
                .next()
                .await
                .expect("the call is open")
                .expect("a message");
            let second = member
                .next()
                .await
                .expect("the call is open")
                .expect("a message");
            let mut got = [line(&first), line(&second)];
            // Two senders: the room picks one order, and this test does not care which.
            got.sort();
            assert_eq!(
                got,
                ["alice: fine, thanks", "bob: how is everyone?"],
                "{} should receive both messages, its own included",
                member.name
            );
        }
    }

    // ANCHOR: later_messages_carry_the_name_from_the_first_message
    #[tokio::test]
    async fn later_messages_carry_the_name_from_the_first_message() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut bob = Participant::join(server.channel(), "bob", "hello").await;
        bob.expect(&["Server: bob joined", "bob: hello"]).await;
        bob.say_as("alice", "I am alice now").await;
        bob.expect(&["bob: I am alice now"]).await;
    }
    // ANCHOR_END: later_messages_carry_the_name_from_the_first_message

    // ANCHOR: each_members_messages_arrive_in_the_order_it_sent_them
    #[tokio::test]
    async fn each_members_messages_arrive_in_the_order_it_sent_them() {
        const COUNT: usize = 50;
        // Room enough for every message of the test: this test is about order, and nobody may
        // fall behind. (With the default 64, a burst of 100 messages can lap a member whose
        // task has not run yet; step 4 is about that.)
        let room = ChatRoom::new(4 * COUNT);
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "start").await;
        alice
            .expect(&["Server: alice joined", "alice: start"])
            .await;
        let mut bob = Participant::join(server.channel(), "bob", "start").await;
        alice.expect(&["Server: bob joined", "bob: start"]).await;
        bob.expect(&["Server: bob joined", "bob: start"]).await;
        let mut carol = Participant::join(server.channel(), "carol", "start").await;
        for member in [&mut alice, &mut bob, &mut carol] {
            member
                .expect(&["Server: carol joined", "carol: start"])
                .await;
        }

        // alice and bob talk at the same time, from two tasks.
        let alice_out = alice.outgoing.clone().expect("alice is still talking");
        let bob_out = bob.outgoing.clone().expect("bob is still talking");
        let talkers = [("alice", alice_out), ("bob", bob_out)].map(|(name, outgoing)| {
            tokio::spawn(async move {
                for n in 1..=COUNT {
                    let _ = outgoing.send(said(name, &format!("{n}"))).await;
                }
            })
        });
        for talker in talkers {
            talker.await.expect("a talker task does not panic");
        }

        let mut orders = Vec::new();
        for member in [&mut alice, &mut bob, &mut carol] {
            let mut received = Vec::new();
            for _ in 0..2 * COUNT {
                let message = member
                    .next()
                    .await
                    .expect("the call is open")
                    .expect("a message");
                received.push(line(&message));
            }
            for sender in ["alice", "bob"] {
                let from_sender: Vec<String> = received
                    .iter()
                    .filter(|line| line.starts_with(&format!("{sender}: ")))
                    .cloned()
                    .collect();
                let sent: Vec<String> = (1..=COUNT).map(|n| format!("{sender}: {n}")).collect();
                assert_eq!(
                    from_sender, sent,
                    "{} should receive {sender}'s {COUNT} messages in the order {sender} sent them",
                    member.name
                );
            }
            orders.push((member.name.clone(), received));
        }
        // One room, one order: all three saw the two conversations interleaved the same way.
        for (name, order) in &orders[1..] {
            assert_eq!(
                order, &orders[0].1,
                "{name} and {} should see the messages in the same order: the room has one order",
                orders[0].0
            );
        }
    }
    // ANCHOR_END: each_members_messages_arrive_in_the_order_it_sent_them
}

mod step_3_leaving {
    use super::*;

    // ANCHOR: half_closing_ends_only_that_members_stream_and_tells_the_others
    #[tokio::test]
    async fn half_closing_ends_only_that_members_stream_and_tells_the_others() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut bob = Participant::join(server.channel(), "bob", "hey").await;
        alice.expect(&["Server: bob joined", "bob: hey"]).await;
        bob.expect(&["Server: bob joined", "bob: hey"]).await;

        alice.say("bye").await;
        alice.half_close();
        // alice receives everything the room said before her departure, then her stream ends.
        alice.expect(&["alice: bye"]).await;
        alice.expect_end().await;
        bob.expect(&["alice: bye", "Server: alice left"]).await;

        // bob's call is untouched.
        bob.say("just me now").await;
        bob.expect(&["bob: just me now"]).await;
        wait_for_receivers(&room, 1).await;
    }
    // ANCHOR_END: half_closing_ends_only_that_members_stream_and_tells_the_others

    // ANCHOR: a_member_that_cancels_its_call_leaves_and_its_call_is_cleaned_up
    #[tokio::test]
    async fn a_member_that_cancels_its_call_leaves_and_its_call_is_cleaned_up() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut bob = Participant::join(server.channel(), "bob", "hey").await;
        alice.expect(&["Server: bob joined", "bob: hey"]).await;
        bob.expect(&["Server: bob joined", "bob: hey"]).await;
        assert_eq!(room.receiver_count(), 2, "two calls, two receivers");

        // bob cancels without half-closing: his request stream is still open on his side.
        bob.cancel();
        alice.expect(&["Server: bob left"]).await;
        let after_cancel = bob.next().await;
        expect_code(after_cancel, Code::Cancelled);
        wait_for_receivers(&room, 1).await;

        alice.half_close();
        alice.expect_end().await;
        wait_for_receivers(&room, 0).await;
    }
    // ANCHOR_END: a_member_that_cancels_its_call_leaves_and_its_call_is_cleaned_up

    #[tokio::test]
    async fn a_member_whose_client_goes_away_leaves() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut bob = Participant::join(server.channel(), "bob", "hey").await;
        alice.expect(&["Server: bob joined", "bob: hey"]).await;
        bob.expect(&["Server: bob joined", "bob: hey"]).await;

        // Everything of bob's client is dropped: his request stream, his response stream and
        // the connection they share.
        drop(bob);
        alice.expect(&["Server: bob left"]).await;
        wait_for_receivers(&room, 1).await;
    }

    #[tokio::test]
    async fn a_call_that_ends_before_naming_anyone_leaves_silently() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;

        // A call that half-closes without sending anything.
        let mut nobody = Participant::call(server.channel(), "nobody", tokio_stream::empty()).await;
        nobody.expect_end().await;

        // No "joined", no "left": the next thing alice hears is her own message.
        alice.say("anyone there?").await;
        alice.expect(&["alice: anyone there?"]).await;
        wait_for_receivers(&room, 1).await;
    }

    // ANCHOR: a_member_whose_request_stream_fails_leaves_like_one_that_half_closed
    #[tokio::test]
    async fn a_member_whose_request_stream_fails_leaves_like_one_that_half_closed() {
        let room = ChatRoom::default();
        let mut alice = LocalMember::join(&room, "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut bob = LocalMember::join(&room, "bob", "hey").await;
        alice.expect(&["Server: bob joined", "bob: hey"]).await;

        bob.send(Err(Status::internal("undecodable message"))).await;
        alice.expect(&["Server: bob left"]).await;
        bob.expect(&["Server: bob joined", "bob: hey"]).await;
        bob.expect_end().await;
    }
    // ANCHOR_END: a_member_whose_request_stream_fails_leaves_like_one_that_half_closed

    // ANCHOR: every_receiver_is_released_once_everyone_has_gone
    #[tokio::test]
    async fn every_receiver_is_released_once_everyone_has_gone() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;
        let mut alice = Participant::join(server.channel(), "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut bob = Participant::join(server.channel(), "bob", "hey").await;
        alice.expect(&["Server: bob joined", "bob: hey"]).await;
        let mut carol = Participant::join(server.channel(), "carol", "hello").await;
        alice
            .expect(&["Server: carol joined", "carol: hello"])
            .await;
        assert_eq!(room.receiver_count(), 3);

        // Three ways to go: cancel, half-close, and half-close after the others have gone.
        bob.cancel();
        alice.expect(&["Server: bob left"]).await;
        carol.half_close();
        alice.expect(&["Server: carol left"]).await;
        alice.half_close();
        alice.expect_end().await;
        wait_for_receivers(&room, 0).await;
    }
    // ANCHOR_END: every_receiver_is_released_once_everyone_has_gone

    // ANCHOR: three_member_conversation_snapshot
    #[tokio::test]
    async fn three_member_conversation_snapshot() {
        let room = ChatRoom::default();
        let server = TestServer::start(room_service(&room)).await;

        let mut alice = Participant::join(server.channel(), "alice", "hi all").await;
        alice
            .expect(&["Server: alice joined", "alice: hi all"])
            .await;
        let mut bob = Participant::join(server.channel(), "bob", "hey alice").await;
        for member in [&mut alice, &mut bob] {
            member
                .expect(&["Server: bob joined", "bob: hey alice"])
                .await;
        }
        let mut carol = Participant::join(server.channel(), "carol", "hello both").await;
        for member in [&mut alice, &mut bob, &mut carol] {
            member
                .expect(&["Server: carol joined", "carol: hello both"])
                .await;
        }
        bob.say("carol, welcome").await;
        for member in [&mut alice, &mut bob, &mut carol] {
            member.expect(&["bob: carol, welcome"]).await;
        }
        alice.say("I have to go, bye").await;
        alice.half_close();
        alice.expect(&["alice: I have to go, bye"]).await;
        alice.expect_end().await;
        for member in [&mut bob, &mut carol] {
            member
                .expect(&["alice: I have to go, bye", "Server: alice left"])
                .await;
        }
        carol.say("just us, bob").await;
        for member in [&mut bob, &mut carol] {
            member.expect(&["carol: just us, bob"]).await;
        }
        bob.cancel();
        carol.expect(&["Server: bob left"]).await;
        carol.half_close();
        carol.expect_end().await;
        wait_for_receivers(&room, 0).await;

        let mut transcript = String::new();
        for (name, seen, ending) in [
            (
                "alice",
                &alice.seen,
                "she half-closed; her stream ended with OK",
            ),
            ("bob", &bob.seen, "he cancelled his call"),
            (
                "carol",
                &carol.seen,
                "she half-closed; her stream ended with OK",
            ),
        ] {
            transcript.push_str(&format!("{name} received:\n"));
            for line in seen {
                transcript.push_str(&format!("  {line}\n"));
            }
            transcript.push_str(&format!("  -- {ending}\n"));
        }

        test_support::snapshot_settings().bind(|| {
            insta::assert_snapshot!("three_member_conversation", transcript);
        });
    }
    // ANCHOR_END: three_member_conversation_snapshot
}

mod step_4_lagging_members {
    use super::*;

    /// A small room, so that falling behind takes a few messages. A power of two, because
    /// tokio rounds a broadcast channel's capacity up to one.
    const CAPACITY: usize = 8;

    // ANCHOR: a_member_that_stops_reading_never_stalls_the_others
    #[tokio::test]
    async fn a_member_that_stops_reading_never_stalls_the_others() {
        let room = ChatRoom::new(CAPACITY);
        let mut alice = LocalMember::join(&room, "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut sleepy = LocalMember::join(&room, "sleepy", "zzz").await;
        alice
            .expect(&["Server: sleepy joined", "sleepy: zzz"])
            .await;
        let mut bob = LocalMember::join(&room, "bob", "hey").await;
        alice.expect(&["Server: bob joined", "bob: hey"]).await;
        bob.expect(&["Server: bob joined", "bob: hey"]).await;

        // sleepy reads nothing from here on, while alice says 20 times what the room holds.
        // alice and bob keep reading as she talks, and neither of them ever waits for sleepy.
        let count = 20 * CAPACITY;
        for n in 1..=count {
            let message = format!("alice: message {n}");
            alice.say(&format!("message {n}")).await;
            alice.expect(&[&message]).await;
            bob.expect(&[&message]).await;
        }

        // sleepy wakes up to a notice, not to 160 messages.
        let next = sleepy.next().await.expect("sleepy is still in the room");
        assert!(
            line(&next).starts_with("Server: you missed "),
            "a member that fell behind should first be told how many messages it missed, got {:?}",
            line(&next)
        );
    }
    // ANCHOR_END: a_member_that_stops_reading_never_stalls_the_others

    // ANCHOR: a_lagging_member_is_told_how_many_it_missed_then_gets_the_rest
    #[tokio::test]
    async fn a_lagging_member_is_told_how_many_it_missed_then_gets_the_rest() {
        let room = ChatRoom::new(CAPACITY);
        let mut alice = LocalMember::join(&room, "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut slow = LocalMember::join(&room, "slow", "here").await;
        alice.expect(&["Server: slow joined", "slow: here"]).await;
        slow.expect(&["Server: slow joined", "slow: here"]).await;

        // slow stops reading. alice sends 20 messages and reads each one back, so she never
        // falls behind herself and each is known to be in the room before the next.
        for n in 1..=20 {
            alice.say(&format!("{n}")).await;
            alice.expect(&[&format!("alice: {n}")]).await;
        }

        // The room holds the last 8 of the 20; slow missed the first 12.
        slow.expect(&["Server: you missed 12 messages"]).await;
        for n in 13..=20 {
            slow.expect(&[&format!("alice: {n}")]).await;
        }
        // ... and from then on it is an ordinary member again.
        alice.say("welcome back").await;
        slow.expect(&["alice: welcome back"]).await;
    }
    // ANCHOR_END: a_lagging_member_is_told_how_many_it_missed_then_gets_the_rest

    // ANCHOR: a_member_that_left_while_lagging_still_reaches_the_end_of_its_stream
    #[tokio::test]
    async fn a_member_that_left_while_lagging_still_reaches_the_end_of_its_stream() {
        let room = ChatRoom::new(CAPACITY);
        let mut alice = LocalMember::join(&room, "alice", "hi").await;
        alice.expect(&["Server: alice joined", "alice: hi"]).await;
        let mut slow = LocalMember::join(&room, "slow", "here").await;
        alice.expect(&["Server: slow joined", "slow: here"]).await;
        slow.expect(&["Server: slow joined", "slow: here"]).await;

        // slow half-closes without reading on; alice talks until slow's departure has been
        // overwritten in the room.
        slow.half_close();
        alice.expect(&["Server: slow left"]).await;
        for n in 1..=2 * CAPACITY {
            alice.say(&format!("{n}")).await;
            alice.expect(&[&format!("alice: {n}")]).await;
        }

        // slow's stream cannot find its own departure any more; it must end all the same.
        slow.expect_end().await;
        // tonic drops a response stream once it has ended; so does this test.
        drop(slow);
        assert_eq!(
            room.receiver_count(),
            1,
            "slow's receiver should be gone with its stream; only alice's should remain"
        );
    }
    // ANCHOR_END: a_member_that_left_while_lagging_still_reaches_the_end_of_its_stream
}

/// A reply of a raw call, decoded as the `ChatMessage` it must be.
fn decode_chat_message(bytes: &[u8]) -> ChatMessage {
    prost::Message::decode(bytes).expect("the server replies with ChatMessages")
}
