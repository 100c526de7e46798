//! Lab 2's tests, in the order of the TODOs: varints, zig-zag, keys, encoding a `User`,
//! decoding it, and skipping the fields a reader does not know.
//!
//! The reference is prost, the protobuf library tonic uses: your bytes must be the bytes
//! `prost::Message::encode_to_vec` writes, and your decoder must accept and refuse what
//! `User::decode` accepts and refuses. The same file tests your code
//! (`cargo test -p lab02-protobuf`) and the reference solution
//! (`cargo test -p solution02-protobuf`).
//!
//! A few tests call `prost::encoding`, prost's low-level helpers. That module is public but
//! hidden from prost's docs (generated code uses it; its API may change between versions), so
//! it serves here as a reference to compare with, not as something to build on.

use lab02::{
    DecodeError, EMAIL_FIELD, ID_FIELD, MAX_FIELD_NUMBER, NAME_FIELD, WireType, decode_key,
    decode_length_delimited, decode_user, decode_varint, encode_key, encode_user, encode_varint,
    skip_field, zigzag_decode, zigzag_encode,
};
use prost::Message;
use workbook_proto::user::{CreateUsersResponse, User, v2};

// ---------------------------------------------------------------------------------------
// Helpers: building users, printing bytes, asking prost.
// ---------------------------------------------------------------------------------------

fn user(id: i32, name: &str, email: &str) -> User {
    User {
        id,
        name: name.to_owned(),
        email: email.to_owned(),
    }
}

/// The user of the seed's examples: `CreateUserRequest(name="John", email="john@example.com")`
/// stored as id 1 and fetched back with `GetUser(GetUserRequest(id=1))`.
fn seed_user() -> User {
    user(1, "John", "john@example.com")
}

/// Bytes as lowercase hex pairs separated by spaces: `08 96 01`. Empty input is `(no bytes)`.
fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(no bytes)".to_owned();
    }
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Your varint, as a fresh vector.
fn varint(value: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_varint(value, &mut buf);
    buf
}

/// prost's varint, as a fresh vector.
fn prost_varint(value: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    prost::encoding::encode_varint(value, &mut buf);
    buf
}

fn prost_wire_type(wire_type: WireType) -> prost::encoding::WireType {
    match wire_type {
        WireType::Varint => prost::encoding::WireType::Varint,
        WireType::I64 => prost::encoding::WireType::SixtyFourBit,
        WireType::Len => prost::encoding::WireType::LengthDelimited,
        WireType::I32 => prost::encoding::WireType::ThirtyTwoBit,
    }
}

/// Asserts that your `encode_user` writes exactly prost's bytes for `user`.
#[track_caller]
fn assert_encodes_like_prost(user: &User) -> Vec<u8> {
    let ours = encode_user(user);
    let prost = user.encode_to_vec();
    assert_eq!(
        hex(&ours),
        hex(&prost),
        "encode_user({user:?}) should write prost's bytes (right), but wrote the left ones"
    );
    ours
}

/// The varints of the step 1 tests: the edges of one, two, ... ten bytes.
const VARINT_CASES: &[u64] = &[
    0,
    1,
    127,
    128,
    150,
    300,
    16_383,
    16_384,
    u32::MAX as u64,
    i64::MAX as u64,
    u64::MAX,
];

/// The users of the step 4 and 5 tests, each with what it shows.
fn user_cases() -> Vec<(&'static str, User)> {
    vec![
        ("the seed's user", seed_user()),
        (
            "every field at its default: proto3 writes nothing at all",
            User::default(),
        ),
        (
            "id 0 is the default, so field 1 is left out",
            user(0, "Ann", "ann@example.com"),
        ),
        (
            "id 150 takes a two-byte varint",
            user(150, "Ann", "ann@example.com"),
        ),
        (
            "empty strings are defaults too: only field 1 is written",
            user(5, "", ""),
        ),
        (
            "a negative int32 is sign-extended to 64 bits: ten bytes for -1",
            user(-1, "Neg", ""),
        ),
        ("i32::MIN is ten bytes too", user(i32::MIN, "", "")),
        (
            "i32::MAX takes five bytes, the most a positive int32 needs",
            user(i32::MAX, "Max", ""),
        ),
        (
            "lengths count UTF-8 bytes: \"Zoë 🦀\" is 5 characters but 9 bytes",
            user(42, "Zoë 🦀", "zoe@example.com"),
        ),
        (
            "a 200-byte name needs a two-byte length (c8 01)",
            user(7, &"a".repeat(200), "long@example.com"),
        ),
    ]
}

