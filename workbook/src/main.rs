//! `workbook`: the learner's command line. See the library's docs (`src/lib.rs`) and
//! chapter 0 of the book for what each command does.

use std::{io, process::ExitCode};

use clap::{Parser, Subcommand};
use workbook::{
    Workbook,
    commands::{self, App, WatchMode},
    hints::Tier,
    runner::CargoRunner,
    watch::stdin_inputs,
};

/// Your progress through the gRPC workbook's labs, hints, and the reference once you pass.
///
/// Name a lab by its number (3), directory (03_unary) or package (lab03-unary). The CLI
/// reads labs/ and solutions/ and never writes to them: your work is safe.
#[derive(Debug, Parser)]
#[command(name = "workbook", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every lab's pass/fail and test counts, with a progress bar. Re-runs only the labs
    /// whose files changed since their last run.
    Status {
        /// Run every lab's tests again, ignoring the cache.
        #[arg(long)]
        rerun: bool,
    },
    /// The first lab that does not pass yet: its first failing test and the TODO to work on.
    Next,
    /// A hint for the step you are on: the concept; --api adds the API; --near a near-solution.
    Hint {
        /// The lab: 3, 03, 03_unary or lab03-unary.
        lab: String,
        /// The step (default: the step of the first failing test or the first open TODO).
        #[arg(long)]
        step: Option<u32>,
        /// Also name the types and functions to use (hint 2 of 3).
        #[arg(long, conflicts_with = "near")]
        api: bool,
        /// Also show a near-solution (hint 3 of 3).
        #[arg(long)]
        near: bool,
    },
    /// Run one lab's tests: counts, the first failing test, its panic and its TODO.
    Check {
        /// The lab: 3, 03, 03_unary or lab03-unary.
        lab: String,
    },
    /// Check a lab again on every save (default: the first lab that does not pass).
    Watch {
        /// The lab: 3, 03, 03_unary or lab03-unary.
        lab: Option<String>,
        /// Don't poll files; check again when you press Enter.
        #[arg(long)]
        manual: bool,
    },
    /// A diff of your code against the reference solution, once the lab passes.
    Solution {
        /// The lab: 3, 03, 03_unary or lab03-unary.
        lab: String,
        /// Show it even though the lab does not pass yet.
        #[arg(long)]
        force: bool,
    },
    /// Toolchain, crate versions and set-up checks, for bug reports.
    Doctor,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let workbook = match Workbook::discover() {
        Ok(workbook) => workbook,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let runner = CargoRunner::from_env();
    let app = App::new(workbook, &runner, invocation());
    let mut stdout = io::stdout().lock();
    let out: &mut dyn io::Write = &mut stdout;

    let outcome = match &cli.command {
        Command::Status { rerun } => commands::status(&app, *rerun, out),
        Command::Next => commands::next(&app, out),
        Command::Hint {
            lab,
            step,
            api,
            near,
        } => {
            let tier = if *near {
                Tier::NearSolution
            } else if *api {
                Tier::Api
            } else {
                Tier::Concept
            };
            with_lab(&app, lab, |lab| commands::hint(&app, lab, *step, tier, out))
        }
        Command::Check { lab } => with_lab(&app, lab, |lab| commands::check(&app, lab, out)),
        Command::Watch { lab, manual } => {
            let mode = if *manual {
                WatchMode::Manual
            } else {
                WatchMode::Poll
            };
            match lab {
                Some(name) => with_lab(&app, name, |lab| {
                    commands::watch(&app, Some(lab), mode, stdin_inputs(), out)
                }),
                None => commands::watch(&app, None, mode, stdin_inputs(), out),
            }
        }
        Command::Solution { lab, force } => {
            with_lab(&app, lab, |lab| commands::solution(&app, lab, *force, out))
        }
        Command::Doctor => commands::doctor(&app, out),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn with_lab(
    app: &App,
    name: &str,
    command: impl FnOnce(&workbook_checks::Lab) -> commands::Outcome,
) -> commands::Outcome {
    let lab = app.workbook.find_lab(name)?.clone();
    command(&lab)
}

/// How the learner runs this program, for the commands it suggests: a binary inside a
/// `target/` directory was started by `cargo run`; anything else was installed.
fn invocation() -> String {
    let from_cargo_run = std::env::current_exe().ok().is_some_and(|exe| {
        exe.components()
            .any(|component| component.as_os_str() == "target")
    });
    if from_cargo_run {
        "cargo run -q -p workbook --".to_owned()
    } else {
        "workbook".to_owned()
    }
}
