//! Steps 2 and 3: TLS for the server and for the client.
//!
//! tonic's `tls-ring` feature brings rustls with the *ring* crypto provider. Both sides
//! only need PEM bytes:
//! - the server presents an identity (its certificate chain and private key), and for
//!   mutual TLS names the CA whose client certificates it accepts;
//! - the client names the CA it trusts, the server name it expects in the certificate,
//!   and for mutual TLS its own identity.
//!
//! tonic adds the rest: TLS 1.2 and 1.3 only, ALPN `h2` on both sides (a tonic client
//! refuses a server that does not agree to HTTP/2), and the server name sent as SNI.

use std::{fmt, path::Path, time::Duration};

use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

use crate::pem::{PemError, PemKind, load_pem};

/// How long the server waits for a client to finish the TLS handshake.
///
/// tonic sets no limit by default. Handshakes run as tasks of their own, so a client that
/// connects and never sends a `ClientHello` does not block anyone else, but it holds a
/// socket and a task for as long as it likes; enough of them exhaust the server's file
/// descriptors.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

// ANCHOR: server_tls_config
/// The server's TLS configuration: present the certificate `cert_pem` (a chain, leaf first)
/// with its private key `key_pem`; with `client_ca_pem`, require every client to present a
/// certificate signed by that CA (mutual TLS).
pub fn server_tls_config(
    cert_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: Option<&[u8]>,
) -> ServerTlsConfig {
    let config = ServerTlsConfig::new()
        .identity(Identity::from_pem(cert_pem, key_pem))
        .timeout(TLS_HANDSHAKE_TIMEOUT);
    match client_ca_pem {
        // With a client CA and without `client_auth_optional(true)`, a client that presents
        // no certificate, or one this CA did not sign, fails the handshake.
        Some(client_ca_pem) => config.client_ca_root(Certificate::from_pem(client_ca_pem)),
        None => config,
    }
}
// ANCHOR_END: server_tls_config

// ANCHOR: client_tls_config
/// The client's TLS configuration: trust servers whose certificate `ca_pem` signed; expect
/// `server_name` in the certificate (by default, the host of the URL dialled); for mutual
/// TLS, present `identity`.
pub fn client_tls_config(
    ca_pem: &[u8],
    server_name: Option<&str>,
    identity: Option<Identity>,
) -> ClientTlsConfig {
    // Only this CA: no operating-system or Mozilla roots (those would need the
    // tls-native-roots or tls-webpki-roots features), so a certificate from any public CA
    // is refused, as it should be for an internal service.
    let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca_pem));
    if let Some(server_name) = server_name {
        config = config.domain_name(server_name);
    }
    if let Some(identity) = identity {
        config = config.identity(identity);
    }
    config
}
// ANCHOR_END: client_tls_config

/// Why [`tls_endpoint`] could not make an endpoint.
#[derive(Debug)]
pub enum EndpointError {
    /// The URL's scheme is not `https`: tonic would connect in plaintext, TLS configuration
    /// or not.
    NotHttps {
        /// The URL given.
        url: String,
    },
    /// The URL is not a valid URI, or the TLS configuration could not be built (a CA or
    /// identity that is not valid PEM, a server name that is not a valid name).
    Invalid(tonic::transport::Error),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::NotHttps { url } => write!(
                f,
                "{url} does not start with https://, so the connection would not use TLS; \
                 write the URL as https://HOST:PORT"
            ),
            EndpointError::Invalid(error) => {
                write!(f, "cannot set up the TLS endpoint: {error}")?;
                let mut source = std::error::Error::source(error);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for EndpointError {}

// ANCHOR: tls_endpoint
/// An endpoint for `url` that connects with `tls`; refuses any URL that is not `https://`.
///
/// Connect it with `.connect().await` (fails now if the server is unreachable or the
/// handshake fails) or `.connect_lazy()` (fails on the first call instead).
pub fn tls_endpoint(url: &str, tls: ClientTlsConfig) -> Result<Endpoint, EndpointError> {
    let endpoint = Endpoint::from_shared(url.to_owned()).map_err(EndpointError::Invalid)?;
    // tonic applies the TLS configuration only to `https` URLs: with `http://` it would
    // connect in plaintext and say nothing. A client that wants TLS must not fall back.
    if endpoint.uri().scheme_str() != Some("https") {
        return Err(EndpointError::NotHttps {
            url: url.to_owned(),
        });
    }
    endpoint.tls_config(tls).map_err(EndpointError::Invalid)
}
// ANCHOR_END: tls_endpoint

/// [`server_tls_config`] from files, each checked with [`load_pem`]: what a server's
/// `--tls-cert`, `--tls-key` and `--client-ca` flags need.
pub fn server_tls_from_files(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<ServerTlsConfig, PemError> {
    let cert = load_pem(cert, PemKind::Certificate)?;
    let key = load_pem(key, PemKind::PrivateKey)?;
    let client_ca = client_ca
        .map(|ca| load_pem(ca, PemKind::Certificate))
        .transpose()?;
    Ok(server_tls_config(&cert, &key, client_ca.as_deref()))
}

/// [`client_tls_config`] from files, each checked with [`load_pem`]: what a client's
/// `--ca`, `--cert` and `--key` flags need. `identity` is `(certificate, key)`.
pub fn client_tls_from_files(
    ca: &Path,
    server_name: Option<&str>,
    identity: Option<(&Path, &Path)>,
) -> Result<ClientTlsConfig, PemError> {
    let ca = load_pem(ca, PemKind::Certificate)?;
    let identity = match identity {
        Some((cert, key)) => Some(Identity::from_pem(
            load_pem(cert, PemKind::Certificate)?,
            load_pem(key, PemKind::PrivateKey)?,
        )),
        None => None,
    };
    Ok(client_tls_config(&ca, server_name, identity))
}