/// A readable dump of protobuf bytes, one field per line:
/// `08 96 01    field 1 (id) VARINT 150`.
///
/// It reads the bytes with prost's own primitives, so it shows what is on the wire whatever
/// your code does. Fields `user.User` does not declare are marked as unknown.
fn annotate(bytes: &[u8]) -> String {
    let mut rows = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let before = rest;
        let (field, wire_type) =
            prost::encoding::decode_key(&mut rest).expect("annotate() is given valid protobuf");
        let name = match field {
            ID_FIELD => "(id)".to_owned(),
            NAME_FIELD => "(name)".to_owned(),
            EMAIL_FIELD => "(email)".to_owned(),
            _ => "(unknown to user.User)".to_owned(),
        };
        use prost::encoding::WireType as Prost;
        let value = match wire_type {
            Prost::Varint => {
                let raw = prost::encoding::decode_varint(&mut rest).expect("a valid varint");
                if field == ID_FIELD {
                    format!("VARINT {}", raw as i32)
                } else {
                    format!("VARINT {raw}")
                }
            }
            Prost::LengthDelimited => {
                let len = prost::encoding::decode_varint(&mut rest).expect("a valid length");
                let (payload, after) = rest.split_at(len as usize);
                rest = after;
                match std::str::from_utf8(payload) {
                    Ok(text) if !text.chars().any(char::is_control) => {
                        if text.chars().count() > 24 {
                            let start: String = text.chars().take(8).collect();
                            format!("LEN {len} \"{start}…\"")
                        } else {
                            format!("LEN {len} {text:?}")
                        }
                    }
                    _ => format!("LEN {len} (an embedded message or binary)"),
                }
            }
            Prost::SixtyFourBit => {
                let (value, after) = rest.split_at(8);
                rest = after;
                format!("I64 {}", hex(value))
            }
            Prost::ThirtyTwoBit => {
                let (value, after) = rest.split_at(4);
                rest = after;
                format!("I32 {}", hex(value))
            }
            Prost::StartGroup | Prost::EndGroup => unreachable!("proto3 writes no groups"),
        };
        let field_bytes = &before[..before.len() - rest.len()];
        // Long strings would make unreadable lines: show their start.
        let shown = if field_bytes.len() > 20 {
            format!(
                "{} … (+{} bytes)",
                hex(&field_bytes[..16]),
                field_bytes.len() - 16
            )
        } else {
            hex(field_bytes)
        };
        rows.push((shown, format!("field {field} {name} {value}")));
    }
    let width = rows
        .iter()
        .map(|(shown, _)| shown.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (shown, meaning) in rows {
        let pad = width - shown.chars().count();
        out.push_str(&format!("  {shown}{}  {meaning}\n", " ".repeat(pad)));
    }
    out.push_str(&format!("  = {} bytes\n", bytes.len()));
    out
}

// ---------------------------------------------------------------------------------------

mod step_1_varints {
    use super::*;

    // ANCHOR: small_values_take_one_byte_and_each_7_bits_more_take_one_more
    #[test]
    fn small_values_take_one_byte_and_each_7_bits_more_take_one_more() {
        let expected: &[(u64, &str)] = &[
            (0, "00"),
            (1, "01"),
            (127, "7f"),
            (128, "80 01"),
            (150, "96 01"),
            (300, "ac 02"),
            (16_384, "80 80 01"),
            (u64::MAX, "ff ff ff ff ff ff ff ff ff 01"),
        ];
        for &(value, bytes) in expected {
            assert_eq!(
                hex(&varint(value)),
                bytes,
                "encode_varint({value}) should write {bytes}"
            );
        }
    }
    // ANCHOR_END: small_values_take_one_byte_and_each_7_bits_more_take_one_more

    #[test]
    fn encodes_every_edge_value_exactly_like_prost() {
        for &value in VARINT_CASES {
            assert_eq!(
                hex(&varint(value)),
                hex(&prost_varint(value)),
                "encode_varint({value}): left is yours, right is prost's"
            );
        }
    }

    #[test]
    fn appends_to_the_buffer_instead_of_replacing_it() {
        let mut buf = vec![0xaa, 0xbb];
        encode_varint(300, &mut buf);
        assert_eq!(
            hex(&buf),
            "aa bb ac 02",
            "encode_varint must append after what the buffer already holds"
        );
    }

    #[test]
    fn decodes_prost_varints_and_stops_right_after_them() {
        for &value in VARINT_CASES {
            let mut bytes = prost_varint(value);
            bytes.extend_from_slice(&[0xaa, 0xbb]);
            let mut buf = bytes.as_slice();
            let decoded = decode_varint(&mut buf);
            assert_eq!(
                decoded,
                Ok(value),
                "decode_varint of {} should give {value}",
                hex(&bytes)
            );
            assert_eq!(
                hex(buf),
                "aa bb",
                "after decoding {value}, the slice should start right after the varint"
            );
        }
    }

    #[test]
    fn rejects_empty_and_cut_off_varints_as_truncated() {
        let cut_off: &[&[u8]] = &[&[], &[0x80], &[0xff, 0xff], &[0xff; 9]];
        for &bytes in cut_off {
            let mut buf = bytes;
            assert_eq!(
                decode_varint(&mut buf),
                Err(DecodeError::Truncated),
                "{} ends while the continuation bit says more bytes follow",
                hex(bytes)
            );
        }
    }

