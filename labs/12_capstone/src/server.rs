//! Serving the feed: its routes, and a server on a socket.

use std::future::Future;

use lab07::DeadlineLayer;
use lab08::BearerAuth;
use tokio::net::TcpListener;
use tonic::{
    service::{Routes, interceptor::InterceptedService},
    transport::{Server, server::TcpIncoming},
};
use tower::Layer;
use workbook_proto::feed::v1::feed_service_server::FeedServiceServer;

use crate::feed::FeedServer;

/// An error that stops the server: it could not start, or its transport failed.
pub type ServeError = Box<dyn std::error::Error + Send + Sync>;

// ANCHOR: routes
/// The feed's routes: `FeedService` (behind the deadline layer of chapter 7 and, with
/// `auth`, the bearer tokens of chapter 8), health checking and reflection.
///
/// Health says `SERVING` for `feed.v1.FeedService` and never changes it when
/// `UserService` goes down: the feed still answers, degraded. Were it to report
/// `NOT_SERVING` whenever a dependency failed, one `UserService` outage would make every
/// load balancer eject every feed replica, turning a partial outage into a total one.
pub async fn routes(feed: FeedServer, auth: Option<BearerAuth>) -> Result<Routes, ServeError> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<FeedServiceServer<FeedServer>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(workbook_proto::FEED_FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;

    let feed = FeedServiceServer::new(feed);
    let routes = match auth {
        Some(auth) => Routes::new(DeadlineLayer::new().layer(InterceptedService::new(feed, auth))),
        None => Routes::new(DeadlineLayer::new().layer(feed)),
    };
    Ok(routes.add_service(health_service).add_service(reflection))
}
// ANCHOR_END: routes

/// Serves the feed on `listener` until `shutdown` completes, then lets calls in flight
/// finish.
pub async fn serve(
    listener: TcpListener,
    feed: FeedServer,
    auth: Option<BearerAuth>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Server::builder()
        .add_routes(routes(feed, auth).await?)
        // TCP_NODELAY on accepted sockets (chapter 10).
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await?;
    Ok(())
}
