//! The commands against the fixture lab, with a fake test runner: what they print, what
//! they cache, and when they refuse. (`never_writes_labs.rs` runs the real cargo.)

mod support;

use std::{fs, sync::mpsc};

use support::{FakeRunner, Fixture, STEP_2_TODO_LINE, canned_output, capture};
use workbook::{
    commands::{self, App, WatchMode},
    hints::Tier,
    watch::Input,
};

const CLI: &str = "workbook";

#[test]
fn status_runs_a_changed_lab_once_then_answers_from_the_cache() {
    let fixture = Fixture::new("status-cache");
    let runner = FakeRunner::always(canned_output(true));

    let app = App::new(fixture.workbook(), &runner, CLI);
    let (outcome, text) = capture(|out| commands::status(&app, false, out));
    assert_eq!(outcome, Ok(true));
    assert_eq!(runner.calls.get(), 1);
    assert!(text.contains("[FAIL]  01 lab01-fixture"), "{text}");
    assert!(text.contains("1/3 tests"), "{text}");
    assert!(text.contains("(1.2 s)"), "{text}");
    assert!(
        text.contains("first failing: step_2_triple::triples"),
        "{text}"
    );
    assert!(
        text.contains("[--------------------] 0/1 labs pass"),
        "{text}"
    );
    assert!(text.contains("Next: lab 1."), "{text}");

    // A new process (a restart) reads the progress file: nothing changed, nothing runs.
    let app = App::new(fixture.workbook(), &runner, CLI);
    let (_, text) = capture(|out| commands::status(&app, false, out));
    assert_eq!(runner.calls.get(), 1, "unchanged labs are not run again");
    assert!(text.contains("(cached)"), "{text}");
    assert!(!text.contains("Running the tests"), "{text}");

    // Saving a file without changing it changes nothing either.
    fixture.write_lab_source(support::STARTER);
    assert_eq!(
        capture(|out| commands::status(&app, false, out)).0,
        Ok(true)
    );
    assert_eq!(runner.calls.get(), 1, "same content, same fingerprint");

    // An edit does.
    fixture.write_lab_source(&support::STARTER.replace("let _ = x;", "let _unused = x;"));
    assert_eq!(
        capture(|out| commands::status(&app, false, out)).0,
        Ok(true)
    );
    assert_eq!(runner.calls.get(), 2, "an edited lab runs again");

    // So does --rerun.
    assert_eq!(capture(|out| commands::status(&app, true, out)).0, Ok(true));
    assert_eq!(runner.calls.get(), 3);
    assert!(fixture.root.join(".workbook/progress").is_file());
}

#[test]
fn a_passing_lab_fills_the_bar() {
    let fixture = Fixture::new("status-pass");
    let runner = FakeRunner::always(canned_output(false));
    let app = App::new(fixture.workbook(), &runner, CLI);
    let (_, text) = capture(|out| commands::status(&app, false, out));
    assert!(text.contains("[ok]    01 lab01-fixture"), "{text}");
    assert!(text.contains("3/3 tests"), "{text}");
    assert!(
        text.contains("[####################] 1/1 labs pass"),
        "{text}"
    );
    assert!(text.contains("Every lab passes."), "{text}");
}

#[test]
fn next_shows_the_first_failing_test_its_panic_and_the_todo_to_work_on() {
    let fixture = Fixture::new("next");
    let runner = FakeRunner::always(canned_output(true));
    let app = App::new(fixture.workbook(), &runner, CLI);
    let (outcome, text) = capture(|out| commands::next(&app, out));
    assert_eq!(outcome, Ok(true));
    assert!(text.contains("Next: lab 1 (lab01-fixture)"), "{text}");
    assert!(
        text.contains("First failing test: step_2_triple::triples\n"),
        "the earliest test in the file, not the first reported:\n{text}"
    );
    assert!(
        text.contains("panicked at labs/01_fixture/src/lib.rs:13:5"),
        "{text}"
    );
    assert!(
        text.contains("not yet implemented: lab 1, step 2: implement triple"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Next TODO: labs/01_fixture/src/lib.rs:{STEP_2_TODO_LINE}\n    TODO(lab 1, step 2): return three times `x`."
        )),
        "{text}"
    );
    assert!(text.contains("workbook hint 1"), "{text}");

    let passing = FakeRunner::always(canned_output(false));
    let fixture = Fixture::new("next-done");
    let app = App::new(fixture.workbook(), &passing, CLI);
    let (_, text) = capture(|out| commands::next(&app, out));
    assert!(text.starts_with("Every lab passes (1 of 1)."), "{text}");
}

