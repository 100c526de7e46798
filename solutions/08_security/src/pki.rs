//! A throwaway public key infrastructure, made fresh every time it is needed. Given code:
//! read it to see how certificates are made, nothing to do here.
//!
//! A real deployment gets its certificates from a CA it runs (cert-manager, Vault, a cloud
//! CA, SPIFFE/SPIRE) or from a public one (Let's Encrypt), and keeps the private keys out
//! of source control. Tests need the same shapes: a CA that clients trust, a server
//! certificate for the name the client dials, client certificates for mutual TLS, and a
//! *foreign* CA to play the impostor. Generating them with `rcgen` at test time means no
//! private key is ever committed, none can leak from the repository, and none expires in it.
//!
//! Every certificate here:
//! - is signed by a CA key that exists only in this process (and in the files
//!   [`TestPki::write_to`] writes, for tools in other languages);
//! - is valid from an hour ago (clocks drift) for seven days: short-lived, as certificates
//!   should be;
//! - uses ECDSA P-256 keys, which every TLS stack supports and which rcgen makes in
//!   microseconds.

use std::{
    fmt,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use tonic::transport::{Certificate, Identity};

/// The names in the server's certificate: what a client may dial and still verify it.
pub const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The common name (CN) in the client certificate: the client's name for humans and logs.
pub const CLIENT_NAME: &str = "billing";

/// The URI subject alternative name in the client certificate: the client's identity in the
/// SPIFFE format (`spiffe://<trust domain>/<workload>`) that service meshes use.
pub const CLIENT_URI: &str = "spiffe://workbook.test/billing";

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct CertifiedPem {
    /// The certificate (`-----BEGIN CERTIFICATE-----`): public, shown to the peer.
    pub cert: String,
    /// The private key (a PEM block labelled `PRIVATE KEY`, PKCS#8): secret, never shown.
    pub key: String,
}

impl CertifiedPem {
    /// The certificate and key as the identity tonic presents in a handshake.
    pub fn identity(&self) -> Identity {
        Identity::from_pem(&self.cert, &self.key)
    }
}

// Debug shows that a key is there, never the key itself: a `{:?}` in a log line or a test
// failure must not print a secret.
impl fmt::Debug for CertifiedPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertifiedPem")
            .field("cert", &format_args!("{} PEM bytes", self.cert.len()))
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A CA, a server certificate and client certificates signed by it, and a foreign CA with
/// a client certificate of its own.
pub struct TestPki {
    /// The CA certificate: the trust anchor clients (and, for mutual TLS, the server) trust.
    pub ca_cert: String,
    /// The server's certificate and key, for every name in [`SERVER_NAMES`].
    pub server: CertifiedPem,
    /// A client certificate and key: CN [`CLIENT_NAME`], URI SAN [`CLIENT_URI`].
    pub client: CertifiedPem,
    /// Another CA's certificate: trusting it instead of [`TestPki::ca_cert`] must fail.
    pub foreign_ca_cert: String,
    /// A client certificate with exactly the same names as [`TestPki::client`], signed by
    /// the foreign CA: an impostor that a mutual-TLS server must refuse.
    pub foreign_client: CertifiedPem,
    /// Kept to issue more client certificates ([`TestPki::issue_client`]).
    ca: Issuer<'static, KeyPair>,
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki")
            .field("server", &self.server)
            .field("client", &self.client)
            .field("foreign_client", &self.foreign_client)
            .finish_non_exhaustive()
    }
}

impl TestPki {
    /// Makes two CAs and the certificates above. Takes a few milliseconds.
    ///
    /// # Panics
    ///
    /// Only if the operating system has no randomness to give, as key generation needs it.
    pub fn generate() -> Self {
        let (ca_cert, ca) = new_ca("Workbook Test CA");
        let (foreign_ca_cert, foreign_ca) = new_ca("Some Other CA");
        let server = issue(&ca, server_params());
        let client = issue(&ca, client_params(CLIENT_NAME, CLIENT_URI));
        let foreign_client = issue(&foreign_ca, client_params(CLIENT_NAME, CLIENT_URI));
        Self {
            ca_cert,
            server,
            client,
            foreign_ca_cert,
            foreign_client,
            ca,
        }
    }

