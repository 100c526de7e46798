//! The workbook on disk: its root, its labs and its chapters.
//!
//! What a lab *is* comes from `tests/lib.rs` (`workbook_checks`), the same model the workbook
//! checks and the `starters-fail` tool use: any directory `labs/NN_topic`, with its solution
//! in `solutions/NN_topic`. A [`Workbook`] holds a list of those, which the CLI discovers on
//! disk and the tests build by hand around a small fixture lab.

use std::path::{Path, PathBuf};

use workbook_checks::{Chapter, Lab};

/// Where the CLI keeps its progress cache, relative to the root. Outside `labs/` on
/// purpose: the CLI never writes there.
pub const PROGRESS_FILE: &str = ".workbook/progress";

/// The repository the CLI works on.
#[derive(Debug, Clone)]
pub struct Workbook {
    /// The repository root: the directory with the workspace `Cargo.toml`.
    pub root: PathBuf,
    /// The labs, in chapter order.
    pub labs: Vec<Lab>,
    /// The book's chapters that have a file, in the order of `SUMMARY.md`.
    pub chapters: Vec<Chapter>,
}

impl Workbook {
    /// A workbook made of these parts (the tests use it with a fixture lab).
    pub fn new(root: impl Into<PathBuf>, labs: Vec<Lab>, chapters: Vec<Chapter>) -> Self {
        Self {
            root: root.into(),
            labs,
            chapters,
        }
    }

    /// The repository this CLI was built from.
    ///
    /// The root is fixed at compile time (`workbook_checks::repo_root()`), which is what makes
    /// `cargo run -p workbook` work from any directory of the clone. An installed copy keeps
    /// pointing at the clone it was installed from; if that clone has moved, this says so.
    pub fn discover() -> Result<Self, String> {
        let root = workbook_checks::repo_root();
        if !root.join("labs").is_dir() {
            return Err(format!(
                "cannot find the workbook's labs in {}: this `workbook` binary was built from a \
                 clone that has moved or been deleted. Run `cargo run -q -p workbook -- ...` from \
                 your clone, or reinstall with `cargo install --path workbook` there.",
                root.join("labs").display()
            ));
        }
        let chapters = if root.join("book/src/SUMMARY.md").is_file() {
            workbook_checks::chapters()
        } else {
            Vec::new()
        };
        Ok(Self::new(root, workbook_checks::labs(), chapters))
    }

    /// The progress cache's path.
    pub fn progress_path(&self) -> PathBuf {
        self.root.join(PROGRESS_FILE)
    }

    /// `path` relative to the root, with `/` separators, for messages.
    pub fn relative(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The chapter that goes with `lab` (same number), if the book has it.
    pub fn chapter_of(&self, lab: &Lab) -> Option<&Chapter> {
        self.chapters
            .iter()
            .find(|chapter| chapter.number == Some(lab.number))
    }

    /// The lab the learner named: see [`crate::select::find_lab`].
    pub fn find_lab(&self, input: &str) -> Result<&Lab, String> {
        crate::select::find_lab(&self.labs, input)
    }
}
