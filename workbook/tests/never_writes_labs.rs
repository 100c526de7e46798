//! The CLI's promise: a learner can never lose work through it.
//!
//! Every command runs here, with the real `cargo test`, against a fixture workbook in a
//! temporary directory (a small lab that builds in about a second), and every byte under
//! `labs/` and `solutions/` is compared before and after. Then the real binary runs the
//! commands that need no test run against this very repository, with the same comparison.

mod support;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    sync::mpsc,
};

use support::{Fixture, capture, snapshot};
use workbook::{
    commands::{self, App, WatchMode},
    hints::Tier,
    watch::Input,
};

#[test]
fn no_command_changes_a_byte_under_labs_or_solutions() {
    let fixture = Fixture::new("never-writes");
    let runner = fixture.cargo();
    let app = App::new(fixture.workbook(), &runner, "workbook");
    let lab = fixture.lab();
    // The learner's own files, as a learner would leave them: with a pending snapshot that
    // `cargo test` left behind, which nothing may delete either.
    std::fs::write(lab.dir.join("tests/pending.snap.new"), "mine\n").unwrap();
    let before = fixture.learner_files();

    let (outcome, status) = capture(|out| commands::status(&app, false, out));
    assert_eq!(outcome, Ok(true), "{status}");
    assert!(status.contains("[FAIL]  01 lab01-fixture"), "{status}");

    let (outcome, check) = capture(|out| commands::check(&app, &lab, out));
    assert_eq!(outcome, Ok(false), "{check}");
    // The real cargo's output, parsed: counts, first failure, panic, TODO.
    assert!(
        check.contains("lab01-fixture: 1 of 3 tests pass"),
        "{check}"
    );
    assert!(
        check.contains("First failing test: step_2_triple::triples\n"),
        "{check}"
    );
    assert!(
        check.contains("panicked at labs/01_fixture/src/lib.rs:13:5:"),
        "{check}"
    );
    assert!(
        check.contains("Next TODO: labs/01_fixture/src/lib.rs:11"),
        "{check}"
    );

    for command in [
        capture(|out| commands::next(&app, out)),
        capture(|out| commands::hint(&app, &lab, None, Tier::Concept, out)),
        capture(|out| commands::hint(&app, &lab, None, Tier::Api, out)),
        capture(|out| commands::hint(&app, &lab, Some(1), Tier::NearSolution, out)),
        capture(|out| commands::solution(&app, &lab, false, out)),
        capture(|out| commands::solution(&app, &lab, true, out)),
        capture(|out| commands::doctor(&app, out)),
        capture(|out| {
            let (tx, rx) = mpsc::channel();
            tx.send(Input::Recheck).unwrap();
            tx.send(Input::Quit).unwrap();
            commands::watch(&app, Some(&lab), WatchMode::Manual, rx, out)
        }),
    ] {
        assert!(command.0.is_ok(), "{command:?}");
    }
    assert_same(&before, &fixture.learner_files());

    // Once the lab passes, `solution` shows the diff; still nothing is written.
    fixture.write_lab_source(support::SOLVED);
    let before = fixture.learner_files();
    let (outcome, check) = capture(|out| commands::check(&app, &lab, out));
    assert_eq!(outcome, Ok(true), "{check}");
    let (outcome, solution) = capture(|out| commands::solution(&app, &lab, false, out));
    assert_eq!(outcome, Ok(true), "{solution}");
    assert!(
        solution.contains("identical to the reference"),
        "{solution}"
    );
    assert_same(&before, &fixture.learner_files());

    // What the CLI did write: its progress cache, outside labs/.
    assert!(fixture.root.join(".workbook/progress").is_file());
}

#[test]
fn a_lab_that_does_not_compile_is_reported_with_the_first_error() {
    let fixture = Fixture::new("build-error");
    let runner = fixture.cargo();
    let app = App::new(fixture.workbook(), &runner, "workbook");
    fixture.write_lab_source(&support::STARTER.replace("x * 2", "x * \"two\""));
    let (outcome, text) = capture(|out| commands::check(&app, &fixture.lab(), out));
    assert_eq!(outcome, Ok(false), "{text}");
    assert!(text.contains("lab01-fixture does not compile"), "{text}");
    assert!(text.contains("error[E0277]"), "{text}");
    assert!(text.contains("at labs/01_fixture/src/lib.rs:6:"), "{text}");
}

/// The real binary, on this repository, with the commands that run no tests.
#[test]
fn the_binary_leaves_this_repositorys_labs_and_solutions_alone() {
    let root = workbook_checks::repo_root();
    let before = learner_files(&root);
    let binary = env!("CARGO_BIN_EXE_workbook");
    let lab = workbook_checks::labs()
        .into_iter()
        .find(|lab| lab.number == 3)
        .expect("lab 3 exists");
    let package = lab.package().unwrap();

    for (args, expect_success) in [
        (vec!["hint", "3"], true),
        (vec!["hint", &package, "--near"], true),
        (vec!["hint", "labs/03_unary/", "--api", "--step", "2"], true),
        (vec!["solution", "03_unary", "--force"], true),
        (vec!["doctor"], true),
        (vec!["check", "no-such-lab"], false),
    ] {
        let output = Command::new(binary)
            .args(&args)
            .output()
            .expect("the workbook binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.success(),
            expect_success,
            "workbook {args:?}:\n{stdout}\n{stderr}"
        );
        if args[0] == "solution" {
            assert!(
                stdout.contains("solutions/03_unary/src/store.rs"),
                "{stdout}"
            );
        }
        if args[0] == "check" {
            assert!(
                stderr.contains("no lab is called `no-such-lab`"),
                "{stderr}"
            );
        }
    }
    assert_same(&before, &learner_files(&root));
}

fn learner_files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for dir in ["labs", "solutions"] {
        snapshot(&root.join(dir), &mut files).unwrap();
    }
    files
}

#[track_caller]
fn assert_same(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    let changed: Vec<&PathBuf> = before
        .iter()
        .filter(|(path, bytes)| after.get(*path) != Some(bytes))
        .map(|(path, _)| path)
        .chain(after.keys().filter(|path| !before.contains_key(*path)))
        .collect();
    assert!(
        changed.is_empty(),
        "the CLI changed, created or deleted files under labs/ or solutions/: {changed:#?}"
    );
}