    /// A new client certificate from this PKI's CA, with CN `name` and the URI SAN
    /// `spiffe://workbook.test/<name>`.
    pub fn issue_client(&self, name: &str) -> CertifiedPem {
        issue(
            &self.ca,
            client_params(name, &format!("spiffe://workbook.test/{name}")),
        )
    }

    /// The CA certificate as tonic's trust anchor type.
    pub fn ca(&self) -> Certificate {
        Certificate::from_pem(&self.ca_cert)
    }

    /// Writes every certificate and key into `dir` (created if missing) and returns the
    /// paths. Private keys are written readable by their owner only.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PkiFiles> {
        std::fs::create_dir_all(dir)?;
        let files = PkiFiles {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
            foreign_ca_cert: dir.join("foreign-ca.pem"),
            foreign_client_cert: dir.join("foreign-client.pem"),
            foreign_client_key: dir.join("foreign-client.key"),
        };
        std::fs::write(&files.ca_cert, &self.ca_cert)?;
        std::fs::write(&files.server_cert, &self.server.cert)?;
        write_secret(&files.server_key, &self.server.key)?;
        std::fs::write(&files.client_cert, &self.client.cert)?;
        write_secret(&files.client_key, &self.client.key)?;
        std::fs::write(&files.foreign_ca_cert, &self.foreign_ca_cert)?;
        std::fs::write(&files.foreign_client_cert, &self.foreign_client.cert)?;
        write_secret(&files.foreign_client_key, &self.foreign_client.key)?;
        Ok(files)
    }
}

/// Where [`TestPki::write_to`] put each file.
#[derive(Debug, Clone)]
pub struct PkiFiles {
    /// `ca.pem`
    pub ca_cert: PathBuf,
    /// `server.pem`
    pub server_cert: PathBuf,
    /// `server.key`
    pub server_key: PathBuf,
    /// `client.pem`
    pub client_cert: PathBuf,
    /// `client.key`
    pub client_key: PathBuf,
    /// `foreign-ca.pem`
    pub foreign_ca_cert: PathBuf,
    /// `foreign-client.pem`
    pub foreign_client_cert: PathBuf,
    /// `foreign-client.key`
    pub foreign_client_key: PathBuf,
}

// ANCHOR: make_ca
/// A self-signed CA certificate (PEM) and the issuer that signs with its key.
fn new_ca(common_name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("generating an ECDSA P-256 key");
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    // A CA certificate says so (basicConstraints cA=TRUE) and may sign certificates.
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut params);
    let cert = params
        .self_signed(&key)
        .expect("self-signing the CA certificate");
    (cert.pem(), Issuer::new(params, key))
}
// ANCHOR_END: make_ca

// ANCHOR: server_params
/// A server certificate: valid for every name a client may dial, for server authentication.
fn server_params() -> CertificateParams {
    // `new` turns "127.0.0.1" into an IP-address SAN and "localhost" into a DNS-name SAN. A
    // client checks the name it dialled against these, never against the subject's CN.
    let mut params = CertificateParams::new(SERVER_NAMES.map(String::from).to_vec())
        .expect("valid server names");
    params.distinguished_name = name("localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}
// ANCHOR_END: server_params

// ANCHOR: client_params
/// A client certificate: a CN for humans, a URI SAN for machines, for client authentication.
fn client_params(common_name: &str, uri: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.subject_alt_names = vec![SanType::URI(
        uri.try_into().expect("a URI is an ASCII (IA5) string"),
    )];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}
// ANCHOR_END: client_params

/// Signs a fresh key's certificate with `ca`.
fn issue(ca: &Issuer<'static, KeyPair>, mut params: CertificateParams) -> CertifiedPem {
    set_validity(&mut params);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // Lets verifiers find the issuing CA's key by its identifier.
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().expect("generating an ECDSA P-256 key");
    let cert = params
        .signed_by(&key, ca)
        .expect("signing a certificate with the test CA");
    CertifiedPem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// Valid from an hour ago (a peer's clock may be a little behind) for seven days.
fn set_validity(params: &mut CertificateParams) {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("the clock is after 1970");
    let now = rcgen::date_time_ymd(1970, 1, 1) + since_epoch;
    params.not_before = now - Duration::from_secs(60 * 60);
    params.not_after = now + Duration::from_secs(7 * 24 * 60 * 60);
}

/// Writes a private key so that only its owner can read it (on Unix: mode 0600), as tools
/// such as ssh insist and as any secret on disk should be.
fn write_secret(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}
