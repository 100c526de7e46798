//! Every lab ships tiered hints in `labs/NN_topic/hints.md`, in the format of the
//! `workbook::hints` module, with one section per step that the starter's TODO markers name.

use std::fs;

use workbook::{hints, todos};
use workbook_checks::labs;

#[test]
fn every_lab_has_hints_for_exactly_the_steps_its_todos_name() {
    let mut problems = Vec::new();
    for lab in labs() {
        let path = lab.dir.join("hints.md");
        let shown = format!("labs/{}/hints.md", lab.dir_name);
        let Ok(text) = fs::read_to_string(&path) else {
            problems.push(format!(
                "{shown} is missing: write one in the format documented in \
                 workbook/src/hints.rs (`## Step K`, then `### Concept`, `### API`, \
                 `### Near-solution`)"
            ));
            continue;
        };
        let parsed = match hints::parse(&text) {
            Ok(parsed) => parsed,
            Err(errors) => {
                problems.extend(errors.into_iter().map(|error| format!("{shown}: {error}")));
                continue;
            }
        };
        let markers = match todos::scan(&lab) {
            Ok(markers) => markers,
            Err(error) => {
                problems.push(format!("labs/{}/src: {error}", lab.dir_name));
                continue;
            }
        };
        let todo_steps = todos::steps(&markers);
        let hint_steps: Vec<u32> = parsed.steps.iter().map(|step| step.step).collect();
        if todo_steps != hint_steps {
            problems.push(format!(
                "{shown} has hints for steps {hint_steps:?}, but the starter's TODO markers name \
                 steps {todo_steps:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "hints: {} problem(s)\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}