    // ANCHOR: rejects_a_varint_longer_than_ten_bytes
    #[test]
    fn rejects_a_varint_longer_than_ten_bytes() {
        let mut eleven = vec![0xff; 10];
        eleven.push(0x01);
        let mut buf = eleven.as_slice();
        assert_eq!(
            decode_varint(&mut buf),
            Err(DecodeError::VarintTooLong),
            "{} has the continuation bit on its 10th byte: no u64 is that long",
            hex(&eleven)
        );
        assert!(
            prost::encoding::decode_varint(&mut eleven.as_slice()).is_err(),
            "prost refuses it too"
        );
    }
    // ANCHOR_END: rejects_a_varint_longer_than_ten_bytes

    // ANCHOR: rejects_a_tenth_byte_that_overflows_64_bits
    #[test]
    fn rejects_a_tenth_byte_that_overflows_64_bits() {
        let mut max = vec![0xff; 9];
        max.push(0x01);
        assert_eq!(
            decode_varint(&mut max.as_slice()),
            Ok(u64::MAX),
            "{} is u64::MAX, the largest valid varint",
            hex(&max)
        );

        let mut overflow = vec![0xff; 9];
        overflow.push(0x02);
        assert_eq!(
            decode_varint(&mut overflow.as_slice()),
            Err(DecodeError::VarintOverflow),
            "{}: 9 × 7 = 63 bits come before the 10th byte, so it may only hold 0 or 1",
            hex(&overflow)
        );
        assert!(
            prost::encoding::decode_varint(&mut overflow.as_slice()).is_err(),
            "prost refuses it too"
        );
    }
    // ANCHOR_END: rejects_a_tenth_byte_that_overflows_64_bits

    #[test]
    fn varints_snapshot() {
        let mut table = String::new();
        for &value in VARINT_CASES {
            let bytes = varint(value);
            assert_eq!(
                decode_varint(&mut bytes.as_slice()),
                Ok(value),
                "decode_varint should read back what encode_varint wrote for {value}"
            );
            table.push_str(&format!(
                "{value:>20}  {:>2} byte(s)  {}\n",
                bytes.len(),
                hex(&bytes)
            ));
        }
        test_support::snapshot_settings().bind(|| insta::assert_snapshot!("varints", table));
    }
}

mod step_2_zigzag {
    use super::*;

    #[test]
    fn interleaves_signs_so_small_negatives_stay_small() {
        let expected: &[(i64, u64)] = &[
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (-64, 127),
            (i64::MAX, u64::MAX - 1),
            (i64::MIN, u64::MAX),
        ];
        for &(value, zigzag) in expected {
            assert_eq!(
                zigzag_encode(value),
                zigzag,
                "zigzag_encode({value}) should be {zigzag}"
            );
            assert_eq!(
                zigzag_decode(zigzag),
                value,
                "zigzag_decode({zigzag}) should be {value}"
            );
        }
    }

    #[test]
    fn decode_undoes_encode_across_the_whole_range() {
        let values = [
            0,
            1,
            -1,
            150,
            -150,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ];
        for value in values {
            assert_eq!(
                zigzag_decode(zigzag_encode(value)),
                value,
                "zigzag_decode(zigzag_encode({value})) should give {value} back"
            );
        }
    }

    #[test]
    fn zigzag_varints_are_what_prost_writes_for_sint64() {
        for value in [0, -1, 1, -300, 300, i64::MAX, i64::MIN] {
            let mut prost_bytes = Vec::new();
            prost::encoding::sint64::encode(1, &value, &mut prost_bytes);
            // prost wrote a whole field: the key 08 (field 1, VARINT), then the value.
            assert_eq!(
                hex(&varint(zigzag_encode(value))),
                hex(&prost_bytes[1..]),
                "the sint64 value {value}: left is yours, right is prost's"
            );
        }
    }

    // ANCHOR: minus_one_takes_one_byte_as_sint32_and_ten_as_int32
    #[test]
    fn minus_one_takes_one_byte_as_sint32_and_ten_as_int32() {
        let as_sint32 = varint(zigzag_encode(-1));
        let as_int32 = varint(i64::from(-1i32) as u64);
        assert_eq!(hex(&as_sint32), "01", "sint32 -1 is zig-zag 1: one byte");
        assert_eq!(
            as_int32.len(),
            10,
            "int32 -1 is sign-extended to 64 bits: ten bytes, got {}",
            hex(&as_int32)
        );
    }
    // ANCHOR_END: minus_one_takes_one_byte_as_sint32_and_ten_as_int32
}

mod step_3_keys {
    use super::*;

    const WIRE_TYPES: [WireType; 4] = [
        WireType::Varint,
        WireType::I64,
        WireType::Len,
        WireType::I32,
    ];

