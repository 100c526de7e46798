//! Reading what `cargo test` prints.
//!
//! libtest (the standard test harness) prints one `test NAME ... ok|FAILED|ignored` line per
//! test, then, for each failure, a block headed `---- NAME stdout ----` with what the test
//! printed, including every panic: `thread 'NAME' (ID) panicked at FILE:LINE:COL:` followed
//! by the panic message. Chapter 0 teaches learners to read exactly that; this module reads
//! it for them. cargo's own messages (compiler errors) go to stderr.
//!
//! The format is libtest's human output, which is stable in practice but not promised. The
//! machine-readable `--format json` is still unstable (nightly only), so this is what a
//! stable toolchain offers.

/// What one `cargo test` run said about its tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// The tests that passed, in the order reported.
    pub passed: Vec<String>,
    /// The tests that failed, in the order reported, each with the panics it printed.
    pub failed: Vec<Failure>,
    /// How many tests were ignored.
    pub ignored: usize,
}

/// One failed test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The test's path, e.g. `step_1_store::returns_none_for_an_id_nobody_has`.
    pub name: String,
    /// The panics in its output block, first first. A test of a server often shows two: the
    /// server's (the real cause), then the client's assertion.
    pub panics: Vec<Panic>,
    /// How many lines of the block are neither a panic nor its message (a snapshot diff,
    /// whatever the test printed).
    pub other_lines: usize,
}

/// One panic: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    /// `FILE:LINE:COL`, relative to the workspace root, as the panic line gives it.
    pub location: Option<String>,
    /// The message, up to [`MAX_MESSAGE_LINES`] lines.
    pub message: String,
}

/// A compiler error from cargo's stderr: the first line and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    /// `error[E0308]: mismatched types`.
    pub message: String,
    /// `labs/03_unary/src/store.rs:103:9`, from the ` --> ` line, when there is one.
    pub location: Option<String>,
}

/// Longer panic messages are cut here: the point is to say which test and why in one
/// screen, and the full text is one `cargo test` away.
pub const MAX_MESSAGE_LINES: usize = 12;

/// Reads libtest's output (cargo's stdout).
pub fn parse_test_output(stdout: &str) -> TestReport {
    let mut report = TestReport::default();
    let mut failed_order = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        if let Some(name) = rest.strip_suffix(" ... ok") {
            report.passed.push(name.to_owned());
        } else if let Some(name) = rest.strip_suffix(" ... FAILED") {
            failed_order.push(name.to_owned());
        } else if rest.ends_with(" ... ignored") || rest.contains(" ... ignored, ") {
            report.ignored += 1;
        }
    }
    let blocks = failure_blocks(stdout);
    report.failed = failed_order
        .into_iter()
        .map(|name| {
            let (panics, other_lines) = blocks
                .iter()
                .find(|(block_name, _)| *block_name == name)
                .map(|(_, lines)| panics_in(lines))
                .unwrap_or_default();
            Failure {
                name,
                panics,
                other_lines,
            }
        })
        .collect();
    report
}

/// The `---- NAME stdout ----` blocks: each test's name and its lines.
fn failure_blocks(stdout: &str) -> Vec<(&str, Vec<&str>)> {
    let mut blocks: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut open = false;
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|rest| rest.strip_suffix(" stdout ----"))
        {
            blocks.push((name, Vec::new()));
            open = true;
        } else if line == "failures:" || line.starts_with("test result: ") {
            open = false;
        } else if open && let Some((_, lines)) = blocks.last_mut() {
            lines.push(line);
        }
    }
    blocks
}

/// The panics in a block's lines, and how many other lines there are.
fn panics_in(lines: &[&str]) -> (Vec<Panic>, usize) {
    let mut panics = Vec::new();
    let mut other = 0;
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        index += 1;
        let Some(location) = panic_location(line) else {
            if !line.trim().is_empty() && !line.starts_with("note: run with `RUST_BACKTRACE") {
                other += 1;
            }
            continue;
        };
        let mut message = Vec::new();
        while index < lines.len() && !ends_message(lines[index]) {
            if message.len() < MAX_MESSAGE_LINES {
                message.push(lines[index]);
            } else if message.len() == MAX_MESSAGE_LINES {
                message.push("[...]");
            }
            index += 1;
        }
        panics.push(Panic {
            location,
            message: message.join("\n"),
        });
    }
    (panics, other)
}

