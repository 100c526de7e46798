//! The workbook's command line for learners: where am I, what next, a hint, did it work.
//!
//! Run it from anywhere in the repository with `cargo run -q -p workbook -- <command>`, or
//! install it once with `cargo install --path workbook` and run `workbook <command>`.
//!
//! | command | what it does |
//! |---|---|
//! | `status` | every lab's pass/fail and test counts, with a progress bar; re-runs only labs whose files changed |
//! | `next` | the first lab that does not pass yet: its first failing test and the TODO to work on |
//! | `hint <lab>` | a hint for the step you are on: the concept first, then `--api`, then `--near` (a near-solution) |
//! | `check <lab>` | that lab's tests, summarised: counts, the first failing test, its panic, the TODO it points to |
//! | `watch [lab]` | `check` again on every save (polls the lab's files); a manual mode when polling is impossible |
//! | `solution <lab>` | a diff of your code against the reference, once the lab passes (or with `--force`) |
//! | `doctor` | toolchain, crate versions, editor set-up and loopback networking, for bug reports |
//!
//! A lab can be named `3`, `03`, `03_unary`, `unary`, `lab03-unary` or `labs/03_unary`.
//!
//! # Your work is never at risk
//!
//! The CLI **never writes to `labs/` or `solutions/`**. Everything it does there is reading
//! files and running `cargo test` with `INSTA_UPDATE=no`, so even a failing snapshot test
//! leaves no `.snap.new` file behind and a learner's `INSTA_UPDATE=always` cannot overwrite a
//! reference snapshot. `solution` prints a diff; it never copies, patches or resets anything.
//! The only file the CLI writes is its progress cache, `.workbook/progress` at the repository
//! root (see [`progress`]); deleting it loses nothing but time. The tests in
//! `workbook/tests/never_writes_labs.rs` run every command and compare every byte under
//! `labs/` and `solutions/` before and after.
//!
//! # Where things live
//!
//! - [`workbook`]: the repository on disk, built on the shared model of labs in `tests/lib.rs`
//!   (`workbook_checks::labs()`), so the CLI, the workbook checks and `starters-fail` agree on
//!   what a lab is: any `labs/NN_topic` directory, whoever adds it;
//! - [`select`]: turning what the learner typed (`3`, `lab03-unary`, ...) into a lab;
//! - [`runner`] and [`libtest`]: running `cargo test -p <lab>` and reading its output;
//! - [`verdict`]: what a run means: pass, fail, does not compile; the first failing test;
//! - [`fingerprint`] and [`progress`]: the cache that lets `status` skip unchanged labs;
//! - [`todos`]: the `// TODO(lab N, step K)` markers and `todo!("lab N, step K: ...")` bodies;
//! - [`hints`]: the `labs/NN_topic/hints.md` files, **and their format** (for lab authors);
//! - [`diff`]: a unified diff, for machines without `diff`;
//! - [`watch`]: polling for saves;
//! - [`doctor`]: the facts a bug report needs;
//! - [`commands`]: one function per command, writing to any `io::Write`.

pub mod commands;
pub mod diff;
pub mod doctor;
pub mod fingerprint;
pub mod hints;
pub mod libtest;
pub mod progress;
pub mod runner;
pub mod select;
pub mod todos;
pub mod verdict;
pub mod watch;
pub mod workbook;

pub use workbook::Workbook;