    fn key(field: u32, wire_type: WireType) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_key(field, wire_type, &mut buf);
        buf
    }

    // ANCHOR: a_key_is_the_field_number_shifted_left_three_bits_or_the_wire_type
    #[test]
    fn a_key_is_the_field_number_shifted_left_three_bits_or_the_wire_type() {
        let expected: &[(u32, WireType, &str)] = &[
            (1, WireType::Varint, "08"),
            (2, WireType::Len, "12"),
            (3, WireType::Len, "1a"),
            (4, WireType::I64, "21"),
            (5, WireType::I32, "2d"),
            (15, WireType::Len, "7a"),
            (16, WireType::Varint, "80 01"),
            (MAX_FIELD_NUMBER, WireType::I32, "fd ff ff ff 0f"),
        ];
        for &(field, wire_type, bytes) in expected {
            assert_eq!(
                hex(&key(field, wire_type)),
                bytes,
                "encode_key({field}, {wire_type:?}) should be varint({field} << 3 | {})",
                wire_type as u8
            );
        }
    }
    // ANCHOR_END: a_key_is_the_field_number_shifted_left_three_bits_or_the_wire_type

    #[test]
    fn keys_match_prost_for_every_wire_type() {
        for field in [1, 2, 15, 16, 2_047, 2_048, MAX_FIELD_NUMBER] {
            for wire_type in WIRE_TYPES {
                let mut prost_bytes = Vec::new();
                prost::encoding::encode_key(field, prost_wire_type(wire_type), &mut prost_bytes);
                assert_eq!(
                    hex(&key(field, wire_type)),
                    hex(&prost_bytes),
                    "encode_key({field}, {wire_type:?}): left is yours, right is prost's"
                );
            }
        }
    }

    #[test]
    fn decode_key_reads_back_the_field_and_wire_type() {
        for field in [1, 2, 15, 16, 2_047, 2_048, MAX_FIELD_NUMBER] {
            for wire_type in WIRE_TYPES {
                let mut bytes = key(field, wire_type);
                bytes.push(0xaa);
                let mut buf = bytes.as_slice();
                assert_eq!(
                    decode_key(&mut buf),
                    Ok((field, wire_type)),
                    "decode_key of {}",
                    hex(&bytes)
                );
                assert_eq!(hex(buf), "aa", "decode_key should consume exactly the key");
            }
        }
    }

    // ANCHOR: decode_key_rejects_group_and_undefined_wire_types
    #[test]
    fn decode_key_rejects_group_and_undefined_wire_types() {
        // Field 1 with wire types 3 and 4 (proto2 groups), 6 and 7 (never defined).
        for (key, bits) in [(0x0b, 3), (0x0c, 4), (0x0e, 6), (0x0f, 7)] {
            assert_eq!(
                decode_key(&mut [key].as_slice()),
                Err(DecodeError::InvalidWireType(bits)),
                "key {key:02x} has wire type {bits}"
            );
        }
    }
    // ANCHOR_END: decode_key_rejects_group_and_undefined_wire_types

    // ANCHOR: decode_key_rejects_field_number_zero_and_numbers_above_the_maximum
    #[test]
    fn decode_key_rejects_field_number_zero_and_numbers_above_the_maximum() {
        let too_big = u64::from(MAX_FIELD_NUMBER) + 1;
        let cases = [
            (0u64, 0u64),
            ((too_big << 3) | 2, too_big),
            ((1 << 40) << 3, 1 << 40),
        ];
        for (key, number) in cases {
            let bytes = varint(key);
            assert_eq!(
                decode_key(&mut bytes.as_slice()),
                Err(DecodeError::InvalidFieldNumber(number)),
                "key {} names field {number}: field numbers run from 1 to {MAX_FIELD_NUMBER}",
                hex(&bytes)
            );
        }
    }
    // ANCHOR_END: decode_key_rejects_field_number_zero_and_numbers_above_the_maximum

    // ANCHOR: packed_test
    // ANCHOR: a_packed_repeated_field_is_one_len_field_of_varints_back_to_back
    #[test]
    fn a_packed_repeated_field_is_one_len_field_of_varints_back_to_back() {
        // `repeated int32 scores = 6;` holding [1, 150, 300]: proto3 packs it.
        let scores = [1i32, 150, 300];
        let mut payload = Vec::new();
        for score in scores {
            encode_varint(i64::from(score) as u64, &mut payload);
        }
        let mut packed = Vec::new();
        encode_key(6, WireType::Len, &mut packed);
        encode_varint(payload.len() as u64, &mut packed);
        packed.extend_from_slice(&payload);

        let mut prost_bytes = Vec::new();
        prost::encoding::int32::encode_packed(6, &scores, &mut prost_bytes);
        assert_eq!(
            hex(&packed),
            hex(&prost_bytes),
            "left is yours, right prost's"
        );
        // One key for the whole list instead of one per element.
        assert_eq!(hex(&packed), "32 05 01 96 01 ac 02");
    }
    // ANCHOR_END: a_packed_repeated_field_is_one_len_field_of_varints_back_to_back
    // ANCHOR_END: packed_test
}

mod step_4_encode_user {
    use super::*;

    #[test]
    fn encodes_every_case_byte_identical_to_prost() {
        for (title, user) in user_cases() {
            let ours = encode_user(&user);
            assert_eq!(
                hex(&ours),
                hex(&user.encode_to_vec()),
                "case {title:?}: encode_user({user:?}) (left) should equal prost's bytes (right)"
            );
        }
    }

