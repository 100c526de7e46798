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
    // TODO(lab 11, step 3): read `<digits><unit>`.
    // 1. Split off the last *character* (`value.chars().next_back()`, then
    //    `chars.as_str()` is the rest): slicing bytes could cut a multi-byte character in
    //    two and panic. No character at all: `TimeoutError::Empty`.
    // 2. The unit: H (hours), M (minutes), S (seconds), m (milliseconds), u (microseconds),
    //    n (nanoseconds). A digit there means the unit is missing
    //    (`TimeoutError::MissingUnit`); anything else is `TimeoutError::UnknownUnit(c)`.
    // 3. The digits: none is `NoDigits`; a character that is not an ASCII digit is
    //    `NotADigit(c)` (check yourself: `u64::from_str` would accept "+5"); more than
    //    MAX_TIMEOUT_DIGITS is `TooManyDigits(count)`.
    // 4. The value times its unit, as a `Duration` (`Duration::from_secs(n * 3600)` for
    //    hours, `Duration::from_nanos(n)` for nanoseconds, ...). 8 digits can't overflow.
    let _ = value;
    todo!("lab 11, step 3: implement parse_grpc_timeout in labs/11_on_the_wire/src/timeout.rs")
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
    // TODO(lab 11, step 3): try the units from the most precise to the coarsest:
    // `timeout.as_nanos()` with 'n', `as_micros()` with 'u', `as_millis()` with 'm',
    // `as_secs()` with 'S', `as_secs() / 60` with 'M', `as_secs() / 3600` with 'H'.
    // The first value that is at most MAX_TIMEOUT_VALUE (8 digits) wins: write it as
    // `format!("{value}{unit}")`. If none fits, return `"99999999H"`.
    // (The conversions return u128 or u64: compare them as u128.)
    let _ = timeout;
    todo!("lab 11, step 3: implement format_grpc_timeout in labs/11_on_the_wire/src/timeout.rs")
}
// ANCHOR_END: format_grpc_timeout
