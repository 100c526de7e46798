//! The commands, one file each, and what they share: the [`App`] they run in.
//!
//! Every command writes to an `io::Write` it is given (standard output in the binary, a
//! buffer in the tests) and returns whether it succeeded, which becomes the exit status:
//! `check` fails when the lab fails, `solution` when it refuses. An [`Error`] is for what
//! stops a command from doing its job at all (an unknown lab, a malformed `hints.md`).

mod check;
mod doctor;
mod hint;
mod next;
mod solution;
mod status;
mod watch;

use std::{
    cell::OnceCell,
    fmt,
    io::{self, IsTerminal},
    time::Duration,
};

pub use check::check;
pub use doctor::doctor;
pub use hint::hint;
pub use next::next;
pub use solution::solution;
pub use status::status;
pub use watch::{WatchMode, watch};
use workbook_checks::Lab;

use crate::{
    fingerprint,
    hints::Tier,
    progress::{Progress, Record},
    runner::TestRunner,
    todos,
    verdict::{self, Judgement, State, Verdict},
    workbook::Workbook,
};

/// Why a command could not do its job.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The message of the error that means "the reader of our output went away", as when
    /// the output is piped into `head`: not worth reporting.
    pub const BROKEN_PIPE: &'static str = "the output was closed (broken pipe)";

    /// Whether this is [`Error::BROKEN_PIPE`].
    pub fn is_broken_pipe(&self) -> bool {
        self.0 == Self::BROKEN_PIPE
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            return Self(Self::BROKEN_PIPE.to_owned());
        }
        Self(error.to_string())
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self(message)
    }
}

/// A command's result: `Ok(true)` for success, `Ok(false)` for "ran, but the answer is no".
pub type Outcome = Result<bool, Error>;

/// Where a verdict came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The progress cache: nothing changed since the last run.
    Cached,
    /// A run just now, which took this long.
    Ran(Duration),
}

/// What the commands run in: the workbook, a test runner, and how to name this CLI.
pub struct App<'r> {
    /// The repository.
    pub workbook: Workbook,
    /// Runs a lab's tests.
    pub runner: &'r dyn TestRunner,
    /// How the learner runs this CLI, for the commands it suggests: `workbook` or
    /// `cargo run -q -p workbook --`.
    pub cli: String,
    shared: OnceCell<Result<u64, String>>,
}

impl<'r> App<'r> {
    /// An app for `workbook`, running tests with `runner`, calling itself `cli`.
    pub fn new(workbook: Workbook, runner: &'r dyn TestRunner, cli: impl Into<String>) -> Self {
        Self {
            workbook,
            runner,
            cli: cli.into(),
            shared: OnceCell::new(),
        }
    }

    /// The progress cache as it is on disk.
    pub fn progress(&self) -> Progress {
        Progress::load(&self.workbook.progress_path())
    }

    /// The lab's package name, or its directory's when its `Cargo.toml` cannot be read (a
    /// lab being written), for messages.
    pub fn name(&self, lab: &Lab) -> String {
        lab.package().unwrap_or_else(|_| lab.dir_name.clone())
    }