    #[test]
    fn leaves_out_fields_that_hold_their_default_value() {
        assert_eq!(
            hex(&encode_user(&User::default())),
            "(no bytes)",
            "a user with id 0 and empty strings is all defaults: proto3 writes nothing"
        );
        assert_eq!(
            hex(&encode_user(&user(0, "Ann", ""))),
            "12 03 41 6e 6e",
            "only the name is set: one field, 2 (name), LEN 3, \"Ann\""
        );
    }

    // ANCHOR: writes_a_negative_int32_id_as_a_ten_byte_varint
    #[test]
    fn writes_a_negative_int32_id_as_a_ten_byte_varint() {
        let bytes = assert_encodes_like_prost(&user(-1, "", ""));
        assert_eq!(
            hex(&bytes),
            "08 ff ff ff ff ff ff ff ff ff 01",
            "int32 -1: the key 08, then -1 sign-extended to 64 bits as a varint"
        );
    }
    // ANCHOR_END: writes_a_negative_int32_id_as_a_ten_byte_varint

    #[test]
    fn counts_string_lengths_in_utf8_bytes_not_characters() {
        let name = "Zoë 🦀";
        assert_eq!(name.chars().count(), 5);
        let bytes = assert_encodes_like_prost(&user(0, name, ""));
        assert_eq!(
            hex(&bytes[..2]),
            "12 09",
            "the length of {name:?} is its 9 UTF-8 bytes (ë takes 2, 🦀 takes 4)"
        );
        assert_eq!(
            &bytes[2..],
            name.as_bytes(),
            "then the UTF-8 bytes themselves"
        );
    }

    // ANCHOR: v1_bytes_decode_as_v2_with_the_new_fields_at_their_defaults
    #[test]
    fn v1_bytes_decode_as_v2_with_the_new_fields_at_their_defaults() {
        // An old writer (your v1 encoder), a new reader (prost's user.v2.User).
        let bytes = assert_encodes_like_prost(&seed_user());
        let v2_user = v2::User::decode(bytes.as_slice()).expect("v1 bytes are valid v2 bytes");
        assert_eq!(
            v2_user,
            v2::User {
                id: 1,
                name: "John".into(),
                email: "john@example.com".into(),
                // Added in v2: absent from old bytes, so every one takes its default.
                display_name: String::new(),
                roles: Vec::new(),
                created_at_unix_seconds: 0,
                address: None,
            }
        );
    }
    // ANCHOR_END: v1_bytes_decode_as_v2_with_the_new_fields_at_their_defaults

    // ANCHOR: size_test
    // ANCHOR: protobuf_is_smaller_than_compact_json
    #[test]
    fn protobuf_is_smaller_than_compact_json() {
        // The seed's user, once as protobuf and once as the JSON a REST API would send.
        let protobuf = encode_user(&seed_user());
        let json = r#"{"id":1,"name":"John","email":"john@example.com"}"#;
        assert_eq!(protobuf.len(), 26, "protobuf: {}", hex(&protobuf));
        assert_eq!(json.len(), 49);

        // A thousand users in a `CreateUsersResponse { count, repeated User users = 2 }`:
        // each user is an embedded message, i.e. a LEN field holding its encoding.
        let users: Vec<User> = (1..=1000)
            .map(|id| user(id, &format!("User {id}"), &format!("user{id}@example.com")))
            .collect();
        let mut list = Vec::new();
        encode_key(1, WireType::Varint, &mut list);
        encode_varint(1000, &mut list);
        for user in &users {
            let bytes = encode_user(user);
            encode_key(2, WireType::Len, &mut list);
            encode_varint(bytes.len() as u64, &mut list);
            list.extend_from_slice(&bytes);
        }
        let response = CreateUsersResponse {
            count: 1000,
            users: users.clone(),
        };
        assert_eq!(list, response.encode_to_vec(), "must be prost's bytes");

        let json_users: Vec<String> = users
            .iter()
            .map(|u| {
                format!(
                    r#"{{"id":{},"name":"{}","email":"{}"}}"#,
                    u.id, u.name, u.email
                )
            })
            .collect();
        let json = format!(r#"{{"count":1000,"users":[{}]}}"#, json_users.join(","));
        assert_eq!(list.len(), 35_662);
        assert_eq!(json.len(), 58_703);
    }
    // ANCHOR_END: protobuf_is_smaller_than_compact_json
    // ANCHOR_END: size_test

    // ANCHOR: user_encodings_snapshot
    #[test]
    fn user_encodings_snapshot() {
        let mut dumps = String::new();
        for (title, user) in user_cases() {
            let bytes = assert_encodes_like_prost(&user);
            let shown = if user.name.len() > 40 {
                format!(
                    "User {{ id: {}, name: \"a\" × {}, email: {:?} }}",
                    user.id,
                    user.name.len(),
                    user.email
                )
            } else {
                format!("{user:?}")
            };
            dumps.push_str(&format!("# {title}\n{shown}\n{}\n", annotate(&bytes)));
        }
        test_support::snapshot_settings().bind(|| insta::assert_snapshot!("user_encodings", dumps));
    }
    // ANCHOR_END: user_encodings_snapshot
}

mod step_5_decode_user {
    use super::*;