#[test]
fn check_always_runs_and_fails_while_the_lab_fails() {
    let fixture = Fixture::new("check-fake");
    let runner = FakeRunner::sequence(vec![canned_output(true), canned_output(false)]);
    let app = App::new(fixture.workbook(), &runner, CLI);
    let lab = fixture.lab();

    let (outcome, text) = capture(|out| commands::check(&app, &lab, out));
    assert_eq!(outcome, Ok(false));
    assert!(
        text.contains("lab01-fixture: 1 of 3 tests pass (1.2 s)."),
        "{text}"
    );
    assert!(
        text.contains("Also failing (1):\n    step_2_triple::triples_negatives"),
        "{text}"
    );
    assert!(
        text.contains(
            "Full output:  cargo test -p lab01-fixture -- --exact step_2_triple::triples"
        ),
        "{text}"
    );

    let (outcome, text) = capture(|out| commands::check(&app, &lab, out));
    assert_eq!(outcome, Ok(true));
    assert_eq!(runner.calls.get(), 2, "check never answers from the cache");
    assert!(text.contains("all 3 tests pass"), "{text}");
    assert!(text.contains("workbook solution 1"), "{text}");
}

#[test]
fn hint_reveals_one_more_tier_each_time_for_the_current_step() {
    let fixture = Fixture::new("hint");
    let runner = FakeRunner::always(canned_output(true));
    let app = App::new(fixture.workbook(), &runner, CLI);
    let lab = fixture.lab();

    // Without a cached run, the step is the first one with a `todo!()`: step 2.
    let (outcome, concept) = capture(|out| commands::hint(&app, &lab, None, Tier::Concept, out));
    assert_eq!(outcome, Ok(true));
    assert!(
        concept.starts_with("Lab 1, step 2: tripling (hint 1 of 3)"),
        "{concept}"
    );
    assert!(concept.contains("Arithmetic, for the tests."), "{concept}");
    assert!(concept.contains("CONCEPT-2"), "{concept}");
    assert!(
        !concept.contains("API-2") && !concept.contains("NEAR-2"),
        "{concept}"
    );
    assert!(concept.contains("`workbook hint 1 --api`"), "{concept}");
    assert!(concept.contains("lib.rs:11"), "{concept}");

    let (_, api) = capture(|out| commands::hint(&app, &lab, None, Tier::Api, out));
    assert!(api.contains("CONCEPT-2") && api.contains("API-2"), "{api}");
    assert!(!api.contains("NEAR-2"), "{api}");
    assert!(api.contains("`workbook hint 1 --near`"), "{api}");

    let (_, near) = capture(|out| commands::hint(&app, &lab, None, Tier::NearSolution, out));
    assert!(near.contains("NEAR-2"), "{near}");

    let (_, step_1) = capture(|out| commands::hint(&app, &lab, Some(1), Tier::Api, out));
    assert!(
        step_1.contains("API-1") && !step_1.contains("API-2"),
        "{step_1}"
    );
    assert!(step_1.contains("--api --step 1") || step_1.contains("--near --step 1"));

    let (outcome, _) = capture(|out| commands::hint(&app, &lab, Some(7), Tier::Concept, out));
    let error = outcome.unwrap_err();
    assert!(
        error.contains("no hints for step 7; it has steps 1, 2"),
        "{error}"
    );

    // hint runs no tests.
    assert_eq!(runner.calls.get(), 0);
}

