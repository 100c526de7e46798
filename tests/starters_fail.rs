//! Proves that every lab's starter compiles and fails each of its tests.
//!
//! A lab test that passes on the untouched starter would tell the learner "done" for work
//! they have not done, so it is a broken test. For every lab this runs
//! `cargo test -p <lab> --no-fail-fast`, then requires that:
//! - the tests compiled (a starter that does not compile teaches nothing);
//! - at least one test ran;
//! - no test passed;
//!
//! and prints the failing tests by name. Exit status 0 only when all labs hold.
//!
//! Usage: `cargo run -p workbook-checks --bin starters-fail [LAB_PACKAGE...]`

use std::{
    process::{Command, ExitCode},
    time::Instant,
};

use workbook_checks::{labs, repo_root};

/// What one `cargo test` run of a starter said about each test.
#[derive(Debug, Default)]
struct Verdicts {
    failed: Vec<String>,
    passed: Vec<String>,
}

fn main() -> ExitCode {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut all_hold = true;

    for lab in labs() {
        let package = match lab.package() {
            Ok(package) => package,
            Err(error) => {
                println!("FAIL {}: {error}", lab.dir_name);
                all_hold = false;
                continue;
            }
        };
        if !only.is_empty() && !only.contains(&package) {
            continue;
        }

        let started = Instant::now();
        let output = Command::new(&cargo)
            .current_dir(repo_root())
            .args(["test", "-p", &package, "--no-fail-fast", "--color", "never"])
            // A failing snapshot must not leave `.snap.new` files behind in the lab.
            .env("INSTA_UPDATE", "no")
            .env("RUST_BACKTRACE", "0")
            .output();
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                println!("FAIL {package}: could not run cargo: {error}");
                all_hold = false;
                continue;
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);

        if stderr.contains("error[E") || stderr.contains("could not compile") {
            println!("FAIL {package}: the starter does not compile:\n{stderr}");
            all_hold = false;
            continue;
        }
        let verdicts = parse_verdicts(&stdout);
        let seconds = started.elapsed().as_secs_f64();
        if verdicts.failed.is_empty() && verdicts.passed.is_empty() {
            println!("FAIL {package}: no test ran\n{stdout}\n{stderr}");
            all_hold = false;
        } else if !verdicts.passed.is_empty() {
            println!(
                "FAIL {package}: {} test(s) pass on the untouched starter, so they check nothing the learner writes:",
                verdicts.passed.len()
            );
            for name in &verdicts.passed {
                println!("       passes: {name}");
            }
            all_hold = false;
        } else if output.status.success() {
            println!("FAIL {package}: cargo test succeeded although every test failed?\n{stdout}");
            all_hold = false;
        } else {
            println!(
                "ok   {package}: all {} tests fail on the starter ({seconds:.1} s)",
                verdicts.failed.len()
            );
            for name in &verdicts.failed {
                println!("       fails: {name}");
            }
        }
    }

    if all_hold {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Reads libtest's `test <name> ... ok|FAILED` lines.
fn parse_verdicts(stdout: &str) -> Verdicts {
    let mut verdicts = Verdicts::default();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        if let Some(name) = rest.strip_suffix(" ... FAILED") {
            verdicts.failed.push(name.to_owned());
        } else if let Some(name) = rest.strip_suffix(" ... ok") {
            verdicts.passed.push(name.to_owned());
        }
    }
    verdicts
}
