//! `user-service`: the reference gRPC server.
//!
//! `user-service --addr 127.0.0.1:50051 --seed-users 10`

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
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

    let config = ServerConfig {
        seed_users: args.seed_users,
        tls,
        auth,
    };
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    user_service::run_until_signal("user-service", args.addr, grace, |listener, stop| {
        serve(listener, config, stop)
    })
    .await
}