#[test]
fn hint_explains_a_missing_or_malformed_hints_file() {
    let fixture = Fixture::new("hint-missing");
    let runner = FakeRunner::always(canned_output(true));
    let app = App::new(fixture.workbook(), &runner, CLI);
    let lab = fixture.lab();
    fs::remove_file(lab.dir.join("hints.md")).unwrap();
    let (outcome, text) = capture(|out| commands::hint(&app, &lab, None, Tier::Concept, out));
    assert_eq!(outcome, Ok(false));
    assert!(
        text.contains("labs/01_fixture/hints.md is missing"),
        "{text}"
    );
    assert!(text.contains("TODO(lab 1, step 2)"), "{text}");

    fs::write(lab.dir.join("hints.md"), "## Step 1\n### Concept\nc\n").unwrap();
    let (outcome, _) = capture(|out| commands::hint(&app, &lab, None, Tier::Concept, out));
    let error = outcome.unwrap_err();
    assert!(error.contains("is not in the hints format"), "{error}");
    assert!(error.contains("line 1: step 1 has the sections"), "{error}");
}

#[test]
fn solution_refuses_until_the_lab_passes_unless_forced() {
    let fixture = Fixture::new("solution");
    let runner = FakeRunner::sequence(vec![canned_output(true), canned_output(false)]);
    let app = App::new(fixture.workbook(), &runner, CLI);
    let lab = fixture.lab();

    let (outcome, text) = capture(|out| commands::solution(&app, &lab, false, out));
    assert_eq!(outcome, Ok(false));
    assert!(
        text.contains("Lab 1 does not pass yet: 1 of 3 tests pass"),
        "{text}"
    );
    assert!(text.contains("workbook solution 1 --force"), "{text}");
    assert!(
        !text.contains("+    x * 3"),
        "no reference before it passes:\n{text}"
    );

    let (outcome, text) = capture(|out| commands::solution(&app, &lab, true, out));
    assert_eq!(outcome, Ok(true));
    assert_eq!(runner.calls.get(), 1, "--force runs nothing");
    assert!(text.contains("--force"), "{text}");
    assert!(
        text.contains("-    todo!(") && text.contains("+    x * 3"),
        "{text}"
    );
    assert!(text.contains("labs/01_fixture/src/lib.rs"), "{text}");

    // Once the lab passes (the second canned run), no --force is needed.
    fixture.write_lab_source(support::SOLVED);
    let (outcome, text) = capture(|out| commands::solution(&app, &lab, false, out));
    assert_eq!(outcome, Ok(true));
    assert!(
        text.contains("Your code is identical to the reference."),
        "{text}"
    );
}

#[test]
fn watch_checks_again_after_a_save_and_quits_on_q() {
    let fixture = Fixture::new("watch");
    let lab = fixture.lab();
    let (tx, rx) = mpsc::channel();
    let source = lab.dir.join("src/lib.rs");
    let mut runner = FakeRunner::sequence(vec![canned_output(true), canned_output(false)]);
    // The first check "takes a while", and the learner saves meanwhile; after the second
    // check, the learner quits.
    runner.hook = Some(Box::new(move |call| match call {
        1 => fs::write(&source, support::SOLVED).unwrap(),
        _ => tx.send(Input::Quit).unwrap(),
    }));
    let app = App::new(fixture.workbook(), &runner, CLI);

    let (outcome, text) =
        capture(|out| commands::watch(&app, Some(&lab), WatchMode::Poll, rx, out));
    assert_eq!(outcome, Ok(true));
    assert_eq!(runner.calls.get(), 2, "{text}");
    assert!(text.contains("Watching labs/01_fixture"), "{text}");
    assert!(
        text.contains("---- change saved: checking labs/01_fixture again ----"),
        "{text}"
    );
    assert!(text.contains("all 3 tests pass"), "{text}");
}

#[test]
fn watch_without_a_lab_moves_on_when_the_lab_passes() {
    let fixture = Fixture::new("watch-all");
    let runner = FakeRunner::sequence(vec![canned_output(true), canned_output(false)]);
    let (tx, rx) = mpsc::channel();
    let app = App::new(fixture.workbook(), &runner, CLI);
    tx.send(Input::Recheck).unwrap();
    let (outcome, text) = capture(|out| commands::watch(&app, None, WatchMode::Manual, rx, out));
    assert_eq!(outcome, Ok(true));
    assert_eq!(
        runner.calls.get(),
        2,
        "the first verdict is shown, not run twice:\n{text}"
    );
    assert!(text.contains("Manual mode for labs/01_fixture"), "{text}");
    assert!(text.contains("Every lab passes. Well done."), "{text}");
}

