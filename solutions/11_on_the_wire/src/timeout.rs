//! Step 3: the `grpc-timeout` header.
//!
//! A deadline travels as a *duration*, not a point in time: the two machines' clocks need
//! not agree, only tick at the same rate. The value is an integer of at most 8 digits
//! followed by one unit letter:
//!
//! | unit | letter | example |
//! |---|---|---|
//! | hours | `H` | `2H` |
//! | minutes | `M` | `90M` |
//! | seconds | `S` | `30S` |
//! | milliseconds | `m` | `1500m` |
//! | microseconds | `u` | `5000000u` |
//! | nanoseconds | `n` | `250n` |
//!
//! Case matters: `M` is minutes and `m` milliseconds. The 8-digit limit keeps every value
//! below 10^8, so it fits in 32 bits and turning it into a `Duration` (hours times 3,600
//! seconds) cannot overflow; it also forces a sender to pick a coarser unit for long
//! timeouts.

use std::{fmt, time::Duration};

/// The most digits a `grpc-timeout` value may have.
pub const MAX_TIMEOUT_DIGITS: usize = 8;

/// The largest value that fits in [`MAX_TIMEOUT_DIGITS`] digits.
pub const MAX_TIMEOUT_VALUE: u64 = 99_999_999;

// ANCHOR: timeout_error
/// Why a `grpc-timeout` value cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeoutError {
    /// The header is empty.
    Empty,
    /// The last character is a digit: the unit letter is missing (`"100"`).
    MissingUnit,
    /// The last character is not one of `H M S m u n`.
    UnknownUnit(char),
    /// Nothing before the unit (`"S"`).
    NoDigits,
    /// More than [`MAX_TIMEOUT_DIGITS`] digits before the unit.
    TooManyDigits(usize),
    /// A character before the unit that is not an ASCII digit: a sign, a space, a dot.
    NotADigit(char),
}
// ANCHOR_END: timeout_error

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty grpc-timeout"),
            Self::MissingUnit => f.write_str(
                "grpc-timeout has no unit: it must end in H, M, S, m, u or n (e.g. 100m)",
            ),
            Self::UnknownUnit(unit) => write!(
                f,
                "unknown grpc-timeout unit {unit:?}: expected H, M, S, m, u or n (case matters)"
            ),
            Self::NoDigits => f.write_str("grpc-timeout has a unit but no digits before it"),
            Self::TooManyDigits(digits) => write!(
                f,
                "grpc-timeout has {digits} digits; at most {MAX_TIMEOUT_DIGITS} are allowed"
            ),
            Self::NotADigit(c) => write!(
                f,
                "grpc-timeout may only have ASCII digits before the unit, found {c:?}"
            ),
        }
    }
}

impl std::error::Error for TimeoutError {}

// ANCHOR: parse_grpc_timeout
/// Reads a `grpc-timeout` value such as `5000000u` or `30S`.
///
/// Strict, as the specification's grammar is: 1 to 8 ASCII digits, then exactly one of
/// `H M S m u n`. No sign, no spaces, no fraction, no other unit.
pub fn parse_grpc_timeout(value: &str) -> Result<Duration, TimeoutError> {
    // Split off the last *character*, not the last byte: a value off the wire may end in a
    // multi-byte character, and slicing inside one would panic.
    let mut chars = value.chars();
    let unit = chars.next_back().ok_or(TimeoutError::Empty)?;
    let digits = chars.as_str();

    let to_duration: fn(u64) -> Duration = match unit {
        'H' => |n| Duration::from_secs(n * 3600),
        'M' => |n| Duration::from_secs(n * 60),
        'S' => Duration::from_secs,
        'm' => Duration::from_millis,
        'u' => Duration::from_micros,
        'n' => Duration::from_nanos,
        c if c.is_ascii_digit() => return Err(TimeoutError::MissingUnit),
        c => return Err(TimeoutError::UnknownUnit(c)),
    };

    if digits.is_empty() {
        return Err(TimeoutError::NoDigits);
    }
    // Check the characters ourselves: `u64::from_str` would also accept a leading `+`.
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
        return Err(TimeoutError::NotADigit(c));
    }
    if digits.len() > MAX_TIMEOUT_DIGITS {
        return Err(TimeoutError::TooManyDigits(digits.len()));
    }
    // At most 8 ASCII digits: the value fits in a u64, and times 3600 it still does.
    let mut value = 0u64;
    for digit in digits.bytes() {
        value = value * 10 + u64::from(digit - b'0');
    }
    Ok(to_duration(value))
}
// ANCHOR_END: parse_grpc_timeout

// ANCHOR: format_grpc_timeout
/// Writes `timeout` as a `grpc-timeout` value, exactly as tonic's `Request::set_timeout`
/// does: in the most precise unit (nanoseconds first, then microseconds, milliseconds,
/// seconds, minutes, hours) whose value fits in 8 digits, rounded down.
///
/// 5 s is `5000000u` (5,000,000,000 ns has ten digits, 5,000,000 µs has seven). Rounding
/// down can only make the deadline a little earlier, never later. A timeout too long even
/// for `99999999H` (over 11,000 years) is written as `99999999H`.
pub fn format_grpc_timeout(timeout: Duration) -> String {
    let candidates = [
        (timeout.as_nanos(), 'n'),
        (timeout.as_micros(), 'u'),
        (timeout.as_millis(), 'm'),
        (u128::from(timeout.as_secs()), 'S'),
        (u128::from(timeout.as_secs() / 60), 'M'),
        (u128::from(timeout.as_secs() / 3600), 'H'),
    ];
    candidates
        .into_iter()
        .find(|&(value, _)| value <= u128::from(MAX_TIMEOUT_VALUE))
        .map_or_else(
            || format!("{MAX_TIMEOUT_VALUE}H"),
            |(value, unit)| format!("{value}{unit}"),
        )
}
// ANCHOR_END: format_grpc_timeout
