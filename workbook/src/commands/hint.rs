//! `workbook hint <lab>`: the next tier of help for the step the learner is on.

use std::{fs, io::Write};

use workbook_checks::Lab;

use super::{App, Error, Outcome};
use crate::{
    hints::{self, Tier},
    todos,
    verdict::State,
};

/// Prints the hints of one step of `lab` up to `tier`: the concept; with [`Tier::Api`] the
/// API too; with [`Tier::NearSolution`] a near-solution as well.
///
/// The step is `step` when given, else the step of the lab's first failing test (from the
/// progress cache, when it is fresh), else the lowest step that still has a `todo!()`. It
/// runs no tests and reads only files.
pub fn hint(app: &App, lab: &Lab, step: Option<u32>, tier: Tier, out: &mut dyn Write) -> Outcome {
    let path = lab.dir.join("hints.md");
    let shown_path = app.workbook.relative(&path);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            writeln!(
                out,
                "Lab {} has no hints yet ({shown_path} is missing). The TODO comments in its \
                 code say what each step needs, and the chapter explains why.",
                lab.number
            )?;
            app.write_todo(out, lab, step, None)?;
            return Ok(false);
        }
    };
    let hints = hints::parse(&text).map_err(|problems| {
        Error(format!(
            "{shown_path} is not in the hints format (see the workbook crate's `hints` module):\n  {}",
            problems.join("\n  ")
        ))
    })?;
    let markers = todos::scan(lab).unwrap_or_default();
    let verdict = app.fresh_verdict(lab);

    let chosen = match step {
        Some(step) => step,
        None => {
            if verdict.as_ref().is_some_and(|v| v.state == State::Pass) {
                writeln!(
                    out,
                    "Lab {} passes: no hint needed. Hints for any step stay available: add \
                     `--step K` (steps {}).",
                    lab.number,
                    step_list(&hints)
                )?;
                return Ok(true);
            }
            verdict
                .as_ref()
                .and_then(|v| v.first_failing_step())
                .or_else(|| todos::first_open_step(&markers))
                .unwrap_or(hints.steps[0].step)
        }
    };
    let Some(step_hints) = hints.step(chosen) else {
        return Err(Error(format!(
            "{shown_path} has no hints for step {chosen}; it has steps {}.",
            step_list(&hints)
        )));
    };

    let title = if step_hints.title.is_empty() {
        String::new()
    } else {
        format!(": {}", step_hints.title)
    };
    writeln!(
        out,
        "Lab {}, step {chosen}{title} (hint {} of 3)\n",
        lab.number,
        tier as usize + 1
    )?;
    if tier == Tier::Concept && !hints.intro.is_empty() {
        writeln!(out, "{}\n", hints.intro)?;
    }
    for shown in Tier::ALL.into_iter().filter(|t| *t <= tier) {
        writeln!(out, "## {shown}\n\n{}\n", step_hints.text(shown))?;
    }
    app.write_todo(out, lab, Some(chosen), None)?;

    let step_flag = if step.is_some() {
        format!(" --step {chosen}")
    } else {
        String::new()
    };
    match tier {
        Tier::Concept => writeln!(
            out,
            "\nStill stuck? `{}{step_flag}` names the API to use.",
            app.hint_command(lab, Tier::Api)
        )?,
        Tier::Api => writeln!(
            out,
            "\nStill stuck? `{}{step_flag}` shows a near-solution.",
            app.hint_command(lab, Tier::NearSolution)
        )?,
        Tier::NearSolution => writeln!(
            out,
            "\nThe full reference is one command away once the lab passes: `{}`.",
            app.suggest("solution", lab)
        )?,
    }
    if hints.steps.len() > 1 {
        writeln!(
            out,
            "Other steps: add `--step K` (steps {}).",
            step_list(&hints)
        )?;
    }
    Ok(true)
}

fn step_list(hints: &hints::Hints) -> String {
    hints
        .steps
        .iter()
        .map(|s| s.step.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
