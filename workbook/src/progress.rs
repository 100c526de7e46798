//! The progress cache: the last verdict of every lab and the fingerprint it was judged at.
//!
//! It lives in `.workbook/progress` at the repository root (ignored by git), outside `labs/`
//! and outside `target/`, so it survives restarts and `cargo clean`. It is only a cache:
//! every verdict in it can be recomputed by running the lab's tests, so a missing, old or
//! damaged file is simply treated as empty. That is also why the CLI can never lose work by
//! writing it.
//!
//! The format is one tab-separated line per lab, readable with any text tool:
//!
//! ```text
//! # workbook progress cache ...
//! v1
//! lab03-unary  <key>  fail  3  9  <first failing test>  <panic location>  <message>  <panics>  <detail>
//! ```
//!
//! Tabs, newlines and backslashes inside fields are escaped as `\t`, `\n` and `\\`. Writes go
//! to a temporary file renamed over the old one, so an interrupted write leaves the old cache.

use std::{
    collections::BTreeMap,
    fs, io,
    path::{Path, PathBuf},
};

use crate::verdict::{FirstFailure, State, Verdict};

const HEADER: &str = "# workbook progress cache: the last test verdict of each lab and the \
fingerprint of the files it was judged at. Safe to delete: `status` re-runs what it needs.";
const VERSION: &str = "v1";

/// One lab's cached verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The fingerprint of the lab's inputs when the verdict was given.
    pub key: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// Every lab's last verdict, by package name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    records: BTreeMap<String, Record>,
}

impl Progress {
    /// Reads the cache at `path`. Missing or unreadable means empty, never an error.
    pub fn load(path: &Path) -> Self {
        fs::read_to_string(path)
            .map(|text| Self::parse(&text))
            .unwrap_or_default()
    }

    /// The verdict of `package`, if it was given at fingerprint `key`.
    pub fn fresh(&self, package: &str, key: &str) -> Option<&Verdict> {
        self.records
            .get(package)
            .filter(|record| record.key == key)
            .map(|record| &record.verdict)
    }

    /// The last verdict of `package`, however old.
    pub fn last(&self, package: &str) -> Option<&Record> {
        self.records.get(package)
    }

    /// Sets `package`'s record in memory.
    pub fn insert(&mut self, package: &str, record: Record) {
        self.records.insert(package.to_owned(), record);
    }

    /// Records `package`'s verdict in the cache at `path`: reads the file again first, so
    /// that another `workbook` running at the same time keeps its records, then replaces
    /// the file in one rename.
    pub fn record(path: &Path, package: &str, record: Record) -> io::Result<Self> {
        let mut progress = Self::load(path);
        progress.insert(package, record);
        progress.save(path)?;
        Ok(progress)
    }

    /// Writes the cache to `path`, creating its directory.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let temporary = temporary_path(path);
        fs::write(&temporary, self.render())?;
        fs::rename(&temporary, path)
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut text = format!("{HEADER}\n{VERSION}\n");
        for (package, record) in &self.records {
            let verdict = &record.verdict;
            let failure = verdict.first_failure.clone().unwrap_or_default();
            let fields = [
                package.clone(),
                record.key.clone(),
                verdict.state.as_str().to_owned(),
                verdict.passed.to_string(),
                verdict.failed.to_string(),
                failure.test,
                failure.location.unwrap_or_default(),
                failure.message,
                failure.panics.to_string(),
                verdict.detail.clone(),
            ];
            let escaped: Vec<String> = fields.iter().map(|field| escape(field)).collect();
            text.push_str(&escaped.join("\t"));
            text.push('\n');
        }
        text
    }

    /// Reads the file's text; a line that does not parse is skipped, another version's file
    /// is ignored whole.
    pub fn parse(text: &str) -> Self {
        let mut lines = text.lines().filter(|line| !line.starts_with('#'));
        if lines.next() != Some(VERSION) {
            return Self::default();
        }
        let records = lines.filter_map(parse_record).collect();
        Self { records }
    }
}

