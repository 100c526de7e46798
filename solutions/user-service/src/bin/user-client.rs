//! `user-client`: the seed's client as a command-line tool.
//!
//! `user-client --addr http://127.0.0.1:50051 get 1`

use std::{process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use tonic::{
    Status,
    transport::{Channel, Endpoint},
};
use workbook_proto::user::{ListUsersRequest, user_service_client::UserServiceClient};

/// Calls a UserService server.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The server's URL.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,

    /// Give up on a call after this many seconds (sent to the server as `grpc-timeout`).
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch one user by id (unary GetUser).
    Get {
        /// The user's id (a positive integer).
        #[arg(allow_negative_numbers = true)]
        id: i32,
    },
    /// List one page of users, in ascending id order (server-streaming ListUsers).
    List {
        /// The page, counting from 1 (0 also means the first page).
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        page: i32,
        /// Users per page (0: the server's default of 50; at most 1000).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        page_size: i32,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let timeout = match Duration::try_from_secs_f64(args.timeout) {
        Ok(timeout) if !timeout.is_zero() => timeout,
        _ => {
            eprintln!("user-client: --timeout must be a positive number of seconds");
            return ExitCode::from(2);
        }
    };
    let endpoint = match Endpoint::from_shared(args.addr.clone()) {
        Ok(endpoint) => endpoint.connect_timeout(timeout),
        Err(error) => {
            eprintln!(
                "user-client: --addr {:?} is not a URL ({error}); use e.g. http://127.0.0.1:50051",
                args.addr
            );
            return ExitCode::from(2);
        }
    };
    let channel = match endpoint.connect().await {
        Ok(channel) => channel,
        Err(error) => {
            eprintln!("user-client: cannot connect to {}: {error}", args.addr);
            return ExitCode::FAILURE;
        }
    };

    match args.command {
        Command::Get { id } => match lab03::get_user(channel, id, timeout).await {
            Ok(user) => {
                println!("User: {}", user.name);
                println!("  id:    {}", user.id);
                println!("  email: {}", user.email);
                ExitCode::SUCCESS
            }
            Err(status) => fail(&status),
        },
        Command::List { page, page_size } => match list(channel, page, page_size, timeout).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(status) => fail(&status),
        },
    }
}

/// Prints `status` the way every subcommand reports a failed call.
fn fail(status: &Status) -> ExitCode {
    eprintln!("user-client: {:?}: {}", status.code(), status.message());
    ExitCode::FAILURE
}

// ANCHOR: list_client
/// Prints each user of the page as it arrives: `id<TAB>name<TAB>email`.
async fn list(
    channel: Channel,
    page: i32,
    page_size: i32,
    timeout: Duration,
) -> Result<(), Status> {
    let mut client = UserServiceClient::new(channel);
    let mut request = tonic::Request::new(ListUsersRequest { page, page_size });
    // Sent to the server as `grpc-timeout`, so it can stop early too.
    request.set_timeout(timeout);
    // tonic enforces `set_timeout` only until the response headers arrive, not while the
    // messages stream (tests/tonic_behaviour.rs shows it). gRPC means a deadline for the
    // whole call, so the client bounds the whole read itself.
    let read_page = async {
        let mut users = client.list_users(request).await?.into_inner();
        while let Some(user) = users.message().await? {
            println!("{}\t{}\t{}", user.id, user.name, user.email);
        }
        Ok(())
    };
    tokio::time::timeout(timeout, read_page)
        .await
        .unwrap_or_else(|_| {
            Err(Status::deadline_exceeded(format!(
                "the page did not finish streaming within {timeout:?}"
            )))
        })
}
// ANCHOR_END: list_client
