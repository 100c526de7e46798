//! `workbook check <lab>`: run one lab's tests and say what matters in a few lines.

use std::io::Write;

use workbook_checks::Lab;

use super::{App, Error, Outcome, Source, source_note};
use crate::{
    hints::Tier,
    verdict::{State, Verdict},
};

/// How many other failing tests are named before "and N more".
const MORE_FAILURES_SHOWN: usize = 3;

/// Runs `lab`'s tests (always: the learner asked) and prints the counts, the first failing
/// test with its panic, the TODO it points to, and how to see everything. Succeeds when
/// every test passes.
pub fn check(app: &App, lab: &Lab, out: &mut dyn Write) -> Outcome {
    writeln!(out, "Running `cargo test -p {}` ...", app.name(lab))?;
    let (judgement, elapsed) = app.run(lab, out)?;
    report(
        app,
        lab,
        &judgement.verdict,
        Some(&judgement.failing),
        Source::Ran(elapsed),
        out,
    )?;
    Ok(judgement.verdict.state == State::Pass)
}

/// Writes what a verdict means for the learner. `failing` lists every failing test when
/// known (after a run; the cache keeps only the first).
pub(super) fn report(
    app: &App,
    lab: &Lab,
    verdict: &Verdict,
    failing: Option<&[String]>,
    source: Source,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let package = app.name(lab);
    let note = source_note(source);
    match verdict.state {
        State::Pass => {
            writeln!(
                out,
                "{package}: all {} tests pass {note}. Lab {} is done.",
                verdict.passed, lab.number
            )?;
            writeln!(
                out,
                "Compare with the reference: `{}`.",
                app.suggest("solution", lab)
            )?;
            if let Some(chapter) = app.chapter_path(lab) {
                writeln!(
                    out,
                    "Then practise the interview questions at the end of {chapter}, and run `{} next`.",
                    app.cli
                )?;
            }
        }
        State::Fail => {
            writeln!(
                out,
                "{package}: {} of {} tests pass {note}.\n",
                verdict.passed,
                verdict.total()
            )?;
            if let Some(failure) = &verdict.first_failure {
                writeln!(out, "First failing test: {}", failure.test)?;
                match &failure.location {
                    Some(location) => writeln!(out, "  panicked at {location}:")?,
                    None => writeln!(out, "  (it printed no panic; run it to see its output)")?,
                }
                for line in failure.message.lines() {
                    writeln!(out, "    {line}")?;
                }
                if failure.panics > 1 {
                    writeln!(
                        out,
                        "  ({} more panic(s) follow in its output; the first is usually the cause: \
                         a server's panic shows up in its client as Cancelled or Unknown)",
                        failure.panics - 1
                    )?;
                }
                if failure.message.contains("snapshot assertion") {
                    writeln!(
                        out,
                        "  This is a snapshot test: the full output shows the expected lines (-) \
                         next to yours (+). Fix the code; don't accept the snapshot."
                    )?;
                }
                writeln!(out)?;
                app.write_todo(
                    out,
                    lab,
                    verdict.first_failing_step(),
                    failure.location.as_deref(),
                )?;
            }
            if let Some(failing) = failing {
                write_other_failures(out, failing)?;
            } else if verdict.failed > 1 {
                writeln!(out, "{} more test(s) fail.", verdict.failed - 1)?;
            }
            writeln!(out)?;
            if let Some(failure) = &verdict.first_failure {
                writeln!(
                    out,
                    "Full output:  cargo test -p {package} -- --exact {}",
                    failure.test
                )?;
            }
            writeln!(
                out,
                "Hint:         {}",
                app.hint_command(lab, Tier::Concept)
            )?;
        }
        State::Build => {
            writeln!(out, "{package} does not compile {note}:")?;
            writeln!(out, "    {}", verdict.detail)?;
            writeln!(
                out,
                "The compiler's full explanation: cargo build -p {package} --tests"
            )?;
        }
        State::NoTests => {
            writeln!(
                out,
                "{package}: no test ran {note}. Its tests live in {}/tests/.",
                app.workbook.relative(&lab.dir)
            )?;
        }
        State::Error => {
            writeln!(out, "{package} could not be tested {note}:")?;
            writeln!(out, "    {}", verdict.detail)?;
            writeln!(out, "Run `cargo test -p {package}` to see everything.")?;
        }
    }
    Ok(())
}

fn write_other_failures(out: &mut dyn Write, failing: &[String]) -> Result<(), Error> {
    let others = failing.get(1..).unwrap_or_default();
    if others.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = others
        .iter()
        .take(MORE_FAILURES_SHOWN)
        .map(String::as_str)
        .collect();
    writeln!(out, "Also failing ({}):", others.len())?;
    for name in shown {
        writeln!(out, "    {name}")?;
    }
    if others.len() > MORE_FAILURES_SHOWN {
        writeln!(
            out,
            "    ... and {} more",
            others.len() - MORE_FAILURES_SHOWN
        )?;
    }
    Ok(())
}
