//! `user-service`: the reference gRPC server.
//!
//! `user-service --addr 127.0.0.1:50051 --seed-users 10`

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use tokio::net::TcpListener;
use user_service::{ServerConfig, serve};

/// Serves the workbook's UserService (plus grpc.health.v1 and server reflection).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (the log line says which).
    #[arg(long, default_value = "127.0.0.1:50051")]
    addr: SocketAddr,

    /// Preload users 1..=N named "User <id>" with email "user<id>@example.com".
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i32).range(0..))]
    seed_users: i32,

    /// On Ctrl-C or SIGTERM, give calls in flight this many seconds to finish, then exit.
    #[arg(long, default_value_t = 10)]
    shutdown_grace_secs: u64,

    /// Serve TLS only, with this certificate chain (PEM). Needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Mutual TLS: require a client certificate signed by this CA (PEM). Needs --tls-cert.
    #[arg(long, requires = "tls_cert")]
    client_ca: Option<PathBuf>,

    /// Require `authorization: Bearer TOKEN` on every UserService call (health is exempt).
    /// This token may call every method.
    #[arg(long)]
    auth_token: Option<String>,

    /// A token that may only read (GetUser, ListUsers); other methods answer
    /// PERMISSION_DENIED. Needs --auth-token.
    #[arg(long, requires = "auth_token")]
    read_only_token: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();

    // Read the certificate files before binding: a wrong path or a file that is not PEM is
    // reported here, clearly, instead of as a confusing handshake failure later.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            match lab08::server_tls_from_files(cert, key, args.client_ca.as_deref()) {
                Ok(tls) => Some(tls),
                Err(error) => {
                    eprintln!("user-service: {error}");
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
        _ => None,
    };
    let auth = args.auth_token.as_ref().map(|token| {
        let auth = lab08::BearerAuth::new().with_token(token.clone(), lab08::Role::ReadWrite);
        match &args.read_only_token {
            Some(read_only) => auth.with_token(read_only.clone(), lab08::Role::ReadOnly),
            None => auth,
        }
    });

    let listener = match TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "user-service: cannot listen on {}: {error} (is another server using that port? try --addr 127.0.0.1:0)",
                args.addr
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    // Signal handlers first, so that once the start-up line is out a SIGTERM is graceful.
    let shutdown = user_service::shutdown_signal("user-service");
    // The one start-up line: scripts and tests read the bound address from it.
    match listener.local_addr() {
        Ok(addr) => println!("user-service listening on {addr}"),
        Err(error) => println!("user-service listening (address unknown: {error})"),
    }

    let config = ServerConfig {
        seed_users: args.seed_users,
        tls,
        auth,
    };
    // Graceful shutdown stops accepting calls, sends HTTP/2 GOAWAY and waits for calls in
    // flight, and for each client to acknowledge. A stuck call or an unresponsive client
    // would make it wait forever, so the wait is bounded, as orchestrators bound it too.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = serve(listener, config, async {
        let _ = stopped.await;
    });
    tokio::pin!(server);
    let result = tokio::select! {
        result = &mut server => result,
        () = shutdown => {
            let _ = stop.send(());
            let grace = Duration::from_secs(args.shutdown_grace_secs);
            match tokio::time::timeout(grace, &mut server).await {
                Ok(result) => result,
                Err(_) => {
                    eprintln!("user-service: calls still in flight after {grace:?}; stopping anyway");
                    Ok(())
                }
            }
        }
    };
    match result {
        Ok(()) => {
            println!("user-service stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("user-service: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
