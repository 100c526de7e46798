//! A throw-away workbook with one small lab, and test runners, for the CLI's tests.
//!
//! The fixture is a real cargo workspace in a temporary directory: `labs/01_fixture` (step 1
//! done, step 2 a `todo!()`), its solution, a `hints.md`. It has no dependencies, so cargo
//! builds it in about a second, into the fixture's own target directory: the CLI's tests
//! never run the workbook's real labs.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::{
    cell::{Cell, RefCell},
    collections::{BTreeMap, VecDeque},
    fs, io,
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use workbook::{
    Workbook,
    runner::{CargoRunner, RunOutput, TestRunner},
};
use workbook_checks::Lab;

pub const LAB_MANIFEST: &str = r#"[package]
name = "lab01-fixture"
version = "0.1.0"
edition = "2024"

[lib]
name = "lab01"
doctest = false

[[test]]
name = "fixture"
path = "tests/fixture.rs"
"#;

pub const SOLUTION_MANIFEST: &str = r#"[package]
name = "solution01-fixture"
version = "0.1.0"
edition = "2024"

[lib]
name = "lab01"
doctest = false

[[test]]
name = "fixture"
path = "../../labs/01_fixture/tests/fixture.rs"
"#;

/// The starter: step 1 is done, step 2 is a `todo!()`. Line numbers matter to the tests.
pub const STARTER: &str = r#"//! Lab 1: arithmetic.

/// Twice `x`.
pub fn double(x: i32) -> i32 {
    // TODO(lab 1, step 1): return twice `x`.
    x * 2
}

/// Three times `x`.
pub fn triple(x: i32) -> i32 {
    // TODO(lab 1, step 2): return three times `x`.
    let _ = x;
    todo!("lab 1, step 2: implement triple in labs/01_fixture/src/lib.rs")
}
"#;

/// Where the starter's step 2 instruction is.
pub const STEP_2_TODO_LINE: usize = 11;

pub const SOLVED: &str = r#"//! Lab 1: arithmetic.

/// Twice `x`.
pub fn double(x: i32) -> i32 {
    x * 2
}

/// Three times `x`.
pub fn triple(x: i32) -> i32 {
    x * 3
}
"#;

pub const TESTS: &str = r#"mod step_1_double {
    #[test]
    fn doubles() {
        assert_eq!(lab01::double(2), 4);
    }
}

mod step_2_triple {
    #[test]
    fn triples() {
        assert_eq!(lab01::triple(2), 6);
    }

    #[test]
    fn triples_negatives() {
        assert_eq!(lab01::triple(-2), -6);
    }
}
"#;

pub const HINTS: &str = r#"# Lab 1 hints

Arithmetic, for the tests.

## Step 1: doubling

### Concept

CONCEPT-1 Doubling is adding a number to itself.

### API

API-1 The `*` operator.

### Near-solution

NEAR-1 `x * ...`

## Step 2: tripling

### Concept

CONCEPT-2 Tripling is doubling plus one more.

### API

API-2 The `*` operator again.

### Near-solution

NEAR-2 `x * ...`, with the right number.
"#;

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// A fixture workbook on disk, deleted on drop.
pub struct Fixture {
    pub root: PathBuf,
}

impl Fixture {
    /// A fresh fixture named after the test that uses it.
    pub fn new(name: &str) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!(
            "workbook-fixture-{name}-{}-{id}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&root);
        let files = [
            (
                "Cargo.toml",
                "[workspace]\nresolver = \"3\"\nmembers = [\"labs/*\", \"solutions/*\"]\n",
            ),
            ("labs/01_fixture/Cargo.toml", LAB_MANIFEST),
            ("labs/01_fixture/src/lib.rs", STARTER),
            ("labs/01_fixture/tests/fixture.rs", TESTS),
            ("labs/01_fixture/hints.md", HINTS),
            (
                "labs/01_fixture/README.md",
                "# Lab 1\n\n`cargo test -p lab01-fixture`\n",
            ),
            ("solutions/01_fixture/Cargo.toml", SOLUTION_MANIFEST),
            ("solutions/01_fixture/src/lib.rs", SOLVED),
        ];
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().expect("a file has a parent")).unwrap();
            fs::write(path, text).unwrap();
        }
        Self { root }
    }

    pub fn lab(&self) -> Lab {
        Lab {
            number: 1,
            dir_name: "01_fixture".to_owned(),
            dir: self.root.join("labs/01_fixture"),
            solution_dir: self.root.join("solutions/01_fixture"),
        }
    }

    pub fn workbook(&self) -> Workbook {
        Workbook::new(&self.root, vec![self.lab()], Vec::new())
    }

    /// cargo building into the fixture's own target directory.
    pub fn cargo(&self) -> CargoRunner {
        CargoRunner::from_env().with_target_dir(self.root.join("target"))
    }

    /// Writes the lab's `src/lib.rs`.
    pub fn write_lab_source(&self, text: &str) {
        fs::write(self.root.join("labs/01_fixture/src/lib.rs"), text).unwrap();
    }

    /// Every file under `labs/` and `solutions/`, with its bytes.
    pub fn learner_files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        for dir in ["labs", "solutions"] {
            snapshot(&self.root.join(dir), &mut files).unwrap();
        }
        files
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Every file under `dir` (recursively) with its contents, added to `files`.
pub fn snapshot(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            snapshot(&path, files)?;
        } else {
            files.insert(path.clone(), fs::read(&path)?);
        }
    }
    Ok(())
}

