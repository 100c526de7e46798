//! `feed-service`: the reference feed server of chapter 12, in front of a `UserService`.
//!
//! `feed-service --addr 127.0.0.1:50052 --user-service http://127.0.0.1:50051`

use std::{net::SocketAddr, sync::Arc, time::Duration};

use clap::Parser;
use lab08::{BearerAuth, Role};
use lab12::{FeedServer, PostStore, UserDirectory, serve};
use tokio::net::TcpListener;
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

    let listener = match TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "feed-service: cannot listen on {}: {error} (is another server using that port? try --addr 127.0.0.1:0)",
                args.addr
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let shutdown = user_service::shutdown_signal("feed-service");
    match listener.local_addr() {
        Ok(addr) => println!("feed-service listening on {addr}"),
        Err(error) => println!("feed-service listening (address unknown: {error})"),
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = serve(listener, feed, auth, async {
        let _ = stopped.await;
    });
    tokio::pin!(server);
    let result = tokio::select! {
        result = &mut server => result,
        () = shutdown => {
            let _ = stop.send(());
            let grace = Duration::from_secs(args.shutdown_grace_secs);
            tokio::time::timeout(grace, &mut server).await.unwrap_or(Ok(()))
        }
    };
    match result {
        Ok(()) => {
            println!("feed-service stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("feed-service: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
