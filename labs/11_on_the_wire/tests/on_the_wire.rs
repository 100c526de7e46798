//! Lab 11's tests, in the order of the TODOs: the message prefix, the incremental decoder,
//! `grpc-timeout`, `grpc-message`, the transcript of a recorded exchange, and a call over
//! raw HTTP/2.
//!
//! The same file tests your code (`cargo test -p lab11-on-the-wire`) and the reference
//! solution (`cargo test -p solution11-on-the-wire`). The recording it decodes,
//! `tests/fixtures/exchange.txt`, is real traffic between tonic's client and the reference
//! server; re-record it with
//! `cargo test -p solution11-on-the-wire -- --ignored record_fixture`.

mod recorder;

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    time::Duration,
};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use lab11::{
    DEFAULT_MAX_MESSAGE_LEN, Direction, Event, FramingError, GrpcMessage, MAX_TIMEOUT_DIGITS,
    MessageDecoder, MessagePrefix, PREFIX_LEN, RawRequest, Recording, TimeoutError,
    decode_base64_header, decode_grpc_message, decode_messages, decode_prefix, describe_message,
    describe_status_details, encode_grpc_message, encode_message, explain_header,
    format_grpc_timeout, parse_grpc_timeout, raw_call, render_transcript,
};
use prost::Message as _;
use tonic::{Code, Status};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
};

/// The generous upper bound on anything a test waits for. Reaching it is a failure.
const PATIENCE: Duration = Duration::from_secs(10);

/// The recorded exchange: real traffic between tonic's client and the reference server.
const FIXTURE: &str = include_str!("fixtures/exchange.txt");

fn fixture() -> Recording {
    Recording::parse(FIXTURE).unwrap_or_else(|error| {
        panic!("tests/fixtures/exchange.txt is not a valid recording: {error}")
    })
}

/// Bytes as lowercase hex pairs: `00 00 00 00 02 08 01`.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Your encoder's bytes for one message, as a fresh vector.
fn framed(payload: &[u8], compressed: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_message(payload, compressed, &mut bytes);
    bytes
}

/// A message prefix written by the test itself, so the decoder's tests don't depend on
/// your encoder.
fn prefix(flag: u8, len: u32) -> Vec<u8> {
    let mut bytes = vec![flag];
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes
}

fn message(compressed: bool, payload: &[u8]) -> GrpcMessage {
    GrpcMessage {
        compressed,
        payload: Bytes::copy_from_slice(payload),
    }
}

/// Pushes `chunks` one by one, taking out messages after each, then calls `finish`: what a
/// receiver does with a stream's DATA frames. Stops at the first error.
fn decode_chunks(
    chunks: &[&[u8]],
    max_message_len: usize,
) -> (Vec<GrpcMessage>, Result<(), FramingError>) {
    let mut decoder = MessageDecoder::new(max_message_len);
    let mut messages = Vec::new();
    for chunk in chunks {
        decoder.push(chunk);
        loop {
            match decoder.next_message() {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => break,
                Err(error) => return (messages, Err(error)),
            }
        }
    }
    let end = decoder.finish();
    (messages, end)
}