/// Canned libtest output for the fixture: `passed` tests pass, the rest fail.
pub fn canned_output(fail_step_2: bool) -> RunOutput {
    let (stdout, success) = if fail_step_2 {
        (
            "running 3 tests
test step_1_double::doubles ... ok
test step_2_triple::triples_negatives ... FAILED
test step_2_triple::triples ... FAILED

failures:

---- step_2_triple::triples stdout ----

thread 'step_2_triple::triples' (7) panicked at labs/01_fixture/src/lib.rs:13:5:
not yet implemented: lab 1, step 2: implement triple in labs/01_fixture/src/lib.rs

---- step_2_triple::triples_negatives stdout ----

thread 'step_2_triple::triples_negatives' (8) panicked at labs/01_fixture/src/lib.rs:13:5:
not yet implemented: lab 1, step 2: implement triple in labs/01_fixture/src/lib.rs

failures:
    step_2_triple::triples
    step_2_triple::triples_negatives

test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
",
            false,
        )
    } else {
        (
            "running 3 tests
test step_1_double::doubles ... ok
test step_2_triple::triples ... ok
test step_2_triple::triples_negatives ... ok

test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
",
            true,
        )
    };
    RunOutput {
        success,
        stdout: stdout.to_owned(),
        stderr: String::new(),
        elapsed: Duration::from_millis(1200),
    }
}

/// A runner that answers from canned outputs and counts its runs. An optional hook runs on
/// every call with the call's number (from 1), for tests that act "during" a run.
pub struct FakeRunner {
    pub outputs: RefCell<VecDeque<RunOutput>>,
    pub calls: Cell<usize>,
    pub hook: Option<Box<dyn Fn(usize)>>,
}

impl FakeRunner {
    /// Answers `output` to every run.
    pub fn always(output: RunOutput) -> Self {
        Self {
            outputs: RefCell::new(VecDeque::from([output])),
            calls: Cell::new(0),
            hook: None,
        }
    }

    /// Answers each of `outputs` in turn, then repeats the last.
    pub fn sequence(outputs: Vec<RunOutput>) -> Self {
        Self {
            outputs: RefCell::new(outputs.into()),
            calls: Cell::new(0),
            hook: None,
        }
    }
}

impl TestRunner for FakeRunner {
    fn run_tests(&self, _root: &Path, package: &str) -> io::Result<RunOutput> {
        assert_eq!(package, "lab01-fixture");
        self.calls.set(self.calls.get() + 1);
        if let Some(hook) = &self.hook {
            hook(self.calls.get());
        }
        let mut outputs = self.outputs.borrow_mut();
        let output = if outputs.len() > 1 {
            outputs.pop_front()
        } else {
            outputs.front().cloned()
        };
        Ok(output.expect("the fake runner has an output"))
    }
}

/// Runs a command against a buffer and returns its outcome and text.
pub fn capture(
    command: impl FnOnce(&mut dyn io::Write) -> workbook::commands::Outcome,
) -> (Result<bool, String>, String) {
    let mut buffer = Vec::new();
    let outcome = command(&mut buffer).map_err(|error| error.to_string());
    (
        outcome,
        String::from_utf8(buffer).expect("the CLI writes UTF-8"),
    )
}
