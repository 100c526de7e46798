//! What a run of a lab's tests means for the learner.
//!
//! From cargo's output to a [`Verdict`]: passes, fails (and which test to look at first),
//! does not compile (and the first error), or could not be judged. "First" follows the
//! lab's own order: tests live in modules named after the steps (`step_1_store`,
//! `step_2_lookup_rule`, ...), so the first failing test is the one of the earliest step,
//! and within a step the one written first in the test file, which is the order the lab's
//! author meant them to be read in.

use std::{fs, path::PathBuf};

use crate::{
    libtest::{self, Failure},
    runner::RunOutput,
};

/// The state of a lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Every test passes.
    Pass,
    /// At least one test fails.
    Fail,
    /// The lab (or its tests) does not compile.
    Build,
    /// It compiled but no test ran.
    NoTests,
    /// Something else went wrong: cargo could not run, or a test binary crashed.
    Error,
}

impl State {
    /// The word used in the progress file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Build => "build",
            Self::NoTests => "no-tests",
            Self::Error => "error",
        }
    }

    /// The state a progress-file word names.
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "pass" => Self::Pass,
            "fail" => Self::Fail,
            "build" => Self::Build,
            "no-tests" => Self::NoTests,
            "error" => Self::Error,
            _ => return None,
        })
    }

    /// The label `status` prints.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "[ok]   ",
            Self::Fail => "[FAIL] ",
            Self::Build => "[BUILD]",
            Self::NoTests => "[EMPTY]",
            Self::Error => "[ERROR]",
        }
    }
}

/// The first failing test, as the learner should read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstFailure {
    /// The test's path, `step_2_lookup_rule::finds_a_stored_user`.
    pub test: String,
    /// Where its first panic happened (often the `todo!()` to replace).
    pub location: Option<String>,
    /// That panic's message.
    pub message: String,
    /// How many panics the test printed in all.
    pub panics: usize,
}

/// The outcome of one run of a lab's tests. The progress file stores one per lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Pass, fail, ...
    pub state: State,
    /// How many tests passed.
    pub passed: usize,
    /// How many tests failed.
    pub failed: usize,
    /// The test to look at first, when some fail.
    pub first_failure: Option<FirstFailure>,
    /// For [`State::Build`] and [`State::Error`]: what went wrong, in a line or two.
    pub detail: String,
}

impl Verdict {
    /// Passed plus failed.
    pub fn total(&self) -> usize {
        self.passed + self.failed
    }

    /// The step of the first failing test, from its module name (`step_2_...`).
    pub fn first_failing_step(&self) -> Option<u32> {
        self.first_failure
            .as_ref()
            .and_then(|failure| step_of(&failure.test))
    }
}

/// A verdict and every failing test, in the order to read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The failing tests, first first.
    pub failing: Vec<String>,
}

/// Judges one run. `test_files` are the lab's test sources, for ordering failures.
pub fn judge(output: &RunOutput, test_files: &[PathBuf]) -> Judgement {
    let report = libtest::parse_test_output(&output.stdout);
    let passed = report.passed.len();

    if libtest::build_failed(&output.stderr) {
        let detail = match libtest::first_build_error(&output.stderr) {
            Some(error) => match error.location {
                Some(location) => format!("{} at {location}", error.message),
                None => error.message,
            },
            None => "the build failed (run `cargo test -p <lab>` to see why)".to_owned(),
        };
        return Judgement {
            verdict: Verdict {
                state: State::Build,
                passed,
                failed: report.failed.len(),
                first_failure: None,
                detail,
            },
            failing: Vec::new(),
        };
    }

    let mut failed = report.failed;
    let sources = read_sources(test_files);
    failed.sort_by_key(|failure| order_key(&failure.name, &sources));
    let failing: Vec<String> = failed.iter().map(|failure| failure.name.clone()).collect();
    let first_failure = failed.first().map(first_failure_of);

    let state = if !failed.is_empty() {
        State::Fail
    } else if !output.success {
        State::Error
    } else if passed == 0 {
        State::NoTests
    } else {
        State::Pass
    };
    let detail = if state == State::Error {
        last_error_line(&output.stderr)
    } else {
        String::new()
    };
    Judgement {
        verdict: Verdict {
            state,
            passed,
            failed: failed.len(),
            first_failure,
            detail,
        },
        failing,
    }
}

/// The verdict when cargo itself could not be started.
pub fn could_not_run(error: &std::io::Error) -> Verdict {
    Verdict {
        state: State::Error,
        passed: 0,
        failed: 0,
        first_failure: None,
        detail: format!("could not run cargo: {error}. Is the Rust toolchain on your PATH?"),
    }
}

fn first_failure_of(failure: &Failure) -> FirstFailure {
    let first = failure.panics.first();
    FirstFailure {
        test: failure.name.clone(),
        location: first.and_then(|panic| panic.location.clone()),
        message: first.map(|panic| panic.message.clone()).unwrap_or_default(),
        panics: failure.panics.len(),
    }
}