/// The request or response DATA of the fixture's call whose title starts with `title`,
/// all frames concatenated.
fn recorded_data(title: &str, direction: Direction) -> Vec<u8> {
    let recording = fixture();
    let call = recording
        .calls
        .iter()
        .find(|call| call.title.starts_with(title))
        .unwrap_or_else(|| panic!("the fixture has no call titled {title:?}..."));
    let events = match direction {
        Direction::ClientToServer => &call.request,
        Direction::ServerToClient => &call.response,
    };
    events
        .iter()
        .filter_map(|event| match event {
            Event::Data { bytes, .. } => Some(bytes.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

fn seed_user(id: i32) -> User {
    User {
        id,
        name: format!("User {id}"),
        email: format!("user{id}@example.com"),
    }
}

mod step_1_message_prefix {
    use super::*;

    #[test]
    fn encode_message_writes_the_flag_the_big_endian_length_and_the_payload() {
        let payload = GetUserRequest { id: 1 }.encode_to_vec();
        assert_eq!(
            hex(&framed(&payload, false)),
            "00 00 00 00 02 08 01",
            "GetUserRequest {{ id: 1 }} is 08 01; framed, it is flag 00, length 00 00 00 02, \
             then the payload"
        );
    }

    #[test]
    fn encode_message_sets_the_flag_to_1_for_a_compressed_payload() {
        assert_eq!(hex(&framed(&[0xaa, 0xbb], true)), "01 00 00 00 02 aa bb");
    }

    #[test]
    fn encode_message_writes_the_length_most_significant_byte_first() {
        let payload = vec![b'x'; 300];
        let bytes = framed(&payload, false);
        assert_eq!(
            hex(&bytes[..PREFIX_LEN]),
            "00 00 00 01 2c",
            "300 is 0x0000012c, written big-endian (network byte order)"
        );
        assert_eq!(bytes.len(), PREFIX_LEN + 300);
        assert_eq!(&bytes[PREFIX_LEN..], payload.as_slice());
    }

    // ANCHOR: encode_message_frames_an_empty_message_as_five_bytes
    #[test]
    fn encode_message_frames_an_empty_message_as_five_bytes() {
        // A message whose fields all hold their defaults encodes to zero bytes in proto3;
        // it is still one message, so it still gets a prefix.
        let payload = GetUserRequest { id: 0 }.encode_to_vec();
        assert_eq!(hex(&framed(&payload, false)), "00 00 00 00 00");
    }
    // ANCHOR_END: encode_message_frames_an_empty_message_as_five_bytes

    #[test]
    fn encode_message_appends_to_the_buffer_without_clearing_it() {
        let mut bytes = vec![0xff];
        encode_message(&[0x08, 0x01], false, &mut bytes);
        encode_message(&[0x08, 0x02], false, &mut bytes);
        assert_eq!(
            hex(&bytes),
            "ff 00 00 00 00 02 08 01 00 00 00 00 02 08 02",
            "encode_message must append: the byte already in the buffer stays, and two \
             messages follow each other"
        );
    }

    // ANCHOR: encode_message_writes_what_tonic_sent_in_the_recording
    #[test]
    fn encode_message_writes_what_tonic_sent_in_the_recording() {
        let recorded = recorded_data("GetUser(id: 1)", Direction::ClientToServer);
        let payload = GetUserRequest { id: 1 }.encode_to_vec();
        assert_eq!(
            hex(&framed(&payload, false)),
            hex(&recorded),
            "your framing of GetUserRequest {{ id: 1 }} (left) should be the bytes tonic's \
             client sent (right)"
        );
    }
    // ANCHOR_END: encode_message_writes_what_tonic_sent_in_the_recording

    #[test]
    fn decode_prefix_reads_the_flag_and_the_length() {
        assert_eq!(
            decode_prefix([0, 0, 0, 0, 0x1d], DEFAULT_MAX_MESSAGE_LEN),
            Ok(MessagePrefix {
                compressed: false,
                len: 29
            })
        );
        assert_eq!(
            decode_prefix([1, 0, 0x01, 0x00, 0x00], DEFAULT_MAX_MESSAGE_LEN),
            Ok(MessagePrefix {
                compressed: true,
                len: 65_536
            })
        );
    }

    #[test]
    fn decode_prefix_rejects_a_flag_other_than_0_or_1() {
        for flag in [2, 0x80, 0xff] {
            assert_eq!(
                decode_prefix([flag, 0, 0, 0, 1], DEFAULT_MAX_MESSAGE_LEN),
                Err(FramingError::InvalidCompressedFlag(flag)),
                "flag {flag} is neither 0 (plain) nor 1 (compressed)"
            );
        }
    }

    #[test]
    fn decode_prefix_rejects_a_length_over_the_limit_and_accepts_the_limit_itself() {
        assert_eq!(
            decode_prefix([0, 0xff, 0xff, 0xff, 0xff], DEFAULT_MAX_MESSAGE_LEN),
            Err(FramingError::MessageTooLarge {
                len: 0xffff_ffff,
                max: DEFAULT_MAX_MESSAGE_LEN
            }),
            "a prefix announcing 4 GiB is refused, not believed"
        );
        let limit = (DEFAULT_MAX_MESSAGE_LEN as u32).to_be_bytes();
        assert_eq!(
            decode_prefix(
                [0, limit[0], limit[1], limit[2], limit[3]],
                DEFAULT_MAX_MESSAGE_LEN
            ),
            Ok(MessagePrefix {
                compressed: false,
                len: DEFAULT_MAX_MESSAGE_LEN
            }),
            "a message of exactly the limit is allowed"
        );
        assert_eq!(
            decode_prefix([0, 0, 0, 0, 11], 10),
            Err(FramingError::MessageTooLarge { len: 11, max: 10 })
        );
    }
}

mod step_2_incremental_decoder {
    use super::*;

    #[test]
    fn returns_nothing_until_the_whole_message_has_arrived() {
        let bytes = [prefix(0, 3), vec![1, 2, 3]].concat();
        let mut decoder = MessageDecoder::new(DEFAULT_MAX_MESSAGE_LEN);
        for (index, byte) in bytes.iter().enumerate() {
            assert_eq!(
                decoder.next_message(),
                Ok(None),
                "after {index} of {} bytes there is no complete message yet",
                bytes.len()
            );
            decoder.push(&[*byte]);
        }
        assert_eq!(decoder.next_message(), Ok(Some(message(false, &[1, 2, 3]))));
        assert_eq!(decoder.next_message(), Ok(None), "and nothing more");
        assert_eq!(
            decoder.buffered_len(),
            0,
            "a returned message leaves the buffer"
        );
    }

    #[test]
    fn finds_several_messages_in_one_chunk() {
        let chunk = [
            prefix(0, 2),
            vec![8, 1],
            prefix(0, 0),
            prefix(0, 2),
            vec![8, 2],
        ]
        .concat();
        let (messages, end) = decode_chunks(&[&chunk], DEFAULT_MAX_MESSAGE_LEN);
        assert_eq!(
            messages,
            vec![
                message(false, &[8, 1]),
                message(false, &[]),
                message(false, &[8, 2])
            ],
            "one DATA frame may carry several messages, including empty ones"
        );
        assert_eq!(end, Ok(()));
    }

    // ANCHOR: reassembles_messages_split_at_every_possible_point
    #[test]
    fn reassembles_messages_split_at_every_possible_point() {
        let bytes = [prefix(0, 3), vec![1, 2, 3], prefix(1, 2), vec![4, 5]].concat();
        let expected = vec![message(false, &[1, 2, 3]), message(true, &[4, 5])];
        for first in 0..=bytes.len() {
            for second in first..=bytes.len() {
                let chunks = [&bytes[..first], &bytes[first..second], &bytes[second..]];
                let (messages, end) = decode_chunks(&chunks, DEFAULT_MAX_MESSAGE_LEN);
                assert_eq!(
                    (&messages, &end),
                    (&expected, &Ok(())),
                    "the stream {} cut at {first} and {second}",
                    hex(&bytes)
                );
            }
        }
    }
    // ANCHOR_END: reassembles_messages_split_at_every_possible_point

    // ANCHOR: decodes_the_three_users_of_the_recorded_list_users_response
    #[test]
    fn decodes_the_three_users_of_the_recorded_list_users_response() {
        let recorded = recorded_data("ListUsers", Direction::ServerToClient);
        let messages = decode_messages(&recorded, DEFAULT_MAX_MESSAGE_LEN)
            .expect("the recorded response is a valid stream of messages");
        let users: Vec<User> = messages
            .iter()
            .map(|message| User::decode(message.payload.clone()).expect("a User"))
            .collect();
        assert_eq!(users, vec![seed_user(4), seed_user(5), seed_user(6)]);
    }
    // ANCHOR_END: decodes_the_three_users_of_the_recorded_list_users_response

    // ANCHOR: refuses_an_oversized_message_as_soon_as_its_prefix_arrives
    #[test]
    fn refuses_an_oversized_message_as_soon_as_its_prefix_arrives() {
        let mut decoder = MessageDecoder::new(DEFAULT_MAX_MESSAGE_LEN);
        decoder.push(&[0, 0xff, 0xff]);
        assert_eq!(
            decoder.next_message(),
            Ok(None),
            "three bytes are not a prefix yet"
        );
        decoder.push(&[0xff, 0xff]);
        assert_eq!(
            decoder.next_message(),
            Err(FramingError::MessageTooLarge {
                len: 0xffff_ffff,
                max: DEFAULT_MAX_MESSAGE_LEN
            }),
            "the limit is checked on the prefix, without waiting for 4 GiB to arrive"
        );
    }
    // ANCHOR_END: refuses_an_oversized_message_as_soon_as_its_prefix_arrives

    // ANCHOR: an_invalid_flag_is_an_error_and_stays_one
    #[test]
    fn an_invalid_flag_is_an_error_and_stays_one() {
        let mut decoder = MessageDecoder::new(DEFAULT_MAX_MESSAGE_LEN);
        decoder.push(&[prefix(0, 1), vec![7], prefix(2, 1), vec![7]].concat());
        assert_eq!(decoder.next_message(), Ok(Some(message(false, &[7]))));
        for attempt in 1..=2 {
            assert_eq!(
                decoder.next_message(),
                Err(FramingError::InvalidCompressedFlag(2)),
                "attempt {attempt}: a stream cannot be resynchronised after a bad prefix, so \
                 the decoder keeps reporting it"
            );
        }
    }
    // ANCHOR_END: an_invalid_flag_is_an_error_and_stays_one

    #[test]
    fn finish_accepts_a_stream_that_ends_between_messages() {
        let (messages, end) = decode_chunks(&[&[prefix(0, 1), vec![9]].concat()], 16);
        assert_eq!(messages.len(), 1);
        assert_eq!(end, Ok(()));
        assert_eq!(
            MessageDecoder::new(16).finish(),
            Ok(()),
            "an empty stream is fine"
        );
    }

    // ANCHOR: finish_reports_a_stream_that_ends_inside_a_prefix_or_a_payload
    #[test]
    fn finish_reports_a_stream_that_ends_inside_a_prefix_or_a_payload() {
        let (_, end) = decode_chunks(&[&[0, 0, 0]], 16);
        assert_eq!(
            end,
            Err(FramingError::Incomplete {
                buffered: 3,
                expected: PREFIX_LEN
            }),
            "3 bytes of a 5-byte prefix"
        );
        let (_, end) = decode_chunks(&[&[prefix(0, 4), vec![1]].concat()], 16);
        assert_eq!(
            end,
            Err(FramingError::Incomplete {
                buffered: 6,
                expected: 9
            }),
            "the prefix and 1 of 4 payload bytes"
        );
        let (_, end) = decode_chunks(&[&[prefix(0, 1), vec![1], prefix(0, 2)].concat()], 16);
        assert_eq!(
            end,
            Err(FramingError::Incomplete {
                buffered: 5,
                expected: 7
            }),
            "a complete message, then a prefix with nothing after it"
        );
    }
    // ANCHOR_END: finish_reports_a_stream_that_ends_inside_a_prefix_or_a_payload

    /// Random input for the robustness test: half the time a valid stream of messages
    /// (returned with them), half the time bytes that are mostly wrong.
    fn random_stream(rng: &mut fastrand::Rng) -> (Vec<u8>, Option<Vec<GrpcMessage>>) {
        if rng.bool() {
            let mut bytes = Vec::new();
            let mut messages = Vec::new();
            for _ in 0..rng.usize(0..4) {
                let payload: Vec<u8> = (0..rng.usize(0..24)).map(|_| rng.u8(..)).collect();
                let compressed = rng.bool();
                bytes.extend(prefix(u8::from(compressed), payload.len() as u32));
                bytes.extend(&payload);
                messages.push(message(compressed, &payload));
            }
            (bytes, Some(messages))
        } else {
            let mut bytes: Vec<u8> = (0..rng.usize(0..40)).map(|_| rng.u8(..)).collect();
            // Mostly plausible prefixes, so that the decoder gets past the first one.
            if bytes.len() >= PREFIX_LEN && rng.u8(..4) != 0 {
                bytes[0] = rng.u8(0..3);
                bytes[1..4].fill(0);
                if rng.u8(..8) == 0 {
                    bytes[1..5].fill(0xff);
                }
            }
            (bytes, None)
        }
    }

    // ANCHOR: never_panics_and_gives_the_same_answer_however_the_bytes_are_cut
    #[test]
    fn never_panics_and_gives_the_same_answer_however_the_bytes_are_cut() {
        const CASES: usize = 100_000;
        let mut rng = fastrand::Rng::with_seed(11);
        for case in 0..CASES {
            let (bytes, valid) = random_stream(&mut rng);
            let max = [8, 16, DEFAULT_MAX_MESSAGE_LEN][rng.usize(..3)];
            let mut cuts: Vec<usize> = (0..rng.usize(0..4))
                .map(|_| rng.usize(0..=bytes.len()))
                .collect();
            cuts.sort_unstable();

            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let whole = decode_chunks(&[&bytes], max);
                let mut chunks: Vec<&[u8]> = Vec::new();
                let mut start = 0;
                for &cut in &cuts {
                    chunks.push(&bytes[start..cut]);
                    start = cut;
                }
                chunks.push(&bytes[start..]);
                (whole, decode_chunks(&chunks, max))
            }));
            let (whole, cut) = match outcome {
                Ok(results) => results,
                Err(panic) => {
                    let why = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("(no message)");
                    panic!(
                        "case {case}: the decoder panicked on {} (limit {max}, cut at \
                         {cuts:?}): {why}\nBytes off the network must give messages or a \
                         FramingError, never a panic.",
                        hex(&bytes)
                    );
                }
            };
            assert_eq!(
                cut,
                whole,
                "case {case}: {} cut at {cuts:?} should decode exactly as in one piece",
                hex(&bytes)
            );
            if let Some(expected) = valid
                && max == DEFAULT_MAX_MESSAGE_LEN
            {
                assert_eq!(
                    whole,
                    (expected, Ok(())),
                    "case {case}: a valid stream {} should give back its messages",
                    hex(&bytes)
                );
            }
        }
    }
    // ANCHOR_END: never_panics_and_gives_the_same_answer_however_the_bytes_are_cut
}

mod step_3_grpc_timeout {
    use super::*;

    #[test]
    fn parses_every_unit() {
        for (value, expected) in [
            ("2H", Duration::from_secs(2 * 3600)),
            ("90M", Duration::from_secs(90 * 60)),
            ("30S", Duration::from_secs(30)),
            ("1500m", Duration::from_millis(1500)),
            ("5000000u", Duration::from_secs(5)),
            ("250n", Duration::from_nanos(250)),
            ("0n", Duration::ZERO),
        ] {
            assert_eq!(parse_grpc_timeout(value), Ok(expected), "{value:?}");
        }
    }

    // ANCHOR: units_are_case_sensitive
    #[test]
    fn units_are_case_sensitive() {
        assert_eq!(
            parse_grpc_timeout("1M"),
            Ok(Duration::from_secs(60)),
            "M is minutes"
        );
        assert_eq!(
            parse_grpc_timeout("1m"),
            Ok(Duration::from_millis(1)),
            "m is milliseconds"
        );
        for (value, unit) in [
            ("1s", 's'),
            ("1h", 'h'),
            ("1N", 'N'),
            ("1U", 'U'),
            ("1x", 'x'),
        ] {
            assert_eq!(
                parse_grpc_timeout(value),
                Err(TimeoutError::UnknownUnit(unit)),
                "{value:?}: only H M S m u n are units"
            );
        }
    }
    // ANCHOR_END: units_are_case_sensitive

    // ANCHOR: accepts_at_most_eight_digits
    #[test]
    fn accepts_at_most_eight_digits() {
        assert_eq!(
            parse_grpc_timeout("99999999H"),
            Ok(Duration::from_secs(99_999_999 * 3600)),
            "the largest timeout there is: 8 digits of hours"
        );
        assert_eq!(
            parse_grpc_timeout("00000001S"),
            Ok(Duration::from_secs(1)),
            "leading zeros are digits too"
        );
        assert_eq!(
            parse_grpc_timeout("123456789n"),
            Err(TimeoutError::TooManyDigits(9))
        );
        assert_eq!(
            parse_grpc_timeout("000000001S"),
            Err(TimeoutError::TooManyDigits(9))
        );
        assert_eq!(MAX_TIMEOUT_DIGITS, 8);
    }
    // ANCHOR_END: accepts_at_most_eight_digits

    // ANCHOR: rejects_anything_but_plain_digits_before_the_unit
    #[test]
    fn rejects_anything_but_plain_digits_before_the_unit() {
        for (value, found) in [
            ("+5S", '+'),
            ("-5S", '-'),
            (" 5S", ' '),
            ("5 S", ' '),
            ("1.5S", '.'),
            ("0x10S", 'x'),
            ("µ5S", 'µ'),
        ] {
            assert_eq!(
                parse_grpc_timeout(value),
                Err(TimeoutError::NotADigit(found)),
                "{value:?}"
            );
        }
    }
    // ANCHOR_END: rejects_anything_but_plain_digits_before_the_unit

    // ANCHOR: rejects_empty_values_and_missing_parts_without_panicking
    #[test]
    fn rejects_empty_values_and_missing_parts_without_panicking() {
        assert_eq!(parse_grpc_timeout(""), Err(TimeoutError::Empty));
        assert_eq!(parse_grpc_timeout("S"), Err(TimeoutError::NoDigits));
        assert_eq!(parse_grpc_timeout("100"), Err(TimeoutError::MissingUnit));
        assert_eq!(
            parse_grpc_timeout("5µ"),
            Err(TimeoutError::UnknownUnit('µ')),
            "the last character may be more than one byte: split on characters"
        );
        assert_eq!(
            parse_grpc_timeout("🦀"),
            Err(TimeoutError::UnknownUnit('🦀'))
        );
    }
    // ANCHOR_END: rejects_empty_values_and_missing_parts_without_panicking

    // ANCHOR: formats_in_the_most_precise_unit_that_fits_in_eight_digits
    #[test]
    fn formats_in_the_most_precise_unit_that_fits_in_eight_digits() {
        const DAY: u64 = 24 * 3600;
        for (timeout, expected, why) in [
            (
                Duration::ZERO,
                "0n",
                "zero is zero in any unit; the finest wins",
            ),
            (Duration::from_nanos(1), "1n", ""),
            (
                Duration::from_nanos(99_999_999),
                "99999999n",
                "8 digits of ns still fit",
            ),
            (
                Duration::from_nanos(100_000_001),
                "100000u",
                "9 digits of ns don't; the 0.001 us is dropped",
            ),
            (
                Duration::from_secs(5),
                "5000000u",
                "tonic's way of writing 5 s",
            ),
            (Duration::from_secs(3600), "3600000m", "one hour"),
            (
                Duration::from_secs(2 * DAY),
                "172800S",
                "172,800,000 ms has 9 digits",
            ),
            (Duration::from_secs(5 * 365 * DAY), "2628000M", "five years"),
            (
                Duration::from_secs(200 * 365 * DAY),
                "1752000H",
                "two centuries",
            ),
        ] {
            assert_eq!(format_grpc_timeout(timeout), expected, "{timeout:?}: {why}");
        }
    }
    // ANCHOR_END: formats_in_the_most_precise_unit_that_fits_in_eight_digits

    /// What tonic's `Request::set_timeout` puts in the `grpc-timeout` header.
    fn tonic_format(timeout: Duration) -> String {
        let mut request = tonic::Request::new(());
        request.set_timeout(timeout);
        request
            .metadata()
            .get("grpc-timeout")
            .expect("set_timeout sets grpc-timeout")
            .to_str()
            .expect("ASCII")
            .to_owned()
    }

    // ANCHOR: formats_every_duration_exactly_as_tonic_does
    #[test]
    fn formats_every_duration_exactly_as_tonic_does() {
        let mut rng = fastrand::Rng::with_seed(3);
        // Durations spread over every unit: up to 10^k ns for k = 0..=18.
        for _ in 0..20_000 {
            let magnitude = 10u64.pow(rng.u32(0..=18));
            let timeout = Duration::from_nanos(rng.u64(0..=magnitude));
            assert_eq!(
                format_grpc_timeout(timeout),
                tonic_format(timeout),
                "{timeout:?} ({} ns): your value (left), tonic's (right)",
                timeout.as_nanos()
            );
        }
    }
    // ANCHOR_END: formats_every_duration_exactly_as_tonic_does

    #[test]
    fn a_timeout_too_long_for_eight_digits_of_hours_is_clamped() {
        // tonic panics here ("duration is unrealistically large"); 99999999H is over
        // 11,000 years, which is as good as forever.
        assert_eq!(format_grpc_timeout(Duration::MAX), "99999999H");
        assert_eq!(
            format_grpc_timeout(Duration::from_secs(100_000_000 * 3600)),
            "99999999H"
        );
    }

    // ANCHOR: formatting_then_parsing_rounds_down_by_less_than_one_unit
    #[test]
    fn formatting_then_parsing_rounds_down_by_less_than_one_unit() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let magnitude = 10u64.pow(rng.u32(0..=18));
            let timeout = Duration::from_nanos(rng.u64(0..=magnitude));
            let value = format_grpc_timeout(timeout);
            let parsed = parse_grpc_timeout(&value)
                .unwrap_or_else(|error| panic!("your own {value:?} does not parse: {error}"));
            let unit = parse_grpc_timeout(&format!("1{}", &value[value.len() - 1..]))
                .expect("1 of a unit parses");
            assert!(
                parsed <= timeout && timeout - parsed < unit,
                "{timeout:?} was written as {value:?}, which reads back as {parsed:?}: \
                 rounding must go down, by less than one {unit:?}"
            );
        }
    }
    // ANCHOR_END: formatting_then_parsing_rounds_down_by_less_than_one_unit
}