    #[test]
    fn decode_length_delimited_returns_the_bytes_and_moves_past_them() {
        let bytes = [0x03, b'a', b'b', b'c', 0xaa];
        let mut buf = bytes.as_slice();
        assert_eq!(
            decode_length_delimited(&mut buf),
            Ok(&b"abc"[..]),
            "03 61 62 63 is a length of 3, then \"abc\""
        );
        assert_eq!(hex(buf), "aa", "the slice should now start after \"abc\"");

        let empty = [0x00, 0xaa];
        let mut buf = empty.as_slice();
        assert_eq!(decode_length_delimited(&mut buf), Ok(&b""[..]));
        assert_eq!(
            hex(buf),
            "aa",
            "a zero length consumes only the length byte"
        );
    }

    // ANCHOR: decode_length_delimited_rejects_a_length_past_the_end
    #[test]
    fn decode_length_delimited_rejects_a_length_past_the_end() {
        let mut huge = vec![0xff; 9];
        huge.push(0x01);
        let cases: [&[u8]; 3] = [&[0x05, b'a', b'b'], &[], &huge];
        for bytes in cases {
            assert_eq!(
                decode_length_delimited(&mut &bytes[..]),
                Err(DecodeError::Truncated),
                "{} announces more bytes than it holds",
                hex(bytes)
            );
        }
    }
    // ANCHOR_END: decode_length_delimited_rejects_a_length_past_the_end

    #[test]
    fn decodes_every_case_back_to_the_same_user() {
        for (title, user) in user_cases() {
            let bytes = user.encode_to_vec();
            assert_eq!(
                decode_user(&bytes),
                Ok(user.clone()),
                "case {title:?}: decoding prost's bytes {}",
                hex(&bytes)
            );
        }
    }

    // ANCHOR: decodes_fields_in_any_order
    #[test]
    fn decodes_fields_in_any_order() {
        // The seed user with its fields written email, name, id: valid protobuf, even though
        // prost (and your encoder) always write them in field-number order.
        let mut reversed = user(0, "", "john@example.com").encode_to_vec();
        reversed.extend(user(0, "John", "").encode_to_vec());
        reversed.extend(user(1, "", "").encode_to_vec());
        assert_eq!(
            User::decode(reversed.as_slice()),
            Ok(seed_user()),
            "prost reads it as the seed user"
        );
        assert_eq!(
            decode_user(&reversed),
            Ok(seed_user()),
            "fields in reverse order: {}",
            hex(&reversed)
        );
    }
    // ANCHOR_END: decodes_fields_in_any_order

    // ANCHOR: the_last_occurrence_of_a_field_wins
    #[test]
    fn the_last_occurrence_of_a_field_wins() {
        // Two messages back to back read as one message with both sets of fields. A field
        // set in both takes its last value; a field set only in the first keeps it.
        let mut bytes = user(1, "Old", "old@example.com").encode_to_vec();
        bytes.extend(user(2, "New", "").encode_to_vec());
        let expected = user(2, "New", "old@example.com");
        assert_eq!(
            User::decode(bytes.as_slice()),
            Ok(expected.clone()),
            "prost"
        );
        assert_eq!(
            decode_user(&bytes),
            Ok(expected),
            "decoding {}",
            hex(&bytes)
        );
    }
    // ANCHOR_END: the_last_occurrence_of_a_field_wins

    #[test]
    fn rejects_a_field_whose_wire_type_changed() {
        // Field 1 (id, VARINT) sent as a string, the way a writer whose schema said
        // `string id = 1;` would send it; and field 2 (name, LEN) sent as a number.
        let id_as_string = [0x0a, 0x03, b'o', b'n', b'e'];
        assert_eq!(
            decode_user(&id_as_string),
            Err(DecodeError::WrongWireType {
                field: 1,
                expected: WireType::Varint,
                found: WireType::Len,
            }),
            "decoding {}",
            hex(&id_as_string)
        );
        let name_as_number = [0x10, 0x05];
        assert_eq!(
            decode_user(&name_as_number),
            Err(DecodeError::WrongWireType {
                field: 2,
                expected: WireType::Len,
                found: WireType::Varint,
            }),
            "decoding {}",
            hex(&name_as_number)
        );
        // prost refuses both as well: changing a field's type is a breaking change.
        assert!(User::decode(&id_as_string[..]).is_err());
        assert!(User::decode(&name_as_number[..]).is_err());
    }