/// The step number in a test's path: `step_2_lookup_rule::finds` is step 2.
pub fn step_of(test: &str) -> Option<u32> {
    test.split("::").find_map(|segment| {
        let rest = segment.strip_prefix("step_")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// Sorts by step, then by where the test function is written, then by name.
fn order_key(test: &str, sources: &[String]) -> (u32, usize, usize, String) {
    let step = step_of(test).unwrap_or(u32::MAX);
    let function = test.rsplit("::").next().unwrap_or(test);
    let (file, offset) = sources
        .iter()
        .enumerate()
        .find_map(|(index, source)| {
            source
                .find(&format!("fn {function}("))
                .map(|offset| (index, offset))
        })
        .unwrap_or((usize::MAX, usize::MAX));
    (step, file, offset, test.to_owned())
}

fn read_sources(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|file| fs::read_to_string(file).unwrap_or_default())
        .collect()
}

/// What cargo said last that looks like an error: a crashed test binary, a missing package.
fn last_error_line(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .find(|line| line.starts_with("error") || line.contains("didn't exit successfully"))
        .or_else(|| stderr.lines().rev().find(|line| !line.trim().is_empty()))
        .unwrap_or("cargo test failed without saying why")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn output(success: bool, stdout: &str, stderr: &str) -> RunOutput {
        RunOutput {
            success,
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn step_numbers_come_from_the_module_names() {
        assert_eq!(step_of("step_2_lookup_rule::finds_a_stored_user"), Some(2));
        assert_eq!(step_of("step_12_more::x"), Some(12));
        assert_eq!(step_of("outer::step_3::inner"), Some(3));
        assert_eq!(step_of("helpers::works"), None);
    }

    #[test]
    fn the_first_failure_is_the_earliest_step_not_the_first_reported() {
        let stdout = "test step_3_handler::a ... FAILED\ntest step_10_late::b ... FAILED\n\
                      test step_1_store::c ... FAILED\ntest step_1_store::d ... ok\n";
        let judgement = judge(&output(false, stdout, ""), &[]);
        assert_eq!(
            judgement.failing,
            ["step_1_store::c", "step_3_handler::a", "step_10_late::b"]
        );
        assert_eq!(judgement.verdict.state, State::Fail);
        assert_eq!(judgement.verdict.passed, 1);
        assert_eq!(judgement.verdict.failed, 3);
        assert_eq!(judgement.verdict.first_failing_step(), Some(1));
    }

    #[test]
    fn within_a_step_the_test_written_first_comes_first() {
        let dir = std::env::temp_dir().join(format!("workbook-verdict-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lab.rs");
        fs::write(
            &file,
            "mod step_1 {\n    fn zebra_first() {}\n    fn aardvark_second() {}\n}\n",
        )
        .unwrap();
        let stdout =
            "test step_1::aardvark_second ... FAILED\ntest step_1::zebra_first ... FAILED\n";
        let judgement = judge(&output(false, stdout, ""), std::slice::from_ref(&file));
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            judgement.failing,
            ["step_1::zebra_first", "step_1::aardvark_second"]
        );
    }

    #[test]
    fn all_passing_is_a_pass_and_nothing_run_is_no_tests() {
        let pass = judge(&output(true, "test a ... ok\ntest b ... ok\n", ""), &[]);
        assert_eq!(pass.verdict.state, State::Pass);
        assert_eq!(pass.verdict.total(), 2);
        let empty = judge(&output(true, "running 0 tests\n", ""), &[]);
        assert_eq!(empty.verdict.state, State::NoTests);
    }

    #[test]
    fn a_compiler_error_is_a_build_verdict_with_its_location() {
        let stderr = "error[E0425]: cannot find value `x` in this scope\n  --> labs/03_unary/src/store.rs:4:5\n\
                      error: could not compile `lab03-unary` (lib) due to 1 previous error\n";
        let judgement = judge(&output(false, "", stderr), &[]);
        assert_eq!(judgement.verdict.state, State::Build);
        assert_eq!(
            judgement.verdict.detail,
            "error[E0425]: cannot find value `x` in this scope at labs/03_unary/src/store.rs:4:5"
        );
    }

    #[test]
    fn a_crash_without_failing_tests_is_an_error() {
        let stderr = "error: test failed, to rerun pass `-p x --test t`\n\nCaused by:\n  \
                      process didn't exit successfully: `t` (signal: 6, SIGABRT: process abort signal)\n";
        let judgement = judge(&output(false, "test a ... ok\n", stderr), &[]);
        assert_eq!(judgement.verdict.state, State::Error);
        assert!(
            judgement.verdict.detail.contains("SIGABRT"),
            "{}",
            judgement.verdict.detail
        );
    }
}