mod step_4_grpc_message {
    use super::*;

    /// The `grpc-message` value tonic's server writes for `message`.
    fn tonic_encoded(message: &str) -> Vec<u8> {
        let mut headers = HeaderMap::new();
        Status::unknown(message)
            .add_header(&mut headers)
            .expect("tonic can encode any message");
        headers
            .get("grpc-message")
            .expect("a non-empty message is sent")
            .as_bytes()
            .to_vec()
    }

    /// The message tonic's client reads from a `grpc-message` value.
    fn tonic_decoded(value: &str) -> String {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", HeaderValue::from_static("2"));
        headers.insert(
            "grpc-message",
            HeaderValue::from_str(value).unwrap_or_else(|_| {
                panic!("{value:?} is not a valid header value: escape control characters")
            }),
        );
        Status::from_header_map(&headers)
            .expect("grpc-status is there")
            .message()
            .to_owned()
    }

    /// Random text: ASCII (printable and not), `%`, and multi-byte characters.
    fn random_text(rng: &mut fastrand::Rng) -> String {
        const PICKS: &[char] = &['%', ' ', '\n', '\t', '\u{7f}', 'é', '€', '🦀', '\'', '"'];
        (0..rng.usize(0..24))
            .map(|_| match rng.u8(..3) {
                0 => PICKS[rng.usize(..PICKS.len())],
                1 => char::from(rng.u8(0x20..0x7f)),
                _ => rng.char(..),
            })
            .collect()
    }