#[test]
fn manual_watch_checks_on_enter_and_ends_with_its_input() {
    let fixture = Fixture::new("watch-manual");
    let lab = fixture.lab();
    let runner = FakeRunner::always(canned_output(true));
    let app = App::new(fixture.workbook(), &runner, CLI);
    let (tx, rx) = mpsc::channel();
    tx.send(Input::Recheck).unwrap();
    tx.send(Input::Closed).unwrap();
    let (outcome, text) =
        capture(|out| commands::watch(&app, Some(&lab), WatchMode::Manual, rx, out));
    assert_eq!(outcome, Ok(true));
    assert_eq!(runner.calls.get(), 2);
    assert!(text.contains("---- check requested"), "{text}");
    assert!(
        text.contains("No more input (standard input is closed). Run `workbook check 1`"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn watch_falls_back_to_manual_mode_when_the_files_cannot_be_read() {
    let fixture = Fixture::new("watch-fallback");
    let lab = fixture.lab();
    // A symbolic link to itself: reading it fails ("too many levels of symbolic links"),
    // as it would on a filesystem that cannot be polled.
    std::os::unix::fs::symlink("loop.rs", lab.dir.join("src/loop.rs")).unwrap();
    let runner = FakeRunner::always(canned_output(true));
    let app = App::new(fixture.workbook(), &runner, CLI);
    let (tx, rx) = mpsc::channel();
    tx.send(Input::Quit).unwrap();
    let (outcome, text) =
        capture(|out| commands::watch(&app, Some(&lab), WatchMode::Poll, rx, out));
    assert_eq!(outcome, Ok(true));
    assert!(
        text.contains("Cannot watch labs/01_fixture for changes ("),
        "{text}"
    );
    assert!(
        text.contains("Falling back to manual mode: press Enter"),
        "{text}"
    );
    assert!(text.contains("run `workbook check 1` yourself"), "{text}");
    assert!(text.contains("Manual mode for labs/01_fixture"), "{text}");
    assert_eq!(runner.calls.get(), 1, "the lab is still checked once");
    assert!(
        text.contains("note: this result is not cached"),
        "a lab that cannot be fingerprinted is tested but not cached:\n{text}"
    );
}

#[test]
fn doctor_reports_versions_and_set_up_checks() {
    let fixture = Fixture::new("doctor");
    let runner = FakeRunner::always(canned_output(true));
    let app = App::new(fixture.workbook(), &runner, CLI);
    let (outcome, text) = capture(|out| commands::doctor(&app, out));
    assert_eq!(outcome, Ok(true), "{text}");
    for line in [
        "rustc ",
        "cargo ",
        "os ",
        "tonic ",
        "loopback ",
        "rust-analyzer ",
    ] {
        assert!(text.contains(line), "no `{line}` line:\n{text}");
    }
    // The fixture has no .vscode/settings.json: doctor says how to fix that.
    assert!(text.contains("warn rust-analyzer"), "{text}");
    assert!(text.contains("rust-analyzer.cargo.targetDir"), "{text}");
    assert!(text.contains("01 not run"), "{text}");
    assert_eq!(runner.calls.get(), 0, "doctor runs no tests");
}

#[test]
fn a_lab_that_is_not_a_crate_yet_is_an_error_line_not_a_crash() {
    let fixture = Fixture::new("draft-lab");
    let draft_dir = fixture.root.join("labs/02_draft");
    fs::create_dir_all(draft_dir.join("src")).unwrap();
    let draft = workbook_checks::Lab {
        number: 2,
        dir_name: "02_draft".to_owned(),
        dir: draft_dir,
        solution_dir: fixture.root.join("solutions/02_draft"),
    };
    let workbook = workbook::Workbook::new(&fixture.root, vec![fixture.lab(), draft], Vec::new());
    let runner = FakeRunner::always(canned_output(false));
    let app = App::new(workbook, &runner, CLI);
    let (outcome, text) = capture(|out| commands::status(&app, false, out));
    assert_eq!(outcome, Ok(true), "{text}");
    assert!(text.contains("[ok]    01 lab01-fixture"), "{text}");
    assert!(text.contains("[ERROR] 02 02_draft"), "{text}");
    assert!(text.contains("cannot read"), "{text}");
    assert!(text.contains("1/2 labs pass"), "{text}");
    assert!(text.contains("Next: lab 2."), "{text}");
}
