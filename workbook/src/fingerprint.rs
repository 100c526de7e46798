//! Fingerprints: has anything that decides a lab's test results changed since last time?
//!
//! A lab's result depends on its own files (`src/`, `tests/` with the snapshots,
//! `Cargo.toml`) and on what it builds on: the workspace manifest and lock file, the shared
//! `proto/` and `test-support/` crates, and the earlier chapters' reference `solutions/` that
//! later labs use. The fingerprint hashes the contents of all of those, so `status` re-runs
//! a lab exactly when one of them changed, whether by an edit, a `git pull` or a
//! `git checkout`. Contents rather than modification times: times change on a save without
//! an edit, and some filesystems keep them to the second.
//!
//! The hash is 64-bit FNV-1a, written out here: it only has to notice a change (nothing is
//! adversarial about a learner's files), and unlike `std`'s `DefaultHasher` its output is
//! fixed forever, so the progress file stays valid across Rust releases.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use workbook_checks::Lab;

/// 64-bit FNV-1a.
#[derive(Debug, Clone, Copy)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    /// Mixes `bytes` in.
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// The workspace paths every lab builds on, relative to the root.
pub const SHARED_PATHS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "proto",
    "test-support",
    "solutions",
];

/// The fingerprint of the lab's own files: `Cargo.toml`, `src/`, `tests/`.
///
/// An error when the lab's directory cannot be read (the watcher's cue to fall back).
pub fn lab_fingerprint(lab: &Lab) -> io::Result<u64> {
    if !lab.dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} is not a directory", lab.dir.display()),
        ));
    }
    let mut files = Vec::new();
    for part in ["Cargo.toml", "src", "tests"] {
        collect_files(&lab.dir.join(part), &mut files)?;
    }
    hash_files(&lab.dir, &files)
}

/// The fingerprint of [`SHARED_PATHS`] under `root`. Paths that do not exist count as empty.
pub fn shared_fingerprint(root: &Path) -> io::Result<u64> {
    let mut files = Vec::new();
    for part in SHARED_PATHS {
        collect_files(&root.join(part), &mut files)?;
    }
    hash_files(root, &files)
}

/// Hashes each file's path relative to `base`, length and contents, in path order.
fn hash_files(base: &Path, files: &[PathBuf]) -> io::Result<u64> {
    let mut sorted: Vec<&PathBuf> = files.iter().collect();
    sorted.sort();
    let mut hash = Fnv64::default();
    for file in sorted {
        let relative = file.strip_prefix(base).unwrap_or(file);
        // `/` separators, so the same tree hashes the same on every OS.
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let contents = fs::read(file)?;
        hash.write(name.as_bytes());
        hash.write(&[0]);
        hash.write(&(contents.len() as u64).to_le_bytes());
        hash.write(&contents);
    }
    Ok(hash.finish())
}

/// Every file at or under `path` that can affect a test result, appended to `files`.
/// A path that does not exist adds nothing.
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    if metadata.is_file() {
        if !is_noise(path) {
            files.push(path.to_owned());
        }
        return Ok(());
    }
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Build output and VCS data: never inputs of a test.
        if name == "target" || name == ".git" || name == "node_modules" {
            continue;
        }
        collect_files(&entry.path(), files)?;
    }
    Ok(())
}

/// Files that change without changing any test result: pending snapshots (insta writes
/// them when the learner runs `cargo test` directly), editor backups and swap files.
fn is_noise(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".snap.new")
        || name.ends_with(".pending-snap")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.starts_with(".#")
        || name == ".DS_Store"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        let hash = |text: &str| {
            let mut hash = Fnv64::default();
            hash.write(text.as_bytes());
            hash.finish()
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn noise_files_are_recognised() {
        for noisy in [
            "tests/snapshots/a.snap.new",
            "tests/.a.pending-snap",
            "src/lib.rs~",
            "src/.lib.rs.swp",
            "src/.#lib.rs",
        ] {
            assert!(is_noise(Path::new(noisy)), "{noisy}");
        }
        for real in ["src/lib.rs", "tests/snapshots/a.snap", "Cargo.toml"] {
            assert!(!is_noise(Path::new(real)), "{real}");
        }
    }
}