    /// The fingerprint of everything `lab`'s results depend on: see [`fingerprint`].
    pub fn key(&self, lab: &Lab) -> Result<String, Error> {
        let shared = self
            .shared
            .get_or_init(|| {
                fingerprint::shared_fingerprint(&self.workbook.root).map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|error| Error(format!("cannot read the workspace's files: {error}")))?;
        let own = fingerprint::lab_fingerprint(lab).map_err(|error| {
            Error(format!(
                "cannot read {}: {error}",
                self.workbook.relative(&lab.dir)
            ))
        })?;
        Ok(format!("{own:016x}.{shared:016x}"))
    }

    /// The cached verdict of `lab`, if nothing changed since it was given.
    pub fn fresh_verdict(&self, lab: &Lab) -> Option<Verdict> {
        let package = lab.package().ok()?;
        let key = self.key(lab).ok()?;
        self.progress().fresh(&package, &key).cloned()
    }

    /// Runs `lab`'s tests now and records the verdict.
    pub fn run(&self, lab: &Lab, out: &mut dyn io::Write) -> Result<(Judgement, Duration), Error> {
        let package = match lab.package() {
            Ok(package) => package,
            Err(error) => {
                // Not a crate (yet): say so in the verdict, and let the other labs go on.
                let verdict = Verdict {
                    state: State::Error,
                    passed: 0,
                    failed: 0,
                    first_failure: None,
                    detail: error,
                };
                let failing = Vec::new();
                return Ok((Judgement { verdict, failing }, Duration::ZERO));
            }
        };
        // The key is taken before the run: a file saved during the run makes the next
        // `status` run the lab again rather than trust a verdict on older code. A lab whose
        // files cannot all be read is still tested; its verdict just isn't cached.
        let key = self.key(lab);
        // A note on the terminal while cargo works (a first build takes minutes), erased
        // afterwards; nothing when the output goes to a file or a pipe.
        let terminal = io::stderr().is_terminal();
        if terminal {
            eprint!("  testing {package} ...\r");
        }
        let result = self.runner.run_tests(&self.workbook.root, &package);
        if terminal {
            eprint!("\r\x1b[K");
        }
        let (judgement, elapsed) = match result {
            Ok(output) => (verdict::judge(&output, &lab.test_files()), output.elapsed),
            Err(error) => (
                Judgement {
                    verdict: verdict::could_not_run(&error),
                    failing: Vec::new(),
                },
                Duration::ZERO,
            ),
        };
        let saved = key.and_then(|key| {
            let record = Record {
                key,
                verdict: judgement.verdict.clone(),
            };
            Progress::record(&self.workbook.progress_path(), &package, record).map_err(Error::from)
        });
        if let Err(error) = saved {
            writeln!(out, "note: this result is not cached: {error}")?;
        }
        Ok((judgement, elapsed))
    }

    /// `lab`'s verdict: from the cache when nothing changed (and `rerun` is false), else
    /// from a run now.
    pub fn verdict(
        &self,
        lab: &Lab,
        rerun: bool,
        out: &mut dyn io::Write,
    ) -> Result<(Verdict, Source), Error> {
        if !rerun && let Some(verdict) = self.fresh_verdict(lab) {
            return Ok((verdict, Source::Cached));
        }
        let (judgement, elapsed) = self.run(lab, out)?;
        Ok((judgement.verdict, Source::Ran(elapsed)))
    }

    /// The first lab that does not pass, with its verdict; runs changed labs in order until
    /// it finds one. `None` when every lab passes.
    pub fn first_unfinished(
        &self,
        out: &mut dyn io::Write,
    ) -> Result<Option<(Lab, Verdict)>, Error> {
        for lab in &self.workbook.labs {
            let (verdict, _) = self.verdict(lab, false, out)?;
            if verdict.state != State::Pass {
                return Ok(Some((lab.clone(), verdict)));
            }
        }
        Ok(None)
    }

    /// `cli hint 3` and friends.
    pub fn suggest(&self, command: &str, lab: &Lab) -> String {
        format!("{} {command} {}", self.cli, lab.number)
    }

    /// The command for a tier of hint.
    pub fn hint_command(&self, lab: &Lab, tier: Tier) -> String {
        match tier {
            Tier::Concept => self.suggest("hint", lab),
            Tier::Api => format!("{} --api", self.suggest("hint", lab)),
            Tier::NearSolution => format!("{} --near", self.suggest("hint", lab)),
        }
    }

    /// Writes where the learner should work next on `lab`: the TODO for `step` or for the
    /// panic at `panic_at`.
    pub fn write_todo(
        &self,
        out: &mut dyn io::Write,
        lab: &Lab,
        step: Option<u32>,
        panic_at: Option<&str>,
    ) -> Result<(), Error> {
        let markers = todos::scan(lab).unwrap_or_default();
        if let Some(marker) = todos::point_to(&markers, &self.workbook.root, step, panic_at) {
            writeln!(
                out,
                "Next TODO: {}:{}\n    {}",
                self.workbook.relative(&marker.file),
                marker.line,
                marker.text
            )?;
        }
        Ok(())
    }

    /// The chapter of `lab` as a path from the root, for "read this" lines.
    pub fn chapter_path(&self, lab: &Lab) -> Option<String> {
        self.workbook
            .chapter_of(lab)
            .map(|chapter| format!("book/src/{}", chapter.file))
    }
}

/// `[########------------] 2/5 labs pass`
pub fn progress_bar(passed: usize, total: usize) -> String {
    const WIDTH: usize = 20;
    let filled = (passed * WIDTH).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {passed}/{total} labs pass",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled)
    )
}

/// `(cached)` or `(2.3 s)`.
pub fn source_note(source: Source) -> String {
    match source {
        Source::Cached => "(cached)".to_owned(),
        Source::Ran(elapsed) => format!("({:.1} s)", elapsed.as_secs_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_fills_in_proportion() {
        assert_eq!(progress_bar(0, 5), "[--------------------] 0/5 labs pass");
        assert_eq!(progress_bar(2, 5), "[########------------] 2/5 labs pass");
        assert_eq!(progress_bar(5, 5), "[####################] 5/5 labs pass");
        assert_eq!(progress_bar(0, 0), "[--------------------] 0/0 labs pass");
    }
}