    #[test]
    fn leaves_printable_ascii_alone_except_the_percent_sign() {
        assert_eq!(
            encode_grpc_message("no user with id 42"),
            "no user with id 42"
        );
        let printable: String = (0x20u8..=0x7e)
            .map(char::from)
            .filter(|&c| c != '%')
            .collect();
        assert_eq!(
            encode_grpc_message(&printable),
            printable,
            "bytes 0x20..=0x7E other than % are sent as they are"
        );
    }

    #[test]
    fn escapes_percent_control_characters_and_every_byte_of_non_ascii_text() {
        for (message, expected) in [
            ("100% sure", "100%25 sure"),
            ("line 1\nline 2", "line 1%0Aline 2"),
            ("tab\there", "tab%09here"),
            ("del\u{7f}", "del%7F"),
            ("Zoë", "Zo%C3%AB"),
            ("🦀", "%F0%9F%A6%80"),
            ("", ""),
        ] {
            assert_eq!(encode_grpc_message(message), expected, "{message:?}");
        }
    }

    #[test]
    fn decodes_what_tonic_sends() {
        for message in [
            "no user with id 42",
            "requests[1].email: email must contain exactly one '@', got 0",
            "100% sure, {really}? <yes> #1 `code`",
            "Zoë 🦀\nsecond line",
        ] {
            let value = tonic_encoded(message);
            assert_eq!(
                decode_grpc_message(&value),
                message,
                "tonic sent {:?}",
                String::from_utf8_lossy(&value)
            );
        }
    }

