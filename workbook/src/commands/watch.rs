//! `workbook watch [lab]`: check again on every save.

use std::{
    io::Write,
    sync::mpsc::{Receiver, RecvTimeoutError},
    thread,
};

use workbook_checks::Lab;

use super::{App, Error, Outcome, Source, check, check::report};
use crate::{
    verdict::State,
    watch::{Input, POLL_INTERVAL, Poller},
};

/// How `watch` notices that it is time to check again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// Poll the lab's files (and also check on Enter).
    Poll,
    /// Check on Enter only: for when files cannot be polled, or by choice (`--manual`).
    Manual,
}

/// Checks `lab` (or, without one, the first lab that does not pass), then again after every
/// change to its files or on Enter, until `q`. Without a named lab, moves on to the next
/// unfinished lab whenever the current one passes. `inputs` are the learner's key presses
/// ([`crate::watch::stdin_inputs`]).
///
/// When the lab's files cannot be read for polling, it says so and falls back to
/// [`WatchMode::Manual`].
pub fn watch(
    app: &App,
    lab: Option<&Lab>,
    mode: WatchMode,
    inputs: Receiver<Input>,
    out: &mut dyn Write,
) -> Outcome {
    let follow_next = lab.is_none();
    // The verdict `first_unfinished` just found (run or cached for these very files) is
    // shown as is, rather than running the same tests twice in a row.
    let (mut current, mut known) = match lab {
        Some(lab) => (lab.clone(), None),
        None => match app.first_unfinished(out)? {
            Some((lab, verdict)) => (lab, Some(verdict)),
            None => {
                writeln!(out, "Every lab passes: nothing to watch.")?;
                return Ok(true);
            }
        },
    };
    let mut mode = mode;
    let mut stdin_open = true;

    loop {
        let mut poller = None;
        if mode == WatchMode::Poll {
            match Poller::new(&current) {
                Ok(started) => poller = Some(started),
                Err(error) => {
                    fall_back(app, &current, &error.to_string(), out)?;
                    mode = WatchMode::Manual;
                }
            }
        }
        announce(app, &current, mode, out)?;
        let mut passed = match known.take() {
            Some(verdict) => {
                report(app, &current, &verdict, None, Source::Cached, out)?;
                verdict.state == State::Pass
            }
            None => check(app, &current, out)?,
        };

        while !(passed && follow_next) {
            // Wait for a reason to check again.
            let reason = match mode {
                WatchMode::Manual => match inputs.recv() {
                    Ok(Input::Recheck) => "check requested",
                    Ok(Input::Quit) => return Ok(true),
                    Ok(Input::Closed) | Err(_) => {
                        writeln!(
                            out,
                            "No more input (standard input is closed). Run `{}` after each save.",
                            app.suggest("check", &current)
                        )?;
                        return Ok(true);
                    }
                },
                WatchMode::Poll => {
                    if stdin_open {
                        match inputs.recv_timeout(POLL_INTERVAL) {
                            Ok(Input::Quit) => return Ok(true),
                            Ok(Input::Recheck) => {
                                rerun_banner(app, &current, "check requested", out)?;
                                passed = check(app, &current, out)?;
                                continue;
                            }
                            Ok(Input::Closed) | Err(RecvTimeoutError::Disconnected) => {
                                stdin_open = false;
                            }
                            Err(RecvTimeoutError::Timeout) => {}
                        }
                    } else {
                        thread::sleep(POLL_INTERVAL);
                    }
                    let Some(watcher) = poller.as_mut() else {
                        continue;
                    };
                    match watcher.changed().and_then(|changed| {
                        if changed {
                            watcher.settle()?;
                        }
                        Ok(changed)
                    }) {
                        Ok(false) => continue,
                        Ok(true) => "change saved",
                        Err(error) => {
                            fall_back(app, &current, &error.to_string(), out)?;
                            mode = WatchMode::Manual;
                            poller = None;
                            continue;
                        }
                    }
                }
            };
            rerun_banner(app, &current, reason, out)?;
            passed = check(app, &current, out)?;
        }

        // The lab passes and the learner did not pin one: on to the next.
        match app.first_unfinished(out)? {
            Some((next, verdict)) => {
                writeln!(
                    out,
                    "\nLab {} passes. Now watching lab {}.\n",
                    current.number, next.number
                )?;
                current = next;
                known = Some(verdict);
            }
            None => {
                writeln!(out, "\nEvery lab passes. Well done.")?;
                return Ok(true);
            }
        }
    }
}

fn announce(app: &App, lab: &Lab, mode: WatchMode, out: &mut dyn Write) -> Result<(), Error> {
    let dir = app.workbook.relative(&lab.dir);
    match mode {
        WatchMode::Poll => writeln!(
            out,
            "Watching {dir} (src/, tests/, Cargo.toml): every save runs its tests again. \
             Enter checks now; q then Enter (or Ctrl-C) quits.\n"
        )?,
        WatchMode::Manual => writeln!(
            out,
            "Manual mode for {dir}: press Enter to check again after you save; q then Enter \
             (or Ctrl-C) quits.\n"
        )?,
    }
    Ok(())
}

fn fall_back(app: &App, lab: &Lab, reason: &str, out: &mut dyn Write) -> Result<(), Error> {
    writeln!(
        out,
        "Cannot watch {} for changes ({reason}), so automatic re-checks are off. Falling \
         back to manual mode: press Enter to check again. Or run `{}` yourself after each save.",
        app.workbook.relative(&lab.dir),
        app.suggest("check", lab)
    )?;
    Ok(())
}

fn rerun_banner(app: &App, lab: &Lab, reason: &str, out: &mut dyn Write) -> Result<(), Error> {
    writeln!(
        out,
        "\n---- {reason}: checking {} again ----",
        app.workbook.relative(&lab.dir)
    )?;
    Ok(())
}
