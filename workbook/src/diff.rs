//! A unified diff of two directories, for machines without `diff` (a plain Windows, say).
//!
//! `workbook solution` prefers the system's `diff -ru`; this is the fallback, producing the
//! same shape: `--- old`/`+++ new` headers, `@@ -a,b +c,d @@` hunks with three lines of
//! context, and `Only in DIR: NAME` for files on one side only. The line matching is a
//! longest-common-subsequence table, quadratic in the file's length, which is instant for
//! files the size of a lab's and refused (with a message) for anything huge.

use std::{
    collections::BTreeSet,
    fs, io,
    path::{Path, PathBuf},
};

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Above this many table cells (old lines × new lines) a file is reported as "differs".
const MAX_CELLS: usize = 16_000_000;

/// An edit script entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// The line is in both: index in old, index in new.
    Keep(usize, usize),
    /// Only in old.
    Delete(usize),
    /// Only in new.
    Insert(usize),
}

/// The unified diff of `old` and `new` (texts), with the given header names; empty when equal.
pub fn unified(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let mut text = format!("--- {old_name}\n+++ {new_name}\n");
    let Some(edits) = edit_script(&old_lines, &new_lines) else {
        text.push_str("(too large to diff line by line; the files differ)\n");
        return text;
    };
    for (start, end) in hunks(&edits) {
        let slice = &edits[start..end];
        let (before, hunk) = (&edits[..start], slice);
        text.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(count(before, Side::Old), count(hunk, Side::Old)),
            range(count(before, Side::New), count(hunk, Side::New)),
        ));
        for edit in slice {
            match *edit {
                Edit::Keep(o, _) => text.push_str(&format!(" {}\n", old_lines[o])),
                Edit::Delete(o) => text.push_str(&format!("-{}\n", old_lines[o])),
                Edit::Insert(n) => text.push_str(&format!("+{}\n", new_lines[n])),
            }
        }
    }
    text
}

/// One side of a diff.
#[derive(Clone, Copy)]
enum Side {
    Old,
    New,
}

/// How many of `edits` have a line on `side`.
fn count(edits: &[Edit], side: Side) -> usize {
    edits
        .iter()
        .filter(|edit| match (edit, side) {
            (Edit::Keep(..), _) | (Edit::Delete(_), Side::Old) | (Edit::Insert(_), Side::New) => {
                true
            }
            (Edit::Delete(_), Side::New) | (Edit::Insert(_), Side::Old) => false,
        })
        .count()
}

/// `start,count` of a hunk header, diff(1)-style: 1-based, `,count` left out when it is 1,
/// and a side with no lines named by the line before the hunk (0 at the very start).
fn range(lines_before: usize, lines: usize) -> String {
    match lines {
        0 => format!("{lines_before},0"),
        1 => (lines_before + 1).to_string(),
        _ => format!("{},{lines}", lines_before + 1),
    }
}

/// The edits, by longest common subsequence; `None` when the table would be too large.
fn edit_script(old: &[&str], new: &[&str]) -> Option<Vec<Edit>> {
    let (n, m) = (old.len(), new.len());
    if n.saturating_mul(m) > MAX_CELLS {
        return None;
    }
    // lcs[i][j]: the length of the LCS of old[i..] and new[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if old[i] == new[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let mut edits = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if old[i] == new[j] {
            edits.push(Edit::Keep(i, j));
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            edits.push(Edit::Delete(i));
            i += 1;
        } else {
            edits.push(Edit::Insert(j));
            j += 1;
        }
    }
    edits.extend((i..n).map(Edit::Delete));
    edits.extend((j..m).map(Edit::Insert));
    Some(edits)
}

/// The hunks: ranges of `edits` with each change and up to [`CONTEXT`] kept lines around it,
/// merged when their contexts touch.
fn hunks(edits: &[Edit]) -> Vec<(usize, usize)> {
    let changes: Vec<usize> = edits
        .iter()
        .enumerate()
        .filter(|(_, edit)| !matches!(edit, Edit::Keep(..)))
        .map(|(index, _)| index)
        .collect();
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for index in changes {
        let start = index.saturating_sub(CONTEXT);
        let end = (index + 1 + CONTEXT).min(edits.len());
        match hunks.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => hunks.push((start, end)),
        }
    }
    hunks
}

/// `diff -ru old_dir new_dir`: every file of both trees, names shown as `old_label/...`.
pub fn directories(
    old_dir: &Path,
    new_dir: &Path,
    old_label: &str,
    new_label: &str,
) -> io::Result<String> {
    let mut names = BTreeSet::new();
    for dir in [old_dir, new_dir] {
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        names.extend(
            files
                .into_iter()
                .filter_map(|file| file.strip_prefix(dir).ok().map(Path::to_path_buf)),
        );
    }
    let mut text = String::new();
    for name in names {
        let shown = name
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let (old_path, new_path) = (old_dir.join(&name), new_dir.join(&name));
        match (old_path.is_file(), new_path.is_file()) {
            (true, true) => {
                let old = fs::read_to_string(&old_path)?;
                let new = fs::read_to_string(&new_path)?;
                text.push_str(&unified(
                    &format!("{old_label}/{shown}"),
                    &format!("{new_label}/{shown}"),
                    &old,
                    &new,
                ));
            }
            (true, false) => text.push_str(&only_in(old_label, &shown)),
            (false, true) => text.push_str(&only_in(new_label, &shown)),
            (false, false) => {}
        }
    }
    Ok(text)
}