/// For a panic line, `Some(location)`: `thread 'NAME' (ID) panicked at FILE:LINE:COL:`.
/// (Before Rust 1.89 the thread id was not printed; both forms are read.)
fn panic_location(line: &str) -> Option<Option<String>> {
    if !line.starts_with("thread '") {
        return None;
    }
    let (_, rest) = line.split_once(" panicked at ")?;
    let location = rest.strip_suffix(':').unwrap_or(rest).trim();
    Some((!location.is_empty()).then(|| location.to_owned()))
}

/// Whether a line ends a panic message: a blank line, the backtrace note, another panic.
fn ends_message(line: &str) -> bool {
    line.trim().is_empty()
        || line.starts_with("note: ")
        || line.starts_with("stack backtrace:")
        || panic_location(line).is_some()
}

/// The first compiler error in cargo's stderr, if the build failed.
pub fn first_build_error(stderr: &str) -> Option<BuildError> {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines.iter().position(|line| {
        (line.starts_with("error[") || line.starts_with("error:")) && !is_cargo_summary(line)
    })?;
    let location = lines[start + 1..]
        .iter()
        .take(4)
        .find_map(|line| line.trim_start().strip_prefix("--> "))
        .map(|location| location.trim().to_owned());
    Some(BuildError {
        message: lines[start].trim().to_owned(),
        location,
    })
}

/// Whether stderr says the build failed (rather than a test).
pub fn build_failed(stderr: &str) -> bool {
    stderr.contains("could not compile") || stderr.lines().any(|l| l.starts_with("error["))
}