    // ANCHOR: returns_truncated_instead_of_panicking_on_cut_off_input
    #[test]
    fn returns_truncated_instead_of_panicking_on_cut_off_input() {
        let bytes = seed_user().encode_to_vec();
        // The seed user is `08 01 | 12 04 John | 1a 10 john@example.com`: a cut at 0, 2, 8
        // or 26 falls between fields and leaves a shorter but valid message.
        let field_ends = [0, 2, 8, bytes.len()];
        for cut in 0..=bytes.len() {
            let prefix = &bytes[..cut];
            let ours = decode_user(prefix);
            assert_eq!(
                ours.is_ok(),
                User::decode(prefix).is_ok(),
                "the first {cut} bytes: you returned {ours:?}; prost disagrees"
            );
            if !field_ends.contains(&cut) {
                assert_eq!(
                    ours,
                    Err(DecodeError::Truncated),
                    "the first {cut} bytes end inside a field: {}",
                    hex(prefix)
                );
            }
        }
    }
    // ANCHOR_END: returns_truncated_instead_of_panicking_on_cut_off_input

    #[test]
    fn rejects_an_overlong_varint_in_a_field() {
        let mut bytes = vec![0x08];
        bytes.extend([0xff; 10]);
        bytes.push(0x01);
        assert_eq!(
            decode_user(&bytes),
            Err(DecodeError::VarintTooLong),
            "field 1 followed by an 11-byte varint: {}",
            hex(&bytes)
        );
        assert!(
            User::decode(bytes.as_slice()).is_err(),
            "prost refuses it too"
        );
    }

    // ANCHOR: rejects_a_string_field_that_is_not_utf8
    #[test]
    fn rejects_a_string_field_that_is_not_utf8() {
        // c3 starts a two-byte character, but 28 is not a continuation byte.
        let bad_name = [0x12, 0x02, 0xc3, 0x28];
        assert_eq!(
            decode_user(&bad_name),
            Err(DecodeError::InvalidUtf8 { field: 2 }),
            "decoding {}",
            hex(&bad_name)
        );
        let bad_email = [0x08, 0x01, 0x1a, 0x01, 0xff];
        assert_eq!(
            decode_user(&bad_email),
            Err(DecodeError::InvalidUtf8 { field: 3 }),
            "decoding {}",
            hex(&bad_email)
        );
        assert!(User::decode(&bad_name[..]).is_err(), "prost refuses it too");
    }
    // ANCHOR_END: rejects_a_string_field_that_is_not_utf8

    #[test]
    fn decode_errors_snapshot() {
        let mut eleven_byte_varint = vec![0x08];
        eleven_byte_varint.extend([0xff; 10]);
        eleven_byte_varint.push(0x01);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "the seed user cut off inside the email",
                seed_user().encode_to_vec()[..20].to_vec(),
            ),
            (
                "a name whose length says 5 but only 2 bytes follow",
                vec![0x12, 0x05, b'J', b'o'],
            ),
            (
                "field 1 (id) sent as a string",
                vec![0x0a, 0x03, b'o', b'n', b'e'],
            ),
            ("field 3 (email) sent as a fixed32", vec![0x1d, 1, 2, 3, 4]),
            ("an 11-byte varint", eleven_byte_varint),
            ("a name that is not UTF-8", vec![0x12, 0x02, 0xc3, 0x28]),
            ("a key with field number 0", vec![0x00, 0x01]),
            ("a key with wire type 3 (a proto2 group)", vec![0x0b]),
        ];
        let mut report = String::new();
        for (title, bytes) in cases {
            let outcome = match decode_user(&bytes) {
                Ok(user) => format!("Ok({user:?})"),
                Err(error) => format!("{error:?}\n   \"{error}\""),
            };
            report.push_str(&format!("# {title}\n{}\n-> {outcome}\n\n", hex(&bytes)));
        }
        test_support::snapshot_settings().bind(|| insta::assert_snapshot!("decode_errors", report));
    }
}

mod step_6_unknown_fields {
    use super::*;

    /// A `user.v2.User` with every field the v1 message does not know about.
    fn v2_user() -> v2::User {
        v2::User {
            id: 7,
            name: "Ann".into(),
            email: "ann@example.com".into(),
            display_name: "Ann L.".into(),
            roles: vec!["admin".into(), "dev".into()],
            created_at_unix_seconds: 1_700_000_000,
            address: Some(v2::Address {
                city: "Oslo".into(),
                country_code: "NO".into(),
            }),
        }
    }

    // ANCHOR: skip_field_steps_over_one_value_of_each_wire_type
    #[test]
    fn skip_field_steps_over_one_value_of_each_wire_type() {
        let cases: [(WireType, &[u8]); 4] = [
            (WireType::Varint, &[0x96, 0x01, 0xaa]),
            (WireType::I64, &[1, 2, 3, 4, 5, 6, 7, 8, 0xaa]),
            (WireType::Len, &[0x03, b'a', b'b', b'c', 0xaa]),
            (WireType::I32, &[1, 2, 3, 4, 0xaa]),
        ];
        for (wire_type, bytes) in cases {
            let mut buf = bytes;
            assert_eq!(
                skip_field(wire_type, &mut buf),
                Ok(()),
                "skip_field({wire_type:?}) of {}",
                hex(bytes)
            );
            assert_eq!(
                hex(buf),
                "aa",
                "skip_field({wire_type:?}) of {} should stop right before the last byte",
                hex(bytes)
            );
        }
    }
    // ANCHOR_END: skip_field_steps_over_one_value_of_each_wire_type

