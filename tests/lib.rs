//! The workbook's own structure, read from disk: its labs, their solutions and tests, and the
//! book's chapters. The checks in `workbook.rs` and the `starters-fail` tool both use it, so
//! there is one definition of "a lab".

use std::{
    fs,
    path::{Path, PathBuf},
};

/// The repository root (the directory holding the workspace `Cargo.toml`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the repository")
        .to_path_buf()
}

/// One lab: `labs/NN_topic`, its solution `solutions/NN_topic`, and its test files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lab {
    /// The chapter number, `NN`.
    pub number: u32,
    /// The directory name, `NN_topic`, shared by the lab and its solution.
    pub dir_name: String,
    /// The lab's directory.
    pub dir: PathBuf,
    /// The solution's directory.
    pub solution_dir: PathBuf,
}

impl Lab {
    /// The lab's cargo package name, from its `Cargo.toml`.
    pub fn package(&self) -> Result<String, String> {
        package_name(&self.dir.join("Cargo.toml"))
    }

    /// The solution's cargo package name, from its `Cargo.toml`.
    pub fn solution_package(&self) -> Result<String, String> {
        package_name(&self.solution_dir.join("Cargo.toml"))
    }

    /// The lab's test files (`tests/*.rs`), sorted by name.
    pub fn test_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(self.dir.join("tests"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}

/// Every lab under `labs/`, in chapter order. A lab directory is named `NN_topic`.
pub fn labs() -> Vec<Lab> {
    let root = repo_root();
    let mut labs: Vec<Lab> = fs::read_dir(root.join("labs"))
        .expect("labs/ exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| {
            let dir_name = entry.file_name().to_string_lossy().into_owned();
            let (number, _topic) = dir_name.split_once('_')?;
            let number = number.parse().ok()?;
            Some(Lab {
                number,
                dir: entry.path(),
                solution_dir: root.join("solutions").join(&dir_name),
                dir_name,
            })
        })
        .collect();
    labs.sort_by_key(|lab| lab.number);
    labs
}

/// The values of `key = "value"` lines in `section` of a Cargo manifest (e.g. `[lib]`, or
/// every `[[test]]` table in turn). Enough TOML for the workbook's own manifests, which are
/// written one key per line.
pub fn manifest_values(manifest: &str, section: &str, key: &str) -> Vec<String> {
    let mut in_section = false;
    let mut values = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == section;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            values.push(v.trim().trim_matches('"').to_owned());
        }
    }
    values
}

fn package_name(manifest_path: &Path) -> Result<String, String> {
    let manifest = fs::read_to_string(manifest_path)
        .map_err(|error| format!("cannot read {}: {error}", manifest_path.display()))?;
    manifest_values(&manifest, "[package]", "name")
        .into_iter()
        .next()
        .ok_or_else(|| format!("{} has no package name", manifest_path.display()))
}

/// A chapter listed in `book/src/SUMMARY.md` with a file (draft chapters have none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    /// The title as listed, e.g. `3. Unary RPC`.
    pub title: String,
    /// The chapter's number when its title starts with one.
    pub number: Option<u32>,
    /// The file, relative to `book/src`.
    pub file: String,
}

/// The chapters of the book that have a file, in the order of the summary.
pub fn chapters() -> Vec<Chapter> {
    let summary = fs::read_to_string(repo_root().join("book/src/SUMMARY.md"))
        .expect("book/src/SUMMARY.md exists");
    summary
        .lines()
        .filter_map(|line| {
            let start = line.find('[')?;
            let (title, rest) = line[start + 1..].split_once("](")?;
            let file = rest.split_once(')')?.0;
            if file.is_empty() {
                return None;
            }
            let number = title.split_once('.').and_then(|(n, _)| n.parse().ok());
            Some(Chapter {
                title: title.to_owned(),
                number,
                file: file.to_owned(),
            })
        })
        .collect()
}

/// A fenced code block of a Markdown file: the line it starts on and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// 1-based line number of the opening fence.
    pub line: usize,
    /// The info string after the fence (`rust`, `proto`, ...).
    pub info: String,
    /// The lines between the fences.
    pub body: Vec<String>,
}

/// The fenced code blocks (```` ``` ```` or `~~~`) of `markdown`.
pub fn code_blocks(markdown: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    // The open block with its fence: the fence character and how many of them opened it.
    let mut open: Option<(char, usize, CodeBlock)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let fence = fence_of(trimmed);
        match (&mut open, fence) {
            (None, Some((ch, len))) => {
                let info = trimmed[len..].trim().to_owned();
                let block = CodeBlock {
                    line: index + 1,
                    info,
                    body: Vec::new(),
                };
                open = Some((ch, len, block));
            }
            (Some((ch, len, _)), Some((close_ch, close_len)))
                if close_ch == *ch
                    && close_len >= *len
                    && trimmed[close_len..].trim().is_empty() =>
            {
                if let Some((_, _, block)) = open.take() {
                    blocks.push(block);
                }
            }
            (Some((_, _, block)), _) => block.body.push(line.to_owned()),
            (None, None) => {}
        }
    }
    blocks
}