fn parse_record(line: &str) -> Option<(String, Record)> {
    let fields: Vec<String> = line.split('\t').map(unescape).collect();
    let [
        package,
        key,
        state,
        passed,
        failed,
        test,
        location,
        message,
        panics,
        detail,
    ] = fields.as_slice()
    else {
        return None;
    };
    let first_failure = (!test.is_empty()).then(|| FirstFailure {
        test: test.clone(),
        location: (!location.is_empty()).then(|| location.clone()),
        message: message.clone(),
        panics: panics.parse().unwrap_or(0),
    });
    let verdict = Verdict {
        state: State::parse(state)?,
        passed: passed.parse().ok()?,
        failed: failed.parse().ok()?,
        first_failure,
        detail: detail.clone(),
    };
    Some((
        package.clone(),
        Record {
            key: key.clone(),
            verdict,
        },
    ))
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

fn escape(field: &str) -> String {
    field
        .replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(field: &str) -> String {
    let mut text = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => text.push('\t'),
            Some('n') => text.push('\n'),
            Some('r') => text.push('\r'),
            Some(other) => text.push(other),
            None => text.push('\\'),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing() -> Verdict {
        Verdict {
            state: State::Fail,
            passed: 3,
            failed: 9,
            first_failure: Some(FirstFailure {
                test: "step_2_lookup_rule::finds_a_stored_user".to_owned(),
                location: Some("labs/03_unary/src/service.rs:34:5".to_owned()),
                message: "assertion failed:\n\tleft: \"a\\b\"\n right: 2".to_owned(),
                panics: 2,
            }),
            detail: String::new(),
        }
    }

    #[test]
    fn a_verdict_survives_a_round_trip_through_the_file_format() {
        let mut progress = Progress::default();
        let record = Record {
            key: "00ff-12ab".to_owned(),
            verdict: failing(),
        };
        progress.insert("lab03-unary", record.clone());
        progress.insert(
            "lab02-protobuf",
            Record {
                key: "k".to_owned(),
                verdict: Verdict {
                    state: State::Build,
                    passed: 0,
                    failed: 0,
                    first_failure: None,
                    detail: "error[E0308]: mismatched types at src/a.rs:1:1".to_owned(),
                },
            },
        );
        let text = progress.render();
        assert_eq!(Progress::parse(&text), progress);
        assert_eq!(
            text.lines().filter(|line| !line.starts_with('#')).count(),
            3,
            "a version line and one line per lab:\n{text}"
        );
    }

    #[test]
    fn only_a_verdict_at_the_same_fingerprint_is_fresh() {
        let mut progress = Progress::default();
        progress.insert(
            "lab03-unary",
            Record {
                key: "old".to_owned(),
                verdict: failing(),
            },
        );
        assert!(progress.fresh("lab03-unary", "old").is_some());
        assert!(progress.fresh("lab03-unary", "new").is_none());
        assert!(progress.fresh("lab04-server-streaming", "old").is_none());
        assert!(progress.last("lab03-unary").is_some());
    }

    #[test]
    fn a_damaged_or_foreign_file_reads_as_empty_or_partial() {
        assert_eq!(Progress::parse(""), Progress::default());
        assert_eq!(Progress::parse("v0\nlab\tk\tpass"), Progress::default());
        let partial = Progress::parse("v1\nnot enough fields\nlab02\tk\tpass\t1\t0\t\t\t\t0\t\n");
        assert!(partial.fresh("lab02", "k").is_some());
        assert_eq!(
            Progress::load(Path::new("/nonexistent/progress")),
            Progress::default()
        );
    }

    #[test]
    fn escaping_is_reversible() {
        for text in [
            "",
            "plain",
            "a\tb",
            "line\nline",
            "back\\slash\\n",
            "\\",
            "x\\",
        ] {
            assert_eq!(unescape(&escape(text)), text, "{text:?}");
            assert!(!escape(text).contains(['\t', '\n']));
        }
    }
}