    #[test]
    fn skip_field_reports_a_cut_off_value_as_truncated() {
        let cases: [(WireType, &[u8]); 4] = [
            (WireType::Varint, &[0x96]),
            (WireType::I64, &[1, 2, 3, 4, 5, 6, 7]),
            (WireType::Len, &[0x05, b'a', b'b']),
            (WireType::I32, &[1, 2, 3]),
        ];
        for (wire_type, bytes) in cases {
            assert_eq!(
                skip_field(wire_type, &mut &bytes[..]),
                Err(DecodeError::Truncated),
                "skip_field({wire_type:?}) of {}: the value runs past the end",
                hex(bytes)
            );
        }
    }

    // ANCHOR: a_v1_reader_skips_the_fields_v2_added
    #[test]
    fn a_v1_reader_skips_the_fields_v2_added() {
        let bytes = v2_user().encode_to_vec();
        let prost_v1 = User::decode(bytes.as_slice()).expect("prost reads v2 bytes as v1");
        assert_eq!(prost_v1, user(7, "Ann", "ann@example.com"));
        assert_eq!(
            decode_user(&bytes),
            Ok(prost_v1),
            "v2 bytes read as v1 should keep id, name and email and skip fields 5 to 8: {}",
            hex(&bytes)
        );
    }
    // ANCHOR_END: a_v1_reader_skips_the_fields_v2_added

    // ANCHOR: unknown_fields_of_every_wire_type_are_skipped_wherever_they_appear
    #[test]
    fn unknown_fields_of_every_wire_type_are_skipped_wherever_they_appear() {
        use prost::encoding::{self, WireType as Prost};
        let mut bytes = Vec::new();
        encoding::encode_key(9, Prost::Varint, &mut bytes);
        encoding::encode_varint(u64::MAX, &mut bytes);
        bytes.extend(user(1, "", "").encode_to_vec());
        encoding::encode_key(10, Prost::SixtyFourBit, &mut bytes);
        bytes.extend(2.5f64.to_le_bytes());
        bytes.extend(user(0, "John", "").encode_to_vec());
        encoding::encode_key(11, Prost::LengthDelimited, &mut bytes);
        encoding::encode_varint(3, &mut bytes);
        bytes.extend(b"\x08\x01\x12"); // bytes that look like fields: skipped all the same
        encoding::encode_key(12, Prost::ThirtyTwoBit, &mut bytes);
        bytes.extend(7u32.to_le_bytes());
        bytes.extend(user(0, "", "john@example.com").encode_to_vec());
        encoding::encode_key(MAX_FIELD_NUMBER, Prost::Varint, &mut bytes);
        encoding::encode_varint(1, &mut bytes);

        assert_eq!(User::decode(bytes.as_slice()), Ok(seed_user()), "prost");
        assert_eq!(
            decode_user(&bytes),
            Ok(seed_user()),
            "decoding {}",
            hex(&bytes)
        );
    }
    // ANCHOR_END: unknown_fields_of_every_wire_type_are_skipped_wherever_they_appear

    // ANCHOR: drops_unknown_test
    // ANCHOR: re_encoding_through_v1_drops_the_fields_v2_added
    #[test]
    fn re_encoding_through_v1_drops_the_fields_v2_added() {
        // A v1 service in the middle: it decodes v2 bytes as v1, and encodes what it has.
        let original = v2_user().encode_to_vec();
        let relayed = encode_user(&decode_user(&original).expect("v2 bytes are valid v1"));

        // prost does the same: its structs have no place to keep unknown fields. (The
        // official Go, Java, C++ and Python runtimes keep them and write them back.)
        let prost_relayed = User::decode(original.as_slice()).unwrap().encode_to_vec();
        assert_eq!(
            hex(&relayed),
            hex(&prost_relayed),
            "left yours, right prost's"
        );

        assert_eq!((original.len(), relayed.len()), (62, 24));
        let seen_downstream = v2::User::decode(relayed.as_slice()).unwrap();
        assert_eq!(seen_downstream.display_name, "", "display_name was lost");
        assert_eq!(seen_downstream.address, None, "address was lost");
    }
    // ANCHOR_END: re_encoding_through_v1_drops_the_fields_v2_added
    // ANCHOR_END: drops_unknown_test

    // ANCHOR: v2_user_read_as_v1_snapshot
    #[test]
    fn v2_user_read_as_v1_snapshot() {
        let bytes = v2_user().encode_to_vec();
        let decoded = decode_user(&bytes);
        assert!(
            decoded.is_ok(),
            "v2 bytes should decode as v1, got {decoded:?}"
        );
        let report = format!(
            "{:?}\n{}\ndecode_user -> {decoded:?}\n",
            v2_user(),
            annotate(&bytes)
        );
        test_support::snapshot_settings()
            .bind(|| insta::assert_snapshot!("v2_user_read_as_v1", report));
    }
    // ANCHOR_END: v2_user_read_as_v1_snapshot
}
