//! Step 1: reading certificates and keys from PEM files, with errors a person can act on.
//!
//! tonic takes PEM as bytes (`Certificate::from_pem`, `Identity::from_pem`) and checks
//! nothing until a TLS configuration is built, and sometimes not even then: a CA file with
//! no PEM block in it becomes an *empty* set of trust anchors on the client, and every
//! handshake then fails with "invalid peer certificate: UnknownIssuer", which points
//! nowhere near the real mistake. So a program checks its files when it starts, and says
//! which file is wrong and how.
//!
//! A PEM file is text: one or more blocks, each a `-----BEGIN <LABEL>-----` line, base64,
//! and an `-----END <LABEL>-----` line. The label says what the block holds.

use std::{
    fmt,
    path::{Path, PathBuf},
};

/// What a PEM file is expected to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemKind {
    /// One or more certificates (`CERTIFICATE`): a server's chain, or CA certificates.
    Certificate,
    /// A private key: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or
    /// `EC PRIVATE KEY` (SEC1), the three forms rustls reads.
    PrivateKey,
}

impl PemKind {
    /// Whether a block with this label is what this kind of file needs.
    pub fn accepts(self, label: &str) -> bool {
        match self {
            PemKind::Certificate => label == "CERTIFICATE",
            PemKind::PrivateKey => {
                matches!(label, "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY")
            }
        }
    }

    fn other(self) -> PemKind {
        match self {
            PemKind::Certificate => PemKind::PrivateKey,
            PemKind::PrivateKey => PemKind::Certificate,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            PemKind::Certificate => "a certificate (-----BEGIN CERTIFICATE-----)",
            PemKind::PrivateKey => "a private key (a PRIVATE KEY block)",
        }
    }
}

/// Why a PEM file could not be used. Its message names the file and says what to do.
#[derive(Debug)]
pub enum PemError {
    /// The file could not be read (missing, a directory, no permission).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the file should have held.
        kind: PemKind,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file holds no PEM block at all: binary (DER), empty, or some other format.
    NotPem {
        /// The file.
        path: PathBuf,
        /// What the file should have held.
        kind: PemKind,
    },
    /// The file holds PEM blocks, but none of the kind needed (a key where a certificate
    /// belongs, an encrypted key, a certificate request...).
    WrongContent {
        /// The file.
        path: PathBuf,
        /// What the file should have held.
        kind: PemKind,
        /// The labels of the blocks it holds instead, in file order.
        found: Vec<String>,
    },
}

impl fmt::Display for PemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemError::Unreadable { path, kind, source } => write!(
                f,
                "cannot read {} from {}: {source}",
                kind.describe(),
                path.display()
            ),
            PemError::NotPem { path, kind } => write!(
                f,
                "{} is not a PEM file: expected {}; a binary DER certificate converts with \
                 `openssl x509 -inform der -in FILE -out FILE.pem`",
                path.display(),
                kind.describe()
            ),
            PemError::WrongContent { path, kind, found } => {
                write!(
                    f,
                    "{} holds {}, not {}",
                    path.display(),
                    found.join(", "),
                    kind.describe()
                )?;
                if found.iter().any(|label| kind.other().accepts(label)) {
                    write!(f, "; are the certificate and key files swapped?")
                } else if found.iter().any(|label| label == "ENCRYPTED PRIVATE KEY") {
                    write!(
                        f,
                        "; decrypt the key first (rustls reads unencrypted keys only)"
                    )
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl std::error::Error for PemError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PemError::Unreadable { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The labels of the PEM blocks in `pem`, in order: `["CERTIFICATE", "CERTIFICATE"]` for a
/// chain of two. Empty when there is no `-----BEGIN ...-----` line.
pub fn pem_labels(pem: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(pem)
        .lines()
        .filter_map(|line| {
            line.trim()
                .strip_prefix("-----BEGIN ")?
                .strip_suffix("-----")
                .map(str::to_owned)
        })
        .collect()
}

// ANCHOR: load_pem
/// Reads the PEM file at `path` and checks that it holds `kind`; returns its bytes, ready
/// for `Certificate::from_pem` or `Identity::from_pem`.
pub fn load_pem(path: impl AsRef<Path>, kind: PemKind) -> Result<Vec<u8>, PemError> {
    // TODO(lab 8, step 1): read the file and check what it holds.
    // - `std::fs::read(path)`; on failure `PemError::Unreadable { path, kind, source }`
    //   (`path.as_ref().to_owned()` makes the `PathBuf`);
    // - `pem_labels(&bytes)` lists the blocks: none at all is `PemError::NotPem`;
    // - no label that `kind.accepts(label)` is `PemError::WrongContent`, with the labels
    //   found;
    // - otherwise return the bytes. (`PemError`'s Display is written for you.)
    let _ = (path.as_ref(), kind);
    todo!("lab 8, step 1: implement load_pem in labs/08_security/src/pem.rs")
}
// ANCHOR_END: load_pem