/// cargo's closing lines, which repeat that something failed without saying what.
fn is_cargo_summary(line: &str) -> bool {
    [
        "error: test failed",
        "error: could not compile",
        "error: aborting due to",
        "error: 1 target failed",
        "error: process didn't exit successfully",
    ]
    .iter()
    .any(|summary| line.starts_with(summary))
        || (line.starts_with("error: ") && line.contains(" targets failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a real run of lab 3's starter (Rust 1.95).
    const STARTER_RUN: &str = "
running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s


running 4 tests
test step_1_store::returns_none_for_an_id_nobody_has ... FAILED
test step_2_lookup_rule::finds_a_stored_user ... ok
test step_3_handler::get_user_over_grpc_returns_the_stored_user ... FAILED
test step_9_later::not_yet ... ignored
test step_3_handler::answers_snapshot ... FAILED

failures:

---- step_1_store::returns_none_for_an_id_nobody_has stdout ----

thread 'step_1_store::returns_none_for_an_id_nobody_has' (9375) panicked at labs/03_unary/src/store.rs:103:9:
not yet implemented: lab 3, step 1: implement InMemoryUserStore::get in labs/03_unary/src/store.rs
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- step_3_handler::get_user_over_grpc_returns_the_stored_user stdout ----

thread 'step_3_handler::get_user_over_grpc_returns_the_stored_user' (9382) panicked at labs/03_unary/src/service.rs:71:9:
not yet implemented: lab 3, step 3: implement UserServiceImpl::get_user in labs/03_unary/src/service.rs

thread 'step_3_handler::get_user_over_grpc_returns_the_stored_user' (9382) panicked at labs/03_unary/tests/unary.rs:88:14:
GetUser(7) should succeed: users 1..=10 are stored: Status { code: Cancelled }

---- step_3_handler::answers_snapshot stdout ----
-old snapshot
+new results
thread 'step_3_handler::answers_snapshot' panicked at labs/03_unary/tests/unary.rs:150:5:
assertion `left == right` failed: the answers differ
  left: 1
 right: 2


failures:
    step_1_store::returns_none_for_an_id_nobody_has
    step_3_handler::answers_snapshot
    step_3_handler::get_user_over_grpc_returns_the_stored_user

test result: FAILED. 1 passed; 3 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.03s
";

    #[test]
    fn counts_passed_failed_and_ignored_tests() {
        let report = parse_test_output(STARTER_RUN);
        assert_eq!(report.passed, ["step_2_lookup_rule::finds_a_stored_user"]);
        let failed: Vec<&str> = report.failed.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            failed,
            [
                "step_1_store::returns_none_for_an_id_nobody_has",
                "step_3_handler::get_user_over_grpc_returns_the_stored_user",
                "step_3_handler::answers_snapshot",
            ]
        );
        assert_eq!(report.ignored, 1);
    }

    #[test]
    fn reads_each_panic_location_and_message() {
        let report = parse_test_output(STARTER_RUN);
        let first = &report.failed[0];
        assert_eq!(
            first.panics,
            [Panic {
                location: Some("labs/03_unary/src/store.rs:103:9".to_owned()),
                message: "not yet implemented: lab 3, step 1: implement InMemoryUserStore::get \
                          in labs/03_unary/src/store.rs"
                    .to_owned(),
            }]
        );
        assert_eq!(first.other_lines, 0);

        // The server's panic comes first, then the client's assertion.
        let server = &report.failed[1];
        assert_eq!(server.panics.len(), 2);
        assert_eq!(
            server.panics[0].location.as_deref(),
            Some("labs/03_unary/src/service.rs:71:9")
        );
        assert_eq!(
            server.panics[1].location.as_deref(),
            Some("labs/03_unary/tests/unary.rs:88:14")
        );
    }

    #[test]
    fn keeps_multi_line_assertion_messages_and_counts_other_output() {
        let report = parse_test_output(STARTER_RUN);
        let snapshot = &report.failed[2];
        assert_eq!(
            snapshot.panics[0].message,
            "assertion `left == right` failed: the answers differ\n  left: 1\n right: 2"
        );
        assert_eq!(
            snapshot.panics[0].location.as_deref(),
            Some("labs/03_unary/tests/unary.rs:150:5"),
            "the panic line without a thread id (Rust before 1.89) is read too"
        );
        assert_eq!(snapshot.other_lines, 2);
    }

    #[test]
    fn cuts_very_long_messages() {
        let mut output = String::from(
            "test a ... FAILED\n\nfailures:\n\n---- a stdout ----\nthread 'a' panicked at t.rs:1:1:\n",
        );
        for n in 0..40 {
            output.push_str(&format!("line {n}\n"));
        }
        let report = parse_test_output(&output);
        let message = &report.failed[0].panics[0].message;
        assert_eq!(message.lines().count(), MAX_MESSAGE_LINES + 1);
        assert!(message.ends_with("[...]"));
    }

    #[test]
    fn a_failure_without_a_block_has_no_panics() {
        let report = parse_test_output("test a ... FAILED\n");
        assert_eq!(report.failed[0].panics, []);
    }

    #[test]
    fn finds_the_first_compiler_error_and_its_location() {
        let stderr = "   Compiling lab03-unary v0.1.0 (/work/main/labs/03_unary)
error[E0308]: mismatched types
   --> labs/03_unary/src/store.rs:103:9
    |
103 |         42
    |         ^^ expected `Option<User>`, found integer

error: could not compile `lab03-unary` (lib) due to 1 previous error
";
        assert!(build_failed(stderr));
        assert_eq!(
            first_build_error(stderr),
            Some(BuildError {
                message: "error[E0308]: mismatched types".to_owned(),
                location: Some("labs/03_unary/src/store.rs:103:9".to_owned()),
            })
        );
    }

    #[test]
    fn cargo_summary_lines_are_not_build_errors() {
        let stderr = "error: test failed, to rerun pass `-p lab03-unary --test unary`\n\
                      error: 1 target failed:\n    `-p lab03-unary --test unary`\n";
        assert!(!build_failed(stderr));
        assert_eq!(first_build_error(stderr), None);
    }
}
