//! Noticing saves, and listening to the keyboard, for `workbook watch`.
//!
//! Polling rather than OS file events: it needs no extra crate, behaves the same on Linux,
//! macOS, Windows, WSL, containers and network drives, and costs nothing measurable: twice a
//! second it hashes a lab's dozen small files ([`crate::fingerprint::lab_fingerprint`]), so
//! a save that changes nothing (or only touches the time) does not trigger a run, and a
//! `git checkout` that changes content does. When the lab's files cannot be read at all,
//! [`Poller::new`] says why and the command falls back to checking on Enter.

use std::{
    io::{self, BufRead},
    sync::mpsc::{self, Receiver},
    thread,
    time::Duration,
};

use workbook_checks::Lab;

use crate::fingerprint::lab_fingerprint;

/// How often the lab's files are looked at.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// After a change, how long the files must stay the same before the check runs: editors
/// and formatters often write a file in several steps.
pub const SETTLE: Duration = Duration::from_millis(150);

/// Watches one lab's files for changes.
#[derive(Debug)]
pub struct Poller {
    lab: Lab,
    last: u64,
}

impl Poller {
    /// Starts watching `lab`; an error when its files cannot be read.
    pub fn new(lab: &Lab) -> io::Result<Self> {
        Ok(Self {
            lab: lab.clone(),
            last: lab_fingerprint(lab)?,
        })
    }

    /// Whether the files changed since the last call (or since [`Poller::new`]).
    pub fn changed(&mut self) -> io::Result<bool> {
        let now = lab_fingerprint(&self.lab)?;
        let changed = now != self.last;
        self.last = now;
        Ok(changed)
    }

    /// After a change: waits until the files stop changing.
    pub fn settle(&mut self) -> io::Result<()> {
        loop {
            thread::sleep(SETTLE);
            if !self.changed()? {
                return Ok(());
            }
        }
    }
}

/// What the learner typed while watching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Enter (or anything but `q`): check now.
    Recheck,
    /// `q`, `quit` or `exit`.
    Quit,
    /// Standard input is closed (no terminal, as under CI, or Ctrl-D).
    Closed,
}

/// What one line of input means.
pub fn parse_input(line: &str) -> Input {
    match line.trim().to_lowercase().as_str() {
        "q" | "quit" | "exit" => Input::Quit,
        _ => Input::Recheck,
    }
}

/// Reads standard input on its own thread, one [`Input`] per line, then [`Input::Closed`].
pub fn stdin_inputs() -> Receiver<Input> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(parse_input(&line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Input::Closed);
    });
    rx
}

#[cfg(test)]
mod tests {
    use std::{fs, path::PathBuf};

    use super::*;

    fn lab_in(dir: &std::path::Path) -> Lab {
        Lab {
            number: 1,
            dir_name: "01_watch".to_owned(),
            dir: dir.to_owned(),
            solution_dir: PathBuf::from("/nonexistent"),
        }
    }

    #[test]
    fn notices_a_changed_file_but_not_a_rewrite_with_the_same_content() {
        let dir = std::env::temp_dir().join(format!("workbook-watch-{}", std::process::id()));
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(dir.join("src/lib.rs"), "fn a() {}\n").unwrap();
        let mut poller = Poller::new(&lab_in(&dir)).unwrap();
        assert!(!poller.changed().unwrap());

        fs::write(dir.join("src/lib.rs"), "fn a() {}\n").unwrap();
        assert!(!poller.changed().unwrap(), "same content, new mtime");

        fs::write(dir.join("src/lib.rs"), "fn a() { todo!() }\n").unwrap();
        assert!(poller.changed().unwrap());
        assert!(!poller.changed().unwrap(), "reported once");

        fs::write(dir.join("src/new.rs"), "\n").unwrap();
        assert!(poller.changed().unwrap(), "a new file is a change");
        fs::write(dir.join("notes.txt"), "not an input of the tests\n").unwrap();
        assert!(!poller.changed().unwrap());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lab_that_cannot_be_read_cannot_be_watched() {
        let error = Poller::new(&lab_in(std::path::Path::new("/nonexistent/labs/01"))).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn q_quits_and_anything_else_rechecks() {
        assert_eq!(parse_input("q"), Input::Quit);
        assert_eq!(parse_input(" Quit \n"), Input::Quit);
        assert_eq!(parse_input(""), Input::Recheck);
        assert_eq!(parse_input("check"), Input::Recheck);
    }
}
