//! Running a lab's tests.
//!
//! Behind a trait so that the CLI's own tests can count runs and feed canned output
//! without compiling anything; the real runner is [`CargoRunner`].

use std::{
    ffi::OsString,
    io,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

/// What one run printed, and whether it succeeded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutput {
    /// Whether `cargo test` exited with status 0.
    pub success: bool,
    /// libtest's report.
    pub stdout: String,
    /// cargo's messages: compiling, compiler errors, which target failed.
    pub stderr: String,
    /// How long the run took.
    pub elapsed: Duration,
}

/// Runs the tests of one package of the workspace at `root`.
pub trait TestRunner {
    /// Runs every test of `package`, not stopping at the first failing test binary.
    fn run_tests(&self, root: &Path, package: &str) -> io::Result<RunOutput>;
}

/// `cargo test -p <package> --no-fail-fast`, the learner's own command.
#[derive(Debug, Clone)]
pub struct CargoRunner {
    cargo: OsString,
    target_dir: Option<PathBuf>,
}

impl CargoRunner {
    /// The cargo that runs this program (`$CARGO` under `cargo run`), else `cargo` from `PATH`.
    pub fn from_env() -> Self {
        Self {
            cargo: std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
            target_dir: None,
        }
    }

    /// The same runner building into `target_dir` (`CARGO_TARGET_DIR`) instead of the
    /// workspace's own `target/`: the CLI's tests use it for their fixture workspaces.
    pub fn with_target_dir(mut self, target_dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(target_dir.into());
        self
    }
}

impl TestRunner for CargoRunner {
    fn run_tests(&self, root: &Path, package: &str) -> io::Result<RunOutput> {
        let started = Instant::now();
        let mut command = Command::new(&self.cargo);
        if let Some(target_dir) = &self.target_dir {
            command.env("CARGO_TARGET_DIR", target_dir);
        }
        let output = command
            .current_dir(root)
            .args(["test", "-p", package, "--no-fail-fast", "--color", "never"])
            // Never write into the lab: a failing snapshot leaves no `.snap.new` file, and
            // a learner's `INSTA_UPDATE=always`, `INSTA_FORCE_UPDATE` or `INSTA_FORCE_PASS`
            // cannot rewrite or bypass a reference snapshot through this command.
            .env("INSTA_UPDATE", "no")
            .env_remove("INSTA_FORCE_UPDATE")
            .env_remove("INSTA_FORCE_PASS")
            // Short panics: the summary needs the message, not a stack trace.
            .env("RUST_BACKTRACE", "0")
            .env("CARGO_TERM_PROGRESS_WHEN", "never")
            .output()?;
        Ok(RunOutput {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
        })
    }
}
