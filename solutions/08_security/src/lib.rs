//! Lab 8: security. TLS and mutual TLS with rustls, the caller's identity from its
//! certificate, bearer tokens in an interceptor, and authorization per method.
//!
//! - [`pki`]: a throwaway CA and certificates, made at run time (given);
//! - [`pem`]: reading PEM files with errors that say what is wrong (step 1);
//! - [`tls`]: the server's and the client's TLS configuration (steps 2 and 3);
//! - [`identity`]: the client's identity from its certificate (step 4; [`x509`] is given);
//! - [`auth`]: bearer-token authentication in an interceptor (step 5);
//! - [`authorize`]: which role may call which method, as a tower layer (step 6);
//! - [`client`]: attaching the token on the client (step 7).

pub mod auth;
pub mod authorize;
pub mod client;
pub mod identity;
pub mod pem;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/08_security/src/pki.rs"]
pub mod pki;
pub mod tls;
// Given code, the same for the learner and the reference: one copy, in the lab.
#[path = "../../../labs/08_security/src/x509.rs"]
pub mod x509;

pub use auth::{BearerAuth, Role, bearer_token, constant_time_eq};
pub use authorize::{Authorize, Protected, READ_ONLY_METHODS, authorize, protect, required_role};
pub use client::{AttachToken, InvalidToken};
pub use identity::{PeerIdentity, peer_identity};
pub use pem::{PemError, PemKind, load_pem, pem_labels};
pub use pki::{CLIENT_NAME, CLIENT_URI, CertifiedPem, PkiFiles, SERVER_NAMES, TestPki};
pub use tls::{
    EndpointError, TLS_HANDSHAKE_TIMEOUT, client_tls_config, client_tls_from_files,
    server_tls_config, server_tls_from_files, tls_endpoint,
};
