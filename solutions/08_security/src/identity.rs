//! Step 4: who is calling, according to the client's certificate (mutual TLS).
//!
//! With mutual TLS the server has verified the client's certificate chain during the
//! handshake: signed by the client CA, not expired, meant for client authentication. What
//! the handshake does not do is decide what that client may do; for that the server needs
//! the client's *name*, which is in the certificate. tonic keeps the certificates the
//! client presented with the connection and hands them to every request on it:
//! `Request::peer_certs()`, DER-encoded, the client's own (the *leaf*) first, then any
//! intermediate CAs it sent.

use tonic::Request;

pub use crate::x509::{CertificateNames, NotACertificate};

/// The names in a client's certificate: what a server authorizes on.
///
/// Prefer the subject alternative names to the common name: SANs are typed (a DNS name, a
/// URI) and can be constrained by the CA, while the CN is free text. Service meshes name a
/// workload by a URI SAN in the SPIFFE format, `spiffe://<trust domain>/<workload>`.
pub type PeerIdentity = CertificateNames;

// ANCHOR: peer_identity
/// The identity in the client certificate of the connection `request` arrived on; `None`
/// when the client presented no certificate (or the connection is not TLS at all).
pub fn peer_identity<T>(request: &Request<T>) -> Option<PeerIdentity> {
    // `None` on a plaintext connection and on a TLS connection without a client certificate.
    let certificates = request.peer_certs()?;
    // The leaf, the client's own certificate, comes first; the rest are intermediates.
    let leaf = certificates.first()?;
    // rustls has verified this certificate during the handshake, so reading names from it
    // is safe. A certificate we cannot read gives no identity, never a guessed one.
    PeerIdentity::from_der(leaf).ok()
}
// ANCHOR_END: peer_identity
