//! `workbook doctor`: what a bug report needs, and what to fix first.

use std::io::Write;

use super::{App, Outcome};
use crate::{doctor::Health, verdict::State};

/// Prints the toolchain, the locked crate versions, the set-up checks and the labs'
/// progress (from the cache; it runs no tests). Fails when a check fails.
pub fn doctor(app: &App, out: &mut dyn Write) -> Outcome {
    writeln!(
        out,
        "workbook doctor: paste everything below into a bug report.\n"
    )?;
    let facts = crate::doctor::facts(&app.workbook.root);
    let width = facts.iter().map(|fact| fact.name.len()).max().unwrap_or(0);
    for fact in &facts {
        writeln!(
            out,
            "{} {:width$}  {}",
            fact.health.tag(),
            fact.name,
            fact.value
        )?;
    }

    let progress = app.progress();
    let mut labs = Vec::new();
    for lab in &app.workbook.labs {
        let package = lab.package().unwrap_or_else(|_| lab.dir_name.clone());
        let state = match (progress.last(&package), app.fresh_verdict(lab)) {
            (_, Some(verdict)) => verdict.state.as_str().to_owned(),
            (Some(record), None) => {
                format!("{} (files changed since)", record.verdict.state.as_str())
            }
            (None, None) => "not run".to_owned(),
        };
        labs.push(format!("{:02} {state}", lab.number));
    }
    let passing = app
        .workbook
        .labs
        .iter()
        .filter(|lab| {
            app.fresh_verdict(lab)
                .is_some_and(|v| v.state == State::Pass)
        })
        .count();
    writeln!(
        out,
        "     {:width$}  {} labs, {passing} passing as of the last `status`: {}",
        "labs",
        app.workbook.labs.len(),
        labs.join("; ")
    )?;

    let failed = facts.iter().any(|fact| fact.health == Health::Fail);
    if failed {
        writeln!(
            out,
            "\nFix the FAIL lines first: the labs' tests cannot run without them."
        )?;
    }
    Ok(!failed)
}
