//! `workbook next`: the one thing to do now.

use std::io::Write;

use super::{App, Outcome, check::report};
use crate::verdict::State;

/// Finds the first lab that does not pass (running, in order, the labs that changed since
/// their last run) and shows its first failing test and the TODO to work on.
pub fn next(app: &App, out: &mut dyn Write) -> Outcome {
    let Some((lab, verdict)) = app.first_unfinished(out)? else {
        writeln!(
            out,
            "Every lab passes ({} of {}). Compare each with its reference (`{} solution <lab>`) \
             and practise the interview questions at the end of each chapter.",
            app.workbook.labs.len(),
            app.workbook.labs.len(),
            app.cli
        )?;
        return Ok(true);
    };
    let done: Vec<String> = app
        .workbook
        .labs
        .iter()
        .take_while(|done| done.number != lab.number)
        .map(|done| format!("{:02}", done.number))
        .collect();
    if !done.is_empty() {
        writeln!(out, "Done: lab(s) {}.", done.join(", "))?;
    }
    write!(out, "Next: lab {} ({})", lab.number, app.name(&lab))?;
    match app.chapter_path(&lab) {
        Some(chapter) => writeln!(out, ", with the chapter {chapter}.\n")?,
        None => writeln!(out, ".\n")?,
    }
    // The verdict is fresh (just run, or cached for these very files): its first failure is
    // the one a `check` would show.
    report(app, &lab, &verdict, None, super::Source::Cached, out)?;
    if verdict.state == State::Fail {
        writeln!(out, "Run again:    {}", app.suggest("check", &lab))?;
        writeln!(out, "On each save: {}", app.suggest("watch", &lab))?;
    }
    Ok(true)
}