/// The fence a line starts with, if any: its character and length (3 or more).
fn fence_of(line: &str) -> Option<(char, usize)> {
    let ch = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = line.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// An mdBook include directive: `{{#include path}}` or `{{#include path:anchor}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The path as written, relative to the Markdown file.
    pub path: String,
    /// The anchor name, when the directive names one (line ranges are not used here).
    pub anchor: Option<String>,
}

/// Every `{{#include ...}}` (and `{{#rustdoc_include ...}}`) directive in `markdown`.
pub fn includes(markdown: &str) -> Vec<Include> {
    let mut found = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("{{#") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let directive = after[..end].trim();
        rest = &after[end + 2..];
        let Some(target) = directive
            .strip_prefix("include ")
            .or_else(|| directive.strip_prefix("rustdoc_include "))
        else {
            continue;
        };
        let target = target.trim();
        let (path, anchor) = match target.split_once(':') {
            Some((path, anchor)) => (path, Some(anchor.to_owned())),
            None => (target, None),
        };
        found.push(Include {
            path: path.to_owned(),
            anchor,
        });
    }
    found
}

/// The targets of inline Markdown links and images, `[text](target)`, outside code.
pub fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if fence_of(line.trim_start()).is_some() {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Drop inline code spans: `[a](b)` inside backticks is not a link.
        let mut text = String::new();
        for (index, part) in line.split('`').enumerate() {
            if index % 2 == 0 {
                text.push_str(part);
            }
        }
        let mut rest = text.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            targets.push(target.to_owned());
            rest = &after[end + 1..];
        }
    }
    targets
}

/// One question of the interview question bank (Appendix A): a heading
/// `### Q7.3 How ...?` and the text under it, up to the next heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankQuestion {
    /// The chapter the question belongs to (`7` in `Q7.3`).
    pub chapter: u32,
    /// Its number within the chapter (`3` in `Q7.3`).
    pub number: u32,
    /// The question, without the `### Q7.3 ` prefix.
    pub question: String,
    /// The lines under the heading, up to the next heading.
    pub body: String,
}

/// The questions of a question-bank page, in page order. A heading that starts `### Q` but
/// has no `chapter.number` id is returned with chapter and number 0, for the checks to
/// report.
pub fn bank_questions(markdown: &str) -> Vec<BankQuestion> {
    let mut questions: Vec<BankQuestion> = Vec::new();
    let mut in_question = false;
    for line in markdown.lines() {
        if line.starts_with('#') {
            in_question = false;
            if let Some(rest) = line.strip_prefix("### Q") {
                let (id, question) = rest.split_once(' ').unwrap_or((rest, ""));
                let (chapter, number) = id
                    .split_once('.')
                    .and_then(|(c, n)| Some((c.parse().ok()?, n.parse().ok()?)))
                    .unwrap_or((0, 0));
                questions.push(BankQuestion {
                    chapter,
                    number,
                    question: question.trim().to_owned(),
                    body: String::new(),
                });
                in_question = true;
            }
        } else if in_question {
            let body = &mut questions.last_mut().expect("a question is open").body;
            body.push_str(line);
            body.push('\n');
        }
    }
    questions
}

/// The sections of a page that are headed by a test's name in code, `` ### `test_name` ``:
/// (name, the text under the heading up to the next heading).
pub fn test_sections(markdown: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut in_section = false;
    for line in markdown.lines() {
        if line.starts_with('#') {
            in_section = false;
            if let Some(name) = line
                .strip_prefix("### `")
                .and_then(|rest| rest.strip_suffix('`'))
            {
                sections.push((name.to_owned(), String::new()));
                in_section = true;
            }
        } else if in_section {
            let body = &mut sections.last_mut().expect("a section is open").1;
            body.push_str(line);
            body.push('\n');
        }
    }
    sections
}

/// The lines of `content` between `ANCHOR: name` and `ANCHOR_END: name`, as mdBook takes them.
pub fn anchored(content: &str, name: &str) -> Option<String> {
    let mut lines = content.lines();
    lines.find(|line| line.trim_end().ends_with(&format!("ANCHOR: {name}")))?;
    let mut taken = String::new();
    for line in lines {
        if line.trim_end().ends_with(&format!("ANCHOR_END: {name}")) {
            return Some(taken);
        }
        taken.push_str(line);
        taken.push('\n');
    }
    None
}
