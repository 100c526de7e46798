//! The facts a bug report needs, and the set-up problems a learner can fix alone.
//!
//! Each [`Fact`] is a name, a value and a verdict. `Fail` is for what stops the labs from
//! working (no cargo, no loopback networking: every lab's tests start servers on
//! `127.0.0.1`); `Warn` for what makes life worse (rust-analyzer sharing cargo's build lock,
//! no mdBook to read the book locally).

use std::{
    fs,
    net::{TcpListener, TcpStream},
    path::Path,
    process::Command,
    time::Duration,
};

/// How a fact looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Fine.
    Ok,
    /// Information for a bug report.
    Info,
    /// Works, but could be better; the value says how.
    Warn,
    /// Broken; the value says how to fix it.
    Fail,
}

impl Health {
    /// The tag printed before the fact.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Ok => "ok  ",
            Self::Info => "    ",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// What it is about: `rustc`, `tonic`, `loopback`.
    pub name: String,
    /// What was found, and what to do about it if anything.
    pub value: String,
    /// Its verdict.
    pub health: Health,
}

impl Fact {
    fn new(name: &str, value: impl Into<String>, health: Health) -> Self {
        Self {
            name: name.to_owned(),
            value: value.into(),
            health,
        }
    }
}

/// The crates whose versions a bug report needs, as the lock file names them.
pub const CRATES: &[&str] = &[
    "tonic",
    "tonic-prost",
    "tonic-prost-build",
    "prost",
    "protox",
    "tokio",
    "hyper",
    "h2",
    "rustls",
    "insta",
];

/// Everything `doctor` reports about the workbook at `root`.
pub fn facts(root: &Path) -> Vec<Fact> {
    let mut facts = vec![
        Fact::new(
            "workbook",
            format!("{} at {}", env!("CARGO_PKG_VERSION"), root.display()),
            Health::Info,
        ),
        git_revision(root),
        tool_version(
            "rustc",
            "rustc",
            "install Rust with rustup: https://rustup.rs",
        ),
        tool_version(
            "cargo",
            &std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
            "install Rust with rustup: https://rustup.rs",
        ),
        Fact::new("os", operating_system(), Health::Info),
    ];
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    for name in CRATES {
        let versions = locked_versions(&lock, name);
        let value = if versions.is_empty() {
            "not in Cargo.lock".to_owned()
        } else {
            format!("{} (Cargo.lock)", versions.join(", "))
        };
        facts.push(Fact::new(name, value, Health::Info));
    }
    facts.push(mdbook(root));
    facts.push(diff_tool());
    facts.push(rust_analyzer(root));
    facts.push(loopback());
    for variable in [
        "CARGO_TARGET_DIR",
        "RUST_BACKTRACE",
        "INSTA_UPDATE",
        "RUSTFLAGS",
    ] {
        if let Ok(value) = std::env::var(variable) {
            facts.push(Fact::new(variable, value, Health::Info));
        }
    }
    facts
}

/// The versions of `name` in a `Cargo.lock`'s text.
pub fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let mut versions = Vec::new();
    let mut current_name: Option<&str> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            current_name = None;
        } else if let Some(value) = line.strip_prefix("name = ") {
            current_name = Some(value.trim_matches('"'));
        } else if let Some(value) = line.strip_prefix("version = ")
            && current_name == Some(name)
        {
            versions.push(value.trim_matches('"').to_owned());
        }
    }
    versions
}

/// Whether rust-analyzer is set up with its own target directory, from the workspace's
/// `.vscode/settings.json`.
pub fn rust_analyzer(root: &Path) -> Fact {
    let advice = "rust-analyzer shares cargo's target directory, so while it checks your \
                  code `cargo test` waits (\"Blocking waiting for file lock\"). Set \
                  `rust-analyzer.cargo.targetDir` to `true` in your editor's rust-analyzer \
                  settings (VS Code: .vscode/settings.json; other editors: their \
                  rust-analyzer configuration)";
    let settings = fs::read_to_string(root.join(".vscode/settings.json")).unwrap_or_default();
    match target_dir_setting(&settings) {
        Some(value) if value != "false" && value != "null" => Fact::new(
            "rust-analyzer",
            format!(
                ".vscode/settings.json sets rust-analyzer.cargo.targetDir = {value}: \
                 rust-analyzer builds in its own target directory and never holds cargo's \
                 build lock while your tests run (editors other than VS Code: set the same \
                 option in their rust-analyzer configuration)"
            ),
            Health::Ok,
        ),
        _ => Fact::new("rust-analyzer", advice, Health::Warn),
    }
}

/// The value of `"rust-analyzer.cargo.targetDir": VALUE` in a settings file, if set.
fn target_dir_setting(settings: &str) -> Option<String> {
    settings.lines().find_map(|line| {
        let line = line.trim();
        if line.starts_with("//") {
            return None;
        }
        let rest = line.strip_prefix("\"rust-analyzer.cargo.targetDir\"")?;
        let value = rest.trim_start().strip_prefix(':')?;
        Some(value.trim().trim_end_matches(',').trim().to_owned())
    })
}