    // ANCHOR: tonic_reads_what_you_send
    #[test]
    fn tonic_reads_what_you_send() {
        let mut rng = fastrand::Rng::with_seed(4);
        for _ in 0..2_000 {
            let message = random_text(&mut rng);
            let value = encode_grpc_message(&message);
            assert_eq!(
                tonic_decoded(&value),
                message,
                "you sent {value:?}; tonic's client should read back the original"
            );
            assert_eq!(decode_grpc_message(value.as_bytes()), message);
        }
    }
    // ANCHOR_END: tonic_reads_what_you_send

    #[test]
    fn decoding_never_fails_and_keeps_what_is_not_an_escape() {
        for (value, expected) in [
            (&b"100%"[..], "100%"),
            (b"%zz", "%zz"),
            (b"%4", "%4"),
            (b"%%41", "%A"),
            (b"%c3%ab", "ë"),
            (b"%C3%AB", "ë"),
            (b"%FF", "\u{FFFD}"),
            (b"caf\xe9", "caf\u{FFFD}"),
            (b"", ""),
        ] {
            assert_eq!(
                decode_grpc_message(value),
                expected,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..10_000 {
            let bytes: Vec<u8> = (0..rng.usize(0..12))
                .map(|_| [b'%', b'a', b'F', b'0', rng.u8(..)][rng.usize(..5)])
                .collect();
            let _ = decode_grpc_message(&bytes);
        }
    }
}

mod step_5_transcript {
    use super::*;

    #[test]
    fn describes_each_methods_request_and_response_messages() {
        use Direction::{ClientToServer as Request, ServerToClient as Response};
        let cases: Vec<(&str, Direction, Vec<u8>, &str)> = vec![
            (
                "/user.UserService/GetUser",
                Request,
                GetUserRequest { id: 7 }.encode_to_vec(),
                "GetUserRequest { id: 7 }",
            ),
            (
                "/user.UserService/GetUser",
                Response,
                seed_user(7).encode_to_vec(),
                r#"User { id: 7, name: "User 7", email: "user7@example.com" }"#,
            ),
            (
                "/user.UserService/ListUsers",
                Request,
                ListUsersRequest {
                    page: 2,
                    page_size: 3,
                }
                .encode_to_vec(),
                "ListUsersRequest { page: 2, page_size: 3 }",
            ),
            (
                "/user.UserService/ListUsers",
                Response,
                seed_user(4).encode_to_vec(),
                r#"User { id: 4, name: "User 4", email: "user4@example.com" }"#,
            ),
            (
                "/user.UserService/CreateUsers",
                Request,
                CreateUserRequest {
                    name: "Ada".into(),
                    email: "ada@example.com".into(),
                }
                .encode_to_vec(),
                r#"CreateUserRequest { name: "Ada", email: "ada@example.com" }"#,
            ),
            (
                "/user.UserService/CreateUsers",
                Response,
                CreateUsersResponse {
                    count: 0,
                    users: vec![],
                }
                .encode_to_vec(),
                "CreateUsersResponse { count: 0, users: [] }",
            ),
            (
                "/user.UserService/Chat",
                Request,
                ChatMessage {
                    user: "Client".into(),
                    message: "Hi".into(),
                }
                .encode_to_vec(),
                r#"ChatMessage { user: "Client", message: "Hi" }"#,
            ),
            (
                "/user.UserService/Chat",
                Response,
                ChatMessage {
                    user: "Server".into(),
                    message: "Echo: Hi".into(),
                }
                .encode_to_vec(),
                r#"ChatMessage { user: "Server", message: "Echo: Hi" }"#,
            ),
        ];
        for (path, direction, payload, expected) in cases {
            assert_eq!(
                describe_message(path, direction, &payload),
                expected,
                "{path}, {direction:?}"
            );
        }
    }

    #[test]
    fn says_why_a_payload_is_not_the_expected_message() {
        // Field 1 as a length-delimited string where GetUserRequest.id is a varint.
        let described = describe_message(
            "/user.UserService/GetUser",
            Direction::ClientToServer,
            &[0x0a, 0x03, b'o', b'n', b'e'],
        );
        assert!(
            described.starts_with("not a valid GetUserRequest: "),
            "got {described:?}"
        );
        assert_eq!(
            describe_message(
                "/grpc.health.v1.Health/Check",
                Direction::ClientToServer,
                &[1, 2, 3]
            ),
            "3 bytes for /grpc.health.v1.Health/Check, a method this transcript does not know"
        );
    }

    #[test]
    fn explains_grpc_timeout_status_and_message_and_nothing_else() {
        assert_eq!(
            explain_header("grpc-timeout", "5000000u").as_deref(),
            Some("5s")
        );
        assert_eq!(
            explain_header("grpc-timeout", "1500u").as_deref(),
            Some("1.5ms")
        );
        let invalid = explain_header("grpc-timeout", "5s").expect("explained");
        assert!(invalid.starts_with("invalid: "), "got {invalid:?}");
        assert_eq!(explain_header("grpc-status", "0").as_deref(), Some("Ok"));
        assert_eq!(
            explain_header("grpc-status", "5").as_deref(),
            Some("NotFound")
        );
        assert_eq!(
            explain_header("grpc-status", "99").as_deref(),
            Some("Unknown"),
            "a number outside 0..=16 is UNKNOWN"
        );
        assert_eq!(
            explain_header("grpc-status", "five").as_deref(),
            Some("not a status code")
        );
        assert_eq!(
            explain_header("grpc-message", "no%20user%20with%20id%2042").as_deref(),
            Some(r#""no user with id 42""#)
        );
        for (name, value) in [
            ("content-type", "application/grpc"),
            (":path", "/user.UserService/GetUser"),
            ("te", "trailers"),
        ] {
            assert_eq!(
                explain_header(name, value),
                None,
                "{name} needs no explaining"
            );
        }
    }

    #[test]
    fn decodes_the_binary_error_details() {
        use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

        let status = Status::with_error_details(
            Code::InvalidArgument,
            "requests[0].name: name must not be empty",
            ErrorDetails::with_bad_request(vec![FieldViolation {
                field: "requests[0].name".into(),
                description: "name must not be empty".into(),
                reason: "NAME_EMPTY".into(),
                localized_message: None,
            }]),
        );
        let lines = describe_status_details(status.details()).expect("valid details");
        assert_eq!(
            lines,
            vec![
                r#"google.rpc.Status: code 3 (InvalidArgument), message "requests[0].name: name must not be empty""#,
                "details[0]: type.googleapis.com/google.rpc.BadRequest",
                "  requests[0].name: name must not be empty (NAME_EMPTY)",
            ]
        );
        let retry = Status::with_error_details(
            Code::Unavailable,
            "busy",
            ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
        );
        let lines = describe_status_details(retry.details()).expect("valid details");
        assert_eq!(lines.len(), 2, "got {lines:#?}");
        assert!(
            lines[1].starts_with("details[0]: type.googleapis.com/google.rpc.RetryInfo, "),
            "other detail types get their type URL and size, got {:?}",
            lines[1]
        );
        assert!(describe_status_details(&[0xff, 0xff]).is_err());
    }

    // ANCHOR: explains_grpc_status_details_bin_from_its_base64
    #[test]
    fn explains_grpc_status_details_bin_from_its_base64() {
        let recording = fixture();
        let value = recording
            .calls
            .iter()
            .flat_map(|call| &call.response)
            .find_map(|event| match event {
                Event::Headers { fields, .. } | Event::Trailers { fields } => fields
                    .iter()
                    .find(|field| field.name == "grpc-status-details-bin")
                    .map(|field| field.value.clone()),
                _ => None,
            })
            .expect("the recorded CreateUsers call has grpc-status-details-bin");
        let bytes = decode_base64_header(&value).expect("tonic sends valid base64");
        let expected = describe_status_details(&bytes)
            .expect("valid details")
            .join("\n");
        assert_eq!(
            explain_header("grpc-status-details-bin", &value),
            Some(expected)
        );
        assert_eq!(
            explain_header("grpc-status-details-bin", "***").as_deref(),
            Some("not valid base64")
        );
    }
    // ANCHOR_END: explains_grpc_status_details_bin_from_its_base64

    // ANCHOR: transcript_snapshot
    #[test]
    fn transcript_snapshot() {
        let transcript = render_transcript(&fixture());
        test_support::snapshot_settings().bind(|| {
            insta::assert_snapshot!("exchange_transcript", transcript);
        });
    }
    // ANCHOR_END: transcript_snapshot

    // ANCHOR: the_fixture_is_what_the_reference_server_sends_today
    #[tokio::test]
    async fn the_fixture_is_what_the_reference_server_sends_today() {
        let today = tokio::time::timeout(PATIENCE, recorder::record_reference_exchange())
            .await
            .expect("recording the reference exchange should take well under 10 s");
        // Compare the readable form first: a difference shows up as a diff of traces.
        assert_eq!(
            render_transcript(&today),
            render_transcript(&fixture()),
            "the reference server (left) no longer sends what tests/fixtures/exchange.txt \
             (right) recorded. If the change is intended, re-record with \
             `cargo test -p solution11-on-the-wire -- --ignored record_fixture` and review \
             the snapshot"
        );
        assert_eq!(
            today.to_text(),
            FIXTURE,
            "same transcript, but the recorded bytes or frames differ; re-record with \
             `cargo test -p solution11-on-the-wire -- --ignored record_fixture`"
        );
    }
    // ANCHOR_END: the_fixture_is_what_the_reference_server_sends_today

    // ANCHOR: record_fixture
    /// Re-records `tests/fixtures/exchange.txt`:
    /// `cargo test -p solution11-on-the-wire -- --ignored record_fixture`.
    #[tokio::test]
    #[ignore = "writes tests/fixtures/exchange.txt; run it on purpose"]
    async fn record_fixture() {
        let recording = recorder::record_reference_exchange().await;
        // The lab's directory, whether this runs as the lab's test or the solution's.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../labs/11_on_the_wire/tests/fixtures/exchange.txt");
        std::fs::write(&path, recording.to_text())
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    }
    // ANCHOR_END: record_fixture
}

mod step_6_raw_http2 {
    use super::*;
    use recorder::{RecordingProxy, start_reference_server};

    fn get_user(id: i32) -> RawRequest {
        RawRequest::new(
            "/user.UserService/GetUser",
            GetUserRequest { id }.encode_to_vec(),
        )
    }

    async fn call(addr: std::net::SocketAddr, request: RawRequest) -> lab11::RawResponse {
        tokio::time::timeout(PATIENCE, raw_call(addr, request))
            .await
            .expect("the raw call should finish well within 10 s")
            .unwrap_or_else(|error| panic!("the raw call failed: {error}"))
    }

    #[tokio::test]
    async fn get_user_over_raw_http2_returns_the_user_then_grpc_status_0() {
        let (server, _stop) = start_reference_server().await;
        let response = call(server, get_user(3)).await;

        assert_eq!(response.http_status, http::StatusCode::OK);
        assert_eq!(
            response
                .headers
                .get("content-type")
                .map(HeaderValue::as_bytes),
            Some(&b"application/grpc"[..])
        );
        assert_eq!(
            response.messages.len(),
            1,
            "a unary response has one message"
        );
        assert!(!response.messages[0].compressed);
        let user = User::decode(response.messages[0].payload.clone())
            .expect("the response message is a User");
        assert_eq!(user, seed_user(3));
        let trailers = response
            .trailers
            .as_ref()
            .expect("a response with a message ends with trailers");
        assert_eq!(
            trailers.get("grpc-status").map(HeaderValue::as_bytes),
            Some(&b"0"[..])
        );
        assert_eq!(response.grpc_status(), Some("0"));
        assert_eq!(response.grpc_message(), None, "OK carries no message");
    }

    // ANCHOR: an_unknown_user_is_a_trailers_only_response_with_a_percent_encoded_message
    #[tokio::test]
    async fn an_unknown_user_is_a_trailers_only_response_with_a_percent_encoded_message() {
        let (server, _stop) = start_reference_server().await;
        let response = call(server, get_user(42)).await;

        assert_eq!(
            response.http_status,
            http::StatusCode::OK,
            "HTTP carried the call fine: 200, whatever the gRPC status"
        );
        assert!(response.messages.is_empty(), "no message, only a status");
        assert!(
            response.trailers.is_none(),
            "Trailers-Only: the status is in the one HEADERS frame"
        );
        assert_eq!(
            response
                .headers
                .get("grpc-status")
                .map(HeaderValue::as_bytes),
            Some(&b"5"[..]),
            "NOT_FOUND is 5"
        );
        assert_eq!(
            response
                .headers
                .get("grpc-message")
                .map(HeaderValue::as_bytes),
            Some(&b"no%20user%20with%20id%2042"[..]),
            "tonic percent-encodes the message, spaces included"
        );
        assert_eq!(
            response.grpc_message().as_deref(),
            Some("no user with id 42")
        );
    }
    // ANCHOR_END: an_unknown_user_is_a_trailers_only_response_with_a_percent_encoded_message

    // ANCHOR: list_users_is_the_same_exchange_with_more_messages
    #[tokio::test]
    async fn list_users_is_the_same_exchange_with_more_messages() {
        let (server, _stop) = start_reference_server().await;
        let request = RawRequest::new(
            "/user.UserService/ListUsers",
            ListUsersRequest {
                page: 1,
                page_size: 4,
            }
            .encode_to_vec(),
        );
        let response = call(server, request).await;
        let users: Vec<User> = response
            .messages
            .iter()
            .map(|message| User::decode(message.payload.clone()).expect("a User"))
            .collect();
        assert_eq!(users, (1..=4).map(seed_user).collect::<Vec<_>>());
        assert_eq!(response.grpc_status(), Some("0"));
    }
    // ANCHOR_END: list_users_is_the_same_exchange_with_more_messages

    // ANCHOR: the_request_carries_the_grpc_headers_and_your_deadline
    #[tokio::test]
    async fn the_request_carries_the_grpc_headers_and_your_deadline() {
        let (server, _stop) = start_reference_server().await;
        let mut proxy = RecordingProxy::start(server).await;
        let mut request = get_user(1);
        request.timeout = Some(Duration::from_millis(1_500));
        request
            .headers
            .insert("x-request-id", HeaderValue::from_static("lab-11"));
        let response = call(proxy.addr(), request).await;
        assert_eq!(response.grpc_status(), Some("0"));

        let frames = proxy.next_call().await;
        let Some(Event::Headers { fields, end_stream }) = frames.request.first() else {
            panic!(
                "the request should start with HEADERS, got {:?}",
                frames.request
            );
        };
        assert!(
            !end_stream,
            "the request HEADERS must not end the stream: DATA follows"
        );
        let get = |name: &str| {
            fields
                .iter()
                .find(|field| field.name == name)
                .map(|field| field.value.as_str())
        };
        assert_eq!(get(":method"), Some("POST"));
        assert_eq!(get(":path"), Some("/user.UserService/GetUser"));
        assert_eq!(get("content-type"), Some("application/grpc"));
        assert_eq!(get("te"), Some("trailers"));
        assert_eq!(
            get("grpc-timeout"),
            Some("1500000u"),
            "the deadline, formatted by your format_grpc_timeout"
        );
        assert_eq!(
            get("x-request-id"),
            Some("lab-11"),
            "extra headers go along"
        );

        let data: Vec<u8> = frames
            .request
            .iter()
            .filter_map(|event| match event {
                Event::Data { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(hex(&data), "00 00 00 00 02 08 01");
        assert!(
            matches!(
                frames.request.last(),
                Some(Event::Data {
                    end_stream: true,
                    ..
                })
            ),
            "the request ends with END_STREAM on its DATA"
        );
    }
    // ANCHOR_END: the_request_carries_the_grpc_headers_and_your_deadline

    // ANCHOR: the_server_reassembles_a_message_cut_across_data_frames
    #[tokio::test]
    async fn the_server_reassembles_a_message_cut_across_data_frames() {
        let (server, _stop) = start_reference_server().await;
        let tcp = tokio::net::TcpStream::connect(server)
            .await
            .expect("connect");
        let (client, connection) = h2::client::handshake(tcp).await.expect("handshake");
        tokio::spawn(connection);
        let mut client = client.ready().await.expect("ready");
        let request = http::Request::post(format!("http://{server}/user.UserService/GetUser"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .expect("a valid request");
        let (response, mut send) = client.send_request(request, false).expect("send");
        // 00 | 00 00 00 02 08 | 01: three DATA frames that cut the prefix and the payload.
        let bytes = framed(&GetUserRequest { id: 2 }.encode_to_vec(), false);
        send.send_data(Bytes::copy_from_slice(&bytes[..1]), false)
            .expect("frame 1");
        send.send_data(Bytes::copy_from_slice(&bytes[1..6]), false)
            .expect("frame 2");
        send.send_data(Bytes::copy_from_slice(&bytes[6..]), true)
            .expect("frame 3");

        let (_, mut body) = response.await.expect("a response").into_parts();
        let mut received = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.expect("DATA");
            let _ = body.flow_control().release_capacity(chunk.len());
            received.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await.expect("trailers").expect("trailers");
        assert_eq!(
            trailers.get("grpc-status").map(HeaderValue::as_bytes),
            Some(&b"0"[..])
        );
        let messages = decode_messages(&received, DEFAULT_MAX_MESSAGE_LEN).expect("messages");
        assert_eq!(messages.len(), 1);
        assert_eq!(
            User::decode(messages[0].payload.clone()).expect("a User"),
            seed_user(2)
        );
    }
    // ANCHOR_END: the_server_reassembles_a_message_cut_across_data_frames

    // ANCHOR: a_compressed_message_needs_an_encoding_the_server_supports
    #[tokio::test]
    async fn a_compressed_message_needs_an_encoding_the_server_supports() {
        let (server, _stop) = start_reference_server().await;

        // The flag says "compressed" but no grpc-encoding says how: a protocol error.
        let mut request = get_user(1);
        request.compressed = true;
        let response = call(server, request).await;
        assert_eq!(response.grpc_status(), Some("13"), "INTERNAL is 13");
        assert_eq!(
            response.grpc_message().as_deref(),
            Some(
                "protocol error: received message with compressed-flag but no grpc-encoding \
                 was specified"
            )
        );

        // deflate, which the server does not accept (it takes gzip): UNIMPLEMENTED, and the
        // encodings it does accept.
        let mut request = get_user(1);
        request.compressed = true;
        request
            .headers
            .insert("grpc-encoding", HeaderValue::from_static("deflate"));
        let response = call(server, request).await;
        assert_eq!(response.grpc_status(), Some("12"), "UNIMPLEMENTED is 12");
        assert_eq!(
            response.grpc_message().as_deref(),
            Some("Content is compressed with `deflate` which isn't supported")
        );
        assert_eq!(
            response
                .status_fields()
                .get("grpc-accept-encoding")
                .map(HeaderValue::as_bytes),
            Some(&b"gzip,identity"[..])
        );
    }
    // ANCHOR_END: a_compressed_message_needs_an_encoding_the_server_supports

    // ANCHOR: frame_log_test
    // ANCHOR: a_connection_frame_by_frame
    /// The whole connection at the frame level, around three calls of tonic's client.
    /// `cargo test -p solution11-on-the-wire frame_by_frame -- --nocapture` prints it.
    #[tokio::test]
    async fn a_connection_frame_by_frame() {
        use recorder::frames::{
            DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PING, RST_STREAM, SETTINGS,
            WINDOW_UPDATE, frame_logging_proxy,
        };

        let (server, stop) = start_reference_server().await;
        let (proxy, log) = frame_logging_proxy(server).await;
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{proxy}"))
            .expect("a valid URI")
            .connect_lazy();
        let mut client = workbook_proto::user::user_service_client::UserServiceClient::new(channel);
        for id in [1, 2, 42] {
            let mut request = tonic::Request::new(GetUserRequest { id });
            request.set_timeout(Duration::from_secs(5));
            let _ = client.get_user(request).await;
        }
        // A graceful shutdown while the client still holds the connection, then the client
        // goes too: both directions of the proxy close.
        let _ = stop.send(());
        let log = tokio::time::timeout(PATIENCE, log)
            .await
            .expect("the server should close the idle connection after its GOAWAY")
            .expect("the proxy task should not panic");
        drop(client);

        for frame in &log.client {
            println!("client → {frame}");
        }
        for frame in &log.server {
            println!("server → {frame}");
        }

        // Each side opens with SETTINGS on stream 0, the connection itself.
        for (side, frames) in [("client", &log.client), ("server", &log.server)] {
            let first = frames.first().expect("frames were sent");
            assert_eq!(
                (first.kind, first.stream_id),
                (SETTINGS, 0),
                "the {side}'s first frame is SETTINGS on stream 0"
            );
        }
        // tonic raises the default 65,535-byte windows: the client to 2 MiB per stream
        // (SETTINGS_INITIAL_WINDOW_SIZE, id 0x4) and 5 MiB for the connection (a
        // WINDOW_UPDATE on stream 0), the server to 1 MiB for both.
        assert!(log.client[0].settings().contains(&(0x4, 2 * 1024 * 1024)));
        assert!(log.server[0].settings().contains(&(0x4, 1024 * 1024)));
        let connection_window = |frames: &[recorder::frames::Frame]| {
            frames
                .iter()
                .find(|frame| frame.kind == WINDOW_UPDATE && frame.stream_id == 0)
                .map(|frame| 65_535 + frame.u32_at(0))
        };
        assert_eq!(connection_window(&log.client), Some(5 * 1024 * 1024));
        assert_eq!(connection_window(&log.server), Some(1024 * 1024));

        // One stream per call, odd ids chosen by the client.
        let opened: Vec<u32> = log
            .client
            .iter()
            .filter(|frame| frame.kind == HEADERS)
            .map(|frame| frame.stream_id)
            .collect();
        assert_eq!(
            opened,
            vec![1, 3, 5],
            "three calls, three client-opened streams"
        );

        let on_stream = |frames: &[recorder::frames::Frame], id: u32, kind: u8| {
            frames
                .iter()
                .filter(|frame| frame.stream_id == id && frame.kind == kind)
                .cloned()
                .collect::<Vec<_>>()
        };
        for (stream, id) in [(1, 1), (3, 2), (5, 42)] {
            let data: Vec<u8> = on_stream(&log.client, stream, DATA)
                .iter()
                .flat_map(|frame| frame.payload.clone())
                .collect();
            let messages = decode_messages(&data, DEFAULT_MAX_MESSAGE_LEN)
                .expect("the request DATA is length-prefixed messages");
            assert_eq!(messages.len(), 1, "a unary request has one message");
            assert_eq!(
                GetUserRequest::decode(messages[0].payload.clone()).expect("a GetUserRequest"),
                GetUserRequest { id }
            );
        }
        // GetUser(42) is answered by one HEADERS frame that also ends the stream.
        let answer = on_stream(&log.server, 5, HEADERS);
        assert_eq!(
            answer.len(),
            1,
            "a Trailers-Only response is one HEADERS frame"
        );
        assert_eq!(
            answer[0].flags & (END_STREAM | END_HEADERS),
            END_STREAM | END_HEADERS
        );
        assert!(on_stream(&log.server, 5, DATA).is_empty());
        // GetUser(1): HEADERS, DATA, then the trailers, a second HEADERS with END_STREAM.
        let response: Vec<u8> = on_stream(&log.server, 1, DATA)
            .iter()
            .flat_map(|frame| frame.payload.clone())
            .collect();
        let messages = decode_messages(&response, DEFAULT_MAX_MESSAGE_LEN)
            .expect("the response DATA is length-prefixed messages");
        assert_eq!(
            User::decode(messages[0].payload.clone()).expect("a User"),
            seed_user(1)
        );
        assert_eq!(on_stream(&log.server, 1, HEADERS).len(), 2);

        // HPACK: the second call repeats the first one's headers, which the connection's
        // dynamic table now holds, so its header block is a fraction of the first.
        let request_headers = |stream| on_stream(&log.client, stream, HEADERS)[0].payload.len();
        assert!(
            request_headers(3) * 2 < request_headers(1),
            "the second call's HEADERS ({} bytes) should be well under half the first's ({})",
            request_headers(3),
            request_headers(1)
        );

        // A graceful shutdown: GOAWAY with the largest stream id ("no new streams, please"),
        // a PING to time one round trip, then the real GOAWAY naming the last stream served.
        let control: Vec<(u8, u32)> = log
            .server
            .iter()
            .filter(|frame| matches!(frame.kind, GOAWAY | PING) && frame.flags & END_STREAM == 0)
            .map(|frame| {
                (
                    frame.kind,
                    if frame.kind == GOAWAY {
                        frame.u32_at(0)
                    } else {
                        0
                    },
                )
            })
            .collect();
        assert_eq!(
            control,
            vec![(GOAWAY, 0x7fff_ffff), (PING, 0), (GOAWAY, 5)],
            "the server's shutdown frames"
        );
        assert!(
            log.client
                .iter()
                .any(|frame| frame.kind == PING && frame.flags & END_STREAM != 0),
            "the client acknowledges the PING"
        );
        assert!(
            !log.client
                .iter()
                .chain(&log.server)
                .any(|frame| frame.kind == RST_STREAM),
            "nothing was cancelled, so no stream was reset"
        );
    }
    // ANCHOR_END: a_connection_frame_by_frame
    // ANCHOR_END: frame_log_test
}
