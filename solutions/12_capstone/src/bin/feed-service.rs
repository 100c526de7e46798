//! `feed-service`: the reference feed server of chapter 12, in front of a `UserService`.
//!
//! `feed-service --addr 127.0.0.1:50052 --user-service http://127.0.0.1:50051`

use std::{net::SocketAddr, sync::Arc, time::Duration};

use clap::Parser;
use lab08::{BearerAuth, Role};
use lab12::{FeedServer, PostStore, UserDirectory, serve};
use tonic::transport::Endpoint;

/// Serves feed.v1.FeedService (plus grpc.health.v1 and reflection), asking a UserService
/// for authors. Logs each call's request id; a degraded feed and a refused post are warnings.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (the log line says which).
    #[arg(long, default_value = "127.0.0.1:50052")]
    addr: SocketAddr,

    /// The UserService to ask, as a URL. It need not be up yet: until it is, GetFeed
    /// degrades and CreatePost answers UNAVAILABLE.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    user_service: String,

    /// Require `authorization: Bearer TOKEN` on every FeedService call, and forward it to
    /// UserService (start that with the same token). This token may call every method.
    #[arg(long)]
    auth_token: Option<String>,

    /// A token that may only read the feed; CreatePost answers PERMISSION_DENIED.
    #[arg(long, requires = "auth_token")]
    read_only_token: Option<String>,

    /// On Ctrl-C or SIGTERM, give calls in flight this many seconds to finish, then exit.
    #[arg(long, default_value_t = 10)]
    shutdown_grace_secs: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();

    // Lazy: the feed starts whether or not UserService is up, and reconnects when it is.
    let user_service = match Endpoint::from_shared(args.user_service.clone()) {
        Ok(endpoint) => endpoint
            .connect_timeout(Duration::from_secs(1))
            .connect_lazy(),
        Err(error) => {
            eprintln!(
                "feed-service: --user-service {:?} is not a URL: {error} (try http://127.0.0.1:50051)",
                args.user_service
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let auth = args.auth_token.as_ref().map(|token| {
        let auth = BearerAuth::new().with_token(token.clone(), Role::ReadWrite);
        match &args.read_only_token {
            Some(read_only) => auth.with_token(read_only.clone(), Role::ReadOnly),
            None => auth,
        }
    });
    let feed = FeedServer::new(Arc::new(PostStore::new()), UserDirectory::new(user_service));

    let grace = Duration::from_secs(args.shutdown_grace_secs);
    user_service::run_until_signal("feed-service", args.addr, grace, |listener, stop| {
        serve(listener, feed, auth, stop)
    })
    .await
}