fn only_in(label: &str, name: &str) -> String {
    match name.rsplit_once('/') {
        Some((dir, file)) => format!("Only in {label}/{dir}: {file}\n"),
        None => format!("Only in {label}: {name}\n"),
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a", "b", "x\ny\n", "x\ny\n"), "");
    }

    #[test]
    fn a_changed_line_gets_one_hunk_with_three_lines_of_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
        assert_eq!(
            unified("labs/x.rs", "solutions/x.rs", old, new),
            "--- labs/x.rs\n+++ solutions/x.rs\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn distant_changes_get_separate_hunks_and_near_ones_merge() {
        let old: String = (1..=20).map(|n| format!("{n}\n")).collect();
        let new = old.replace("2\n", "two\n").replace("18\n", "eighteen\n");
        let diff = unified("a", "b", &old, &new);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert!(
            diff.contains("@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"),
            "{diff}"
        );

        let near = old.replace("2\n", "two\n").replace("7\n", "seven\n");
        assert_eq!(unified("a", "b", &old, &near).matches("@@ -").count(), 1);
    }

    #[test]
    fn insertions_and_deletions_count_only_their_own_side() {
        let diff = unified("a", "b", "keep\nold\n", "keep\nnew\nmore\n");
        assert_eq!(
            diff,
            "--- a\n+++ b\n@@ -1,2 +1,3 @@\n keep\n-old\n+new\n+more\n"
        );
        let added = unified("a", "b", "", "only\n");
        assert_eq!(added, "--- a\n+++ b\n@@ -0,0 +1 @@\n+only\n");
    }

    /// Applies a unified diff made by [`unified`] to `old`: the test of a diff is that it
    /// turns one text into the other.
    fn apply(old: &str, diff: &str) -> String {
        let old_lines: Vec<&str> = old.lines().collect();
        let mut result: Vec<String> = Vec::new();
        let mut next_old = 0; // index of the next old line not yet copied
        for line in diff.lines().skip(2) {
            if let Some(header) = line.strip_prefix("@@ -") {
                let start = header.split([',', ' ']).next().unwrap();
                let start: usize = start.parse().unwrap();
                let count_old = header
                    .split(' ')
                    .next()
                    .unwrap()
                    .split_once(',')
                    .map_or(1, |(_, n)| n.parse().unwrap());
                // Hunks start at 1-based `start`, or after line `start` when they have none.
                let first = if count_old == 0 { start } else { start - 1 };
                result.extend(old_lines[next_old..first].iter().map(|l| l.to_string()));
                next_old = first;
            } else if let Some(kept) = line.strip_prefix(' ') {
                assert_eq!(old_lines[next_old], kept);
                result.push(kept.to_owned());
                next_old += 1;
            } else if let Some(removed) = line.strip_prefix('-') {
                assert_eq!(old_lines[next_old], removed);
                next_old += 1;
            } else if let Some(added) = line.strip_prefix('+') {
                result.push(added.to_owned());
            }
        }
        result.extend(old_lines[next_old..].iter().map(|l| l.to_string()));
        result.join("\n")
    }

    #[test]
    fn every_lab_diffed_against_its_solution_patches_back_exactly() {
        let mut pairs = 0;
        for lab in workbook_checks::labs() {
            let Ok(entries) = fs::read_dir(lab.dir.join("src")) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let (Ok(old), Ok(new)) = (
                    fs::read_to_string(entry.path()),
                    fs::read_to_string(lab.solution_dir.join("src").join(&name)),
                ) else {
                    continue;
                };
                let diff = unified("a", "b", &old, &new);
                if diff.is_empty() {
                    continue;
                }
                let patched = apply(&old, &diff);
                assert_eq!(
                    patched,
                    new.lines().collect::<Vec<_>>().join("\n"),
                    "{}/{name:?}:\n{diff}",
                    lab.dir_name
                );
                pairs += 1;
            }
        }
        assert!(pairs >= 5, "only {pairs} file pairs were compared");
    }

    #[test]
    fn directories_show_changed_files_and_files_on_one_side() {
        let base = std::env::temp_dir().join(format!("workbook-diff-{}", std::process::id()));
        let (old, new) = (base.join("old"), base.join("new"));
        for dir in [&old, &new] {
            fs::create_dir_all(dir.join("sub")).unwrap();
        }
        fs::write(old.join("same.rs"), "x\n").unwrap();
        fs::write(new.join("same.rs"), "x\n").unwrap();
        fs::write(old.join("sub/changed.rs"), "a\n").unwrap();
        fs::write(new.join("sub/changed.rs"), "b\n").unwrap();
        fs::write(old.join("mine.rs"), "m\n").unwrap();
        fs::write(new.join("sub/theirs.rs"), "t\n").unwrap();
        let diff = directories(&old, &new, "labs/x/src", "solutions/x/src").unwrap();
        fs::remove_dir_all(&base).unwrap();
        assert_eq!(
            diff,
            "Only in labs/x/src: mine.rs\n\
             --- labs/x/src/sub/changed.rs\n+++ solutions/x/src/sub/changed.rs\n@@ -1 +1 @@\n-a\n+b\n\
             Only in solutions/x/src/sub: theirs.rs\n"
        );
    }
}
