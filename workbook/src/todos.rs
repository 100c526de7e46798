//! The learner's to-do list, as the starters write it.
//!
//! Every lab marks its work in two ways, and this module reads both:
//!
//! - a comment `// TODO(lab 3, step 2): what to do ...` above the place to edit. Some name
//!   several steps: `TODO(lab 2, steps 4 and 5)`, `TODO(lab 6, steps 2 to 4)`;
//! - a body `todo!("lab 3, step 2: implement lookup_user in labs/03_unary/src/service.rs")`,
//!   which panics with that message until the learner replaces it.
//!
//! The comments stay when the work is done (they are the instructions), the `todo!()`s go.
//! So "the next TODO" is found through the `todo!()`s still there, and pointed at through
//! the comment that explains it.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use workbook_checks::Lab;

/// Which kind of marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `// TODO(lab N, step K)` comment.
    Comment,
    /// A `todo!("lab N, step K: ...")` still in the code.
    Todo,
}

/// One marker in a lab's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Comment or `todo!()`.
    pub kind: Kind,
    /// The file.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// The steps it belongs to.
    pub steps: Vec<u32>,
    /// The marker's text, trimmed: `TODO(lab 3, step 2): apply the rule above.`.
    pub text: String,
}

impl Marker {
    /// A comment that tells what to do (`TODO(lab 3, step 2): ...`), as opposed to one that
    /// only explains an `#[allow]` (`TODO(lab 3, step 4) uses these; ...`).
    pub fn is_instruction(&self) -> bool {
        self.kind == Kind::Comment
            && self
                .text
                .split_once(')')
                .is_some_and(|(_, after)| after.starts_with(':'))
    }
}

/// Every marker under the lab's `src/`, by file name, then line.
pub fn scan(lab: &Lab) -> io::Result<Vec<Marker>> {
    let mut files = Vec::new();
    rust_files(&lab.dir.join("src"), &mut files)?;
    files.sort();
    let mut markers = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file)?;
        markers.extend(markers_in(&file, &text));
    }
    Ok(markers)
}

/// The markers in one file's `text`.
pub fn markers_in(file: &Path, text: &str) -> Vec<Marker> {
    let lines: Vec<&str> = text.lines().collect();
    let mut markers = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if let Some(start) = line.find("TODO(lab ") {
            let text = line[start..].trim().to_owned();
            if let Some(steps) = steps_after_lab(&text["TODO(".len()..]) {
                markers.push(Marker {
                    kind: Kind::Comment,
                    file: file.to_owned(),
                    line: index + 1,
                    steps,
                    text,
                });
            }
        }
        if let Some(start) = line.find("todo!(") {
            // The message may sit on the next line when rustfmt wraps a long one.
            let mut message = line[start + "todo!(".len()..].to_owned();
            if !message.contains('"')
                && let Some(next) = lines.get(index + 1)
            {
                message.push_str(next);
            }
            let message = message.trim_start().trim_start_matches('"');
            if let Some(steps) = steps_after_lab(message) {
                let text = message
                    .split('"')
                    .next()
                    .unwrap_or(message)
                    .trim()
                    .to_owned();
                markers.push(Marker {
                    kind: Kind::Todo,
                    file: file.to_owned(),
                    line: index + 1,
                    steps,
                    text: format!("todo!(\"{text}\")"),
                });
            }
        }
    }
    markers
}

/// The steps in text that starts `lab N, step K...`: `step 2`, `steps 4 and 5`,
/// `steps 3, 5 and 6`, `steps 2 to 4`. `None` if the text does not start that way.
pub fn steps_after_lab(text: &str) -> Option<Vec<u32>> {
    let rest = text.strip_prefix("lab ")?;
    let (number, rest) = rest.split_once(',')?;
    number.trim().parse::<u32>().ok()?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("steps ")
        .or_else(|| rest.strip_prefix("step "))?;
    let end = rest.find([')', ':', '"']).unwrap_or(rest.len());
    let words: Vec<&str> = rest[..end]
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect();
    let mut steps = Vec::new();
    let mut range_from: Option<u32> = None;
    for word in words {
        if word == "to" {
            range_from = steps.last().copied();
            continue;
        }
        let Ok(step) = word.parse::<u32>() else {
            // "and", or the first word of a description: stop at anything else.
            if word == "and" {
                continue;
            }
            break;
        };
        match range_from.take() {
            Some(from) => steps.extend(from + 1..=step),
            None => steps.push(step),
        }
    }
    (!steps.is_empty()).then_some(steps)
}

/// Every step any marker names, in order, without repeats.
pub fn steps(markers: &[Marker]) -> Vec<u32> {
    let mut steps: Vec<u32> = markers
        .iter()
        .flat_map(|marker| marker.steps.iter().copied())
        .collect();
    steps.sort_unstable();
    steps.dedup();
    steps
}

/// The lowest step that still has a `todo!()`.
pub fn first_open_step(markers: &[Marker]) -> Option<u32> {
    markers
        .iter()
        .filter(|marker| marker.kind == Kind::Todo)
        .flat_map(|marker| marker.steps.iter().copied())
        .min()
}

