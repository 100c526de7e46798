//! `workbook status`: every lab at a glance.

use std::io::Write;

use super::{App, Outcome, progress_bar, source_note};
use crate::verdict::{State, Verdict};

/// Prints each lab's state and test counts, then a progress bar and what to do next.
///
/// Labs whose files (and shared dependencies) are unchanged since their last run are read
/// from the progress cache; the others are run now, in chapter order. `rerun` ignores the
/// cache. Always succeeds: failing labs are the normal state of a workbook in progress.
pub fn status(app: &App, rerun: bool, out: &mut dyn Write) -> Outcome {
    let labs = &app.workbook.labs;
    if labs.is_empty() {
        writeln!(out, "No labs found under labs/.")?;
        return Ok(true);
    }
    let stale = labs
        .iter()
        .filter(|lab| rerun || app.fresh_verdict(lab).is_none())
        .count();
    if stale > 0 {
        writeln!(
            out,
            "Running the tests of {stale} lab(s) that changed since their last run. The very \
             first run compiles tonic and its dependencies and takes a few minutes.\n"
        )?;
    }

    let mut passing = 0;
    let mut first_unfinished = None;
    for lab in labs {
        let package = app.name(lab);
        let (verdict, source) = app.verdict(lab, rerun, out)?;
        if verdict.state == State::Pass {
            passing += 1;
        } else if first_unfinished.is_none() {
            first_unfinished = Some(lab);
        }
        writeln!(
            out,
            "{} {:02} {package:<24} {:<16} {}",
            verdict.state.label(),
            lab.number,
            counts(&verdict),
            source_note(source)
        )?;
        if let Some(note) = note(&verdict) {
            writeln!(out, "{:14}{note}", "")?;
        }
    }

    writeln!(out, "\n{}", progress_bar(passing, labs.len()))?;
    match first_unfinished {
        Some(lab) => writeln!(
            out,
            "Next: lab {}. `{}` shows where to start; `{}` runs it again.",
            lab.number,
            format_args!("{} next", app.cli),
            app.suggest("check", lab)
        )?,
        None => writeln!(
            out,
            "Every lab passes. Compare each with its reference (`{} solution <lab>`) and \
             practise the interview questions at the end of each chapter.",
            app.cli
        )?,
    }
    Ok(true)
}

/// `3/12 tests`, or what stopped the tests from running.
fn counts(verdict: &Verdict) -> String {
    match verdict.state {
        State::Pass | State::Fail => format!("{}/{} tests", verdict.passed, verdict.total()),
        State::Build => "does not compile".to_owned(),
        State::NoTests => "no test ran".to_owned(),
        State::Error => "not tested".to_owned(),
    }
}

/// The second line under a lab that does not pass.
fn note(verdict: &Verdict) -> Option<String> {
    match verdict.state {
        State::Pass => None,
        State::Fail => verdict
            .first_failure
            .as_ref()
            .map(|failure| format!("first failing: {}", failure.test)),
        State::Build | State::Error => Some(verdict.detail.clone()),
        State::NoTests => Some("the lab has no tests, or they were all filtered out".to_owned()),
    }
}