/// Binds `127.0.0.1:0` and connects to it, as every lab's tests do.
pub fn loopback() -> Fact {
    let check = || -> std::io::Result<u16> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let _client = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
        listener.accept()?;
        Ok(address.port())
    };
    match check() {
        Ok(port) => Fact::new(
            "loopback",
            format!("bound and connected to 127.0.0.1:{port} (the labs' tests need this)"),
            Health::Ok,
        ),
        Err(error) => Fact::new(
            "loopback",
            format!(
                "cannot listen on and connect to 127.0.0.1: {error}. Every lab's tests start a \
                 server there; check firewall or sandbox settings"
            ),
            Health::Fail,
        ),
    }
}

fn tool_version(name: &str, program: &str, fix: &str) -> Fact {
    match output_of(program, &["--version"]) {
        Some(version) => Fact::new(name, version, Health::Info),
        None => Fact::new(name, format!("`{program}` not found: {fix}"), Health::Fail),
    }
}

fn mdbook(root: &Path) -> Fact {
    let pinned = pinned_mdbook(root);
    let install = format!(
        "cargo install mdbook --locked --version {}",
        pinned.as_deref().unwrap_or("0.5.4")
    );
    match output_of("mdbook", &["--version"]) {
        Some(version) => match &pinned {
            Some(pinned) if !version.contains(pinned.as_str()) => Fact::new(
                "mdbook",
                format!("{version}; the workbook is built with {pinned}: {install}"),
                Health::Warn,
            ),
            _ => Fact::new("mdbook", version, Health::Ok),
        },
        None => Fact::new(
            "mdbook",
            format!("not found (only needed to read the book locally): {install}"),
            Health::Warn,
        ),
    }
}

/// The mdBook version CI pins, from `.ci/run` (`MDBOOK_VERSION="0.5.4"`).
fn pinned_mdbook(root: &Path) -> Option<String> {
    let script = fs::read_to_string(root.join(".ci/run")).ok()?;
    script.lines().find_map(|line| {
        let value = line.trim().strip_prefix("MDBOOK_VERSION=")?;
        Some(value.trim_matches('"').to_owned())
    })
}

fn diff_tool() -> Fact {
    match Command::new("diff").arg("--version").output() {
        Ok(_) => Fact::new("diff", "found (`solution` shows `diff -ru`)", Health::Ok),
        Err(_) => Fact::new(
            "diff",
            "not found: `solution` uses its built-in diff",
            Health::Info,
        ),
    }
}

fn git_revision(root: &Path) -> Fact {
    let revision = Command::new("git")
        .current_dir(root)
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    Fact::new(
        "git",
        revision.unwrap_or_else(|| "not a git checkout (or git not found)".to_owned()),
        Health::Info,
    )
}

fn operating_system() -> String {
    let base = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    let release = fs::read_to_string("/etc/os-release").ok().and_then(|text| {
        text.lines().find_map(|line| {
            line.strip_prefix("PRETTY_NAME=")
                .map(|name| name.trim_matches('"').to_owned())
        })
    });
    let kernel = output_of("uname", &["-sr"]);
    match (release, kernel) {
        (Some(release), Some(kernel)) => format!("{base}, {release}, {kernel}"),
        (Some(release), None) => format!("{base}, {release}"),
        (None, Some(kernel)) => format!("{base}, {kernel}"),
        (None, None) => base,
    }
}

/// The first line a program prints, if it runs successfully.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().next().map(|line| line.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_locked_version_of_a_crate() {
        let lock = r#"
[[package]]
name = "tonic"
version = "0.14.9"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tonic-prost"
version = "0.14.9"

[[package]]
name = "h2"
version = "0.3.26"

[[package]]
name = "h2"
version = "0.4.12"
"#;
        assert_eq!(locked_versions(lock, "tonic"), ["0.14.9"]);
        assert_eq!(locked_versions(lock, "h2"), ["0.3.26", "0.4.12"]);
        assert!(locked_versions(lock, "prost").is_empty());
    }

    #[test]
    fn reads_the_rust_analyzer_target_dir_setting() {
        let settings = "{\n    // a comment\n    \"rust-analyzer.cargo.targetDir\": true\n}\n";
        assert_eq!(target_dir_setting(settings).as_deref(), Some("true"));
        let custom = "{ \n \"rust-analyzer.cargo.targetDir\": \"target/ra\",\n}";
        assert_eq!(target_dir_setting(custom).as_deref(), Some("\"target/ra\""));
        assert_eq!(target_dir_setting("{}"), None);
        assert_eq!(
            target_dir_setting("// \"rust-analyzer.cargo.targetDir\": true"),
            None
        );
    }

    #[test]
    fn loopback_works_on_a_machine_that_can_run_the_labs() {
        assert_eq!(loopback().health, Health::Ok);
    }

    #[test]
    fn this_repository_ships_the_rust_analyzer_setting() {
        let root = workbook_checks::repo_root();
        let fact = rust_analyzer(&root);
        assert_eq!(fact.health, Health::Ok, "{}", fact.value);
    }
}
