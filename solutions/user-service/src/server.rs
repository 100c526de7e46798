//! Serving the reference `UserService` the way a deployed gRPC server should be served.

use std::{future::Future, sync::Arc};

use lab03::InMemoryUserStore;
use lab08::BearerAuth;
use tokio::net::TcpListener;
use tonic::{
    codec::CompressionEncoding,
    transport::{Server, ServerTlsConfig, server::TcpIncoming},
};
use tower::util::MapResponseLayer;
use workbook_proto::user::user_service_server::UserServiceServer;

use crate::{limits, service::ReferenceUserService};

/// What the server serves, and how.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Preload users `1..=seed_users` (see `lab03::seed_user`).
    pub seed_users: i32,
    /// Serve TLS only (plaintext refused), with mutual TLS when the config names a client
    /// CA. Built with `lab08::server_tls_from_files`.
    pub tls: Option<ServerTlsConfig>,
    /// Require a bearer token on every `UserService` call (health and reflection stay
    /// open). Built with `lab08::BearerAuth`.
    pub auth: Option<BearerAuth>,
}

/// An error that stops the server: it could not start, or its transport failed.
pub type ServeError = Box<dyn std::error::Error + Send + Sync>;

// ANCHOR: serve
/// Serves `UserService`, health checking and reflection on `listener` until `shutdown`
/// completes, then lets calls in flight finish.
///
/// The caller binds the listener, so it can log the real address when it asked for port 0.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let store = Arc::new(InMemoryUserStore::with_seed_users(config.seed_users));
    // gzip both ways, when the client asks for it: a request may arrive compressed, and a
    // response is compressed only for a client that lists gzip in `grpc-accept-encoding`
    // (chapter 10 shows when that pays and when it costs).
    let user_service = UserServiceServer::new(ReferenceUserService::new(store))
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    // With tokens configured, UserService sits behind chapter 8's authentication and
    // per-method authorization; health checks and reflection stay open, so load balancers
    // and tools need no secret.
    let (open_user_service, protected_user_service) = match config.auth {
        Some(auth) => (None, Some(lab08::protect(user_service, auth))),
        None => (Some(user_service), None),
    };

    // grpc.health.v1.Health: "" (the whole server) starts SERVING; we add the named service
    // so load balancers and `grpc_health_probe -service=user.UserService` get an answer too.
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<UserServiceServer<ReferenceUserService>>()
        .await;

    // Server reflection lets grpcurl and similar tools discover the services and message
    // types without a copy of the .proto files. Both protocol versions are served: newer
    // tools ask v1, older ones (and grpcio's reflection client) v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(workbook_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let mut builder = Server::builder();
    if let Some(tls) = config.tls {
        builder = builder.tls_config(tls)?;
    }
    builder
        // An expired `grpc-timeout` ends the call with DEADLINE_EXCEEDED and drops the
        // handler's work (tonic alone answers CANCELLED; chapter 7).
        .layer(lab07::DeadlineLayer::new())
        // Over-limit requests get the specification's RESOURCE_EXHAUSTED (see `limits`).
        .layer(MapResponseLayer::new(limits::spec_status_in_headers))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_optional_service(open_user_service)
        .add_optional_service(protected_user_service)
        // `TcpIncoming` with TCP_NODELAY: `Server::tcp_nodelay` applies only when tonic binds
        // the socket itself, and without it Nagle's algorithm and delayed ACKs hold small
        // responses back by up to 40 ms (chapter 10 measures it).
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await?;
    Ok(())
}
// ANCHOR_END: serve