/// The marker to send the learner to.
///
/// `step` is the step of the first failing test, `panic_at` the `FILE:LINE:COL` of its
/// panic relative to `root`. In order of preference: the `todo!()` that panicked, else the
/// first `todo!()` of that step, else the first `todo!()` of the lowest step; then, instead
/// of the `todo!()` itself, the instruction comment just above it. When no `todo!()` is left
/// for the step (the learner replaced it, and a test still fails) the step's first
/// instruction comment.
pub fn point_to<'a>(
    markers: &'a [Marker],
    root: &Path,
    step: Option<u32>,
    panic_at: Option<&str>,
) -> Option<&'a Marker> {
    let todos: Vec<&Marker> = markers.iter().filter(|m| m.kind == Kind::Todo).collect();
    let panicked = panic_at.and_then(|location| {
        let (file, line) = split_location(location)?;
        todos
            .iter()
            .copied()
            .find(|m| m.line == line && same_file(root, &m.file, file))
    });
    let todo = panicked
        .or_else(|| {
            let step = step?;
            todos.iter().copied().find(|m| m.steps.contains(&step))
        })
        .or_else(|| {
            let lowest = first_open_step(markers)?;
            todos.iter().copied().find(|m| m.steps.contains(&lowest))
        });
    match todo {
        Some(todo) => Some(instruction_above(markers, todo).unwrap_or(todo)),
        None => {
            let step = step?;
            markers
                .iter()
                .find(|m| m.is_instruction() && m.steps.contains(&step))
        }
    }
}

/// The instruction comment closest above `todo` in its file that shares one of its steps.
fn instruction_above<'a>(markers: &'a [Marker], todo: &Marker) -> Option<&'a Marker> {
    markers
        .iter()
        .filter(|m| m.is_instruction() && m.file == todo.file && m.line < todo.line)
        .filter(|m| m.steps.iter().any(|step| todo.steps.contains(step)))
        .max_by_key(|m| m.line)
}

/// `labs/03_unary/src/store.rs:103:9` → (`labs/03_unary/src/store.rs`, 103).
fn split_location(location: &str) -> Option<(&str, usize)> {
    let mut parts = location.rsplitn(3, ':');
    let _column = parts.next()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next()?;
    Some((file, line))
}

fn same_file(root: &Path, marker_file: &Path, reported: &str) -> bool {
    let reported = Path::new(reported);
    if reported.is_absolute() {
        reported == marker_file
    } else {
        root.join(reported) == marker_file
    }
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_way_the_labs_name_their_steps() {
        assert_eq!(
            steps_after_lab("lab 3, step 2): apply the rule"),
            Some(vec![2])
        );
        assert_eq!(
            steps_after_lab("lab 2, steps 4 and 5) use these"),
            Some(vec![4, 5])
        );
        assert_eq!(
            steps_after_lab("lab 2, steps 3, 5 and 6) use these"),
            Some(vec![3, 5, 6])
        );
        assert_eq!(
            steps_after_lab("lab 6, steps 2 to 4) use `Ordering`"),
            Some(vec![2, 3, 4])
        );
        assert_eq!(
            steps_after_lab("lab 5, step 1: implement check_name in x.rs\")"),
            Some(vec![1])
        );
        assert_eq!(steps_after_lab("lab 3: no step"), None);
        assert_eq!(steps_after_lab("later"), None);
    }

    const SERVICE: &str = r#"use a;
// TODO(lab 3, step 4) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use b;

pub fn lookup_user() {
    // TODO(lab 3, step 2): apply the rule above.
    // - more instructions
    todo!("lab 3, step 2: implement lookup_user in labs/03_unary/src/service.rs")
}

pub fn wrapped() {
    // TODO(lab 3, step 3): the handler.
    todo!(
        "lab 3, step 3: a message long enough for rustfmt to wrap"
    )
}
"#;

    fn service_markers() -> Vec<Marker> {
        markers_in(Path::new("/repo/labs/03_unary/src/service.rs"), SERVICE)
    }

    #[test]
    fn finds_comments_and_todo_bodies_even_when_wrapped() {
        let markers = service_markers();
        let summary: Vec<(Kind, usize, Vec<u32>)> = markers
            .iter()
            .map(|m| (m.kind, m.line, m.steps.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (Kind::Comment, 2, vec![4]),
                (Kind::Comment, 7, vec![2]),
                (Kind::Todo, 9, vec![2]),
                (Kind::Comment, 13, vec![3]),
                (Kind::Todo, 14, vec![3]),
            ]
        );
        assert!(!markers[0].is_instruction());
        assert!(markers[1].is_instruction());
        assert_eq!(
            markers[4].text,
            "todo!(\"lab 3, step 3: a message long enough for rustfmt to wrap\")"
        );
        assert_eq!(steps(&markers), [2, 3, 4]);
        assert_eq!(first_open_step(&markers), Some(2));
    }

    #[test]
    fn points_at_the_instruction_above_the_todo_that_panicked() {
        let markers = service_markers();
        let root = Path::new("/repo");
        let at = point_to(
            &markers,
            root,
            Some(2),
            Some("labs/03_unary/src/service.rs:14:5"),
        )
        .unwrap();
        assert_eq!(
            (at.line, at.text.as_str()),
            (13, "TODO(lab 3, step 3): the handler.")
        );
    }

    #[test]
    fn without_a_panic_in_the_code_points_at_the_failing_step_then_the_lowest() {
        let markers = service_markers();
        let root = Path::new("/repo");
        let at = point_to(&markers, root, Some(3), Some("tests/unary.rs:88:1")).unwrap();
        assert_eq!(at.line, 13);
        let at = point_to(&markers, root, None, None).unwrap();
        assert_eq!(at.line, 7);
    }

    #[test]
    fn when_the_todo_is_gone_points_at_the_steps_instruction() {
        let markers: Vec<Marker> = service_markers()
            .into_iter()
            .filter(|m| m.kind == Kind::Comment)
            .collect();
        let at = point_to(&markers, Path::new("/repo"), Some(2), None).unwrap();
        assert_eq!(at.line, 7);
        assert_eq!(point_to(&markers, Path::new("/repo"), None, None), None);
    }
}
