//! `workbook solution <lab>`: your code next to the reference, once you have earned it.

use std::{io::Write, process::Command};

use workbook_checks::Lab;

use super::{App, Error, Outcome, source_note};
use crate::{diff, verdict::State};

/// Prints a unified diff of the learner's `src/` against the reference solution's: `-`
/// lines are the learner's, `+` lines the reference's.
///
/// Refuses (and fails) unless the lab passes, judged from the progress cache or a run now;
/// `force` skips that. Reads files only: it never copies, patches or resets anything.
pub fn solution(app: &App, lab: &Lab, force: bool, out: &mut dyn Write) -> Outcome {
    if !lab.solution_dir.is_dir() {
        return Err(Error(format!(
            "lab {} has no reference solution at {}",
            lab.number,
            app.workbook.relative(&lab.solution_dir)
        )));
    }
    if force {
        writeln!(
            out,
            "(--force: showing the reference without checking that lab {} passes.)\n",
            lab.number
        )?;
    } else {
        let (verdict, source) = app.verdict(lab, false, out)?;
        if verdict.state != State::Pass {
            let progress = match verdict.state {
                State::Fail => format!(
                    "{} of {} tests pass {}",
                    verdict.passed,
                    verdict.total(),
                    source_note(source)
                ),
                State::Build => format!("it does not compile {}", source_note(source)),
                _ => format!("it is not passing {}", source_note(source)),
            };
            writeln!(
                out,
                "Lab {} does not pass yet: {progress}. The reference stays hidden until it \
                 does: the lab teaches most when the answer is your own.\n\
                 Next step: `{}`; stuck: `{}`.\n\
                 To see the reference anyway: `{} --force`.",
                lab.number,
                app.suggest("check", lab),
                app.suggest("hint", lab),
                app.suggest("solution", lab)
            )?;
            return Ok(false);
        }
    }

    let mine = lab.dir.join("src");
    let reference = lab.solution_dir.join("src");
    let (mine_shown, reference_shown) = (
        app.workbook.relative(&mine),
        app.workbook.relative(&reference),
    );
    writeln!(
        out,
        "diff -ru {mine_shown} {reference_shown}   (- yours, + the reference)\n"
    )?;
    let text = match system_diff(app, &mine_shown, &reference_shown) {
        Some(text) => text,
        None => diff::directories(&mine, &reference, &mine_shown, &reference_shown)?,
    };
    if text.trim().is_empty() {
        writeln!(out, "Your code is identical to the reference.")?;
    } else {
        out.write_all(text.as_bytes())?;
        writeln!(
            out,
            "\nA difference is not necessarily a mistake. The reference's comments say why it \
             does what it does; that is often the interview-grade detail."
        )?;
    }
    Ok(true)
}

/// `diff -ru` run at the root with relative paths, when the system has it; `None` when it
/// is missing or fails, and the built-in diff takes over.
fn system_diff(app: &App, mine: &str, reference: &str) -> Option<String> {
    let output = Command::new("diff")
        .current_dir(&app.workbook.root)
        .args(["-ru", mine, reference])
        .output()
        .ok()?;
    // diff(1) exits 0 for "same", 1 for "different" and 2 for trouble.
    match output.status.code() {
        Some(0 | 1) => Some(String::from_utf8_lossy(&output.stdout).into_owned()),
        _ => None,
    }
}
