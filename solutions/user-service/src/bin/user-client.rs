//! `user-client`: the seed's client as a command-line tool.
//!
//! `user-client --addr http://127.0.0.1:50051 get 1`

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{
    Status,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};
use tonic_types::StatusExt;
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient,
};

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

    /// Use TLS, trusting this CA certificate (PEM). --addr must then be an https:// URL.
    #[arg(long)]
    ca: Option<PathBuf>,

    /// Mutual TLS: present this client certificate (PEM). Needs --ca and --key.
    #[arg(long, requires_all = ["ca", "key"])]
    cert: Option<PathBuf>,

    /// The private key of --cert (PEM).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,

    /// Check the server's certificate against this name instead of the host in --addr.
    #[arg(long, requires = "ca")]
    server_name: Option<String>,

    /// Send `authorization: Bearer TOKEN` with every call.
    #[arg(long)]
    token: Option<String>,

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
    /// Create users in one atomic batch (client-streaming CreateUsers).
    ///
    /// Each user is `NAME,EMAIL` (split at the last comma). With no arguments, users are read
    /// from standard input, one per line, and streamed to the server as they are read.
    Create {
        /// Users as `NAME,EMAIL`, e.g. `"Ada Lovelace,ada@example.com"`.
        users: Vec<String>,
    },
    /// Chat (bidirectional Chat): each line of standard input is sent as a message, and every
    /// reply is printed as `USER: MESSAGE` when it arrives. End with Ctrl-D.
    ///
    /// A chat lasts as long as you type, so no deadline is set on it (`--timeout` applies to
    /// connecting only).
    Chat {
        /// The name sent with every message.
        #[arg(long, default_value = "Client")]
        name: String,
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
    let endpoint = match endpoint(&args) {
        Ok(endpoint) => endpoint.connect_timeout(timeout),
        Err(message) => {
            eprintln!("user-client: {message}");
            return ExitCode::from(2);
        }
    };
    let token = match args
        .token
        .as_deref()
        .map(lab08::AttachToken::new)
        .transpose()
    {
        Ok(token) => OptionalToken(token),
        Err(error) => {
            eprintln!("user-client: --token: {error}");
            return ExitCode::from(2);
        }
    };
    let channel = match endpoint.connect().await {
        Ok(channel) => channel,
        Err(error) => {
            eprintln!("user-client: cannot connect to {}: {error:?}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let client = UserServiceClient::with_interceptor(channel, token);

    match args.command {
        Command::Get { id } => match get(client, id, timeout).await {
            Ok(user) => {
                println!("User: {}", user.name);
                println!("  id:    {}", user.id);
                println!("  email: {}", user.email);
                ExitCode::SUCCESS
            }
            Err(status) => fail(&status),
        },
        Command::List { page, page_size } => match list(client, page, page_size, timeout).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(status) => fail(&status),
        },
        Command::Chat { name } => match chat(client, name).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(status) => fail(&status),
        },
        Command::Create { users } => match create(client, users, timeout).await {
            Ok(response) => {
                for user in &response.users {
                    println!("{}\t{}\t{}", user.id, user.name, user.email);
                }
                println!("created {} users", response.count);
                ExitCode::SUCCESS
            }
            Err(status) => {
                let code = fail(&status);
                // The rich error model: which request and field was wrong, and why.
                if let Some(bad_request) = status.get_error_details().bad_request() {
                    for violation in &bad_request.field_violations {
                        eprintln!("  {}: {}", violation.field, violation.description);
                    }
                }
                code
            }
        },
    }
}

/// Sends each line of standard input as a message while printing replies as they come.
/// Standard input ending (Ctrl-D) half-closes the call; the server then finishes its replies.
async fn chat(mut client: Client, name: String) -> Result<(), Status> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::task::spawn_blocking(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            let message = ChatMessage {
                user: name.clone(),
                message: line,
            };
            if sender.blocking_send(message).is_err() {
                break;
            }
        }
        // Dropping the sender ends the request stream: the client's half-close.
    });
    let mut replies = client
        .chat(ReceiverStream::new(receiver))
        .await?
        .into_inner();
    while let Some(reply) = replies.message().await? {
        println!("{}: {}", reply.user, reply.message);
    }
    Ok(())
}

/// One `NAME,EMAIL` as a request; a line without a comma becomes a request with an empty
/// email, which the server refuses with a clear violation.
fn parse_user(text: &str) -> CreateUserRequest {
    let (name, email) = text.rsplit_once(',').unwrap_or((text, ""));
    CreateUserRequest {
        name: name.trim().to_owned(),
        email: email.trim().to_owned(),
    }
}

/// Streams the users to CreateUsers: from `users`, or else line by line from standard input.
async fn create(
    client: Client,
    users: Vec<String>,
    timeout: Duration,
) -> Result<CreateUsersResponse, Status> {
    if !users.is_empty() {
        let requests: Vec<CreateUserRequest> = users.iter().map(|user| parse_user(user)).collect();
        return upload(client, tokio_stream::iter(requests), timeout).await;
    }
    // Standard input is read on a blocking thread and each line is sent as soon as it is
    // read: the upload is a stream, not a file loaded into memory first.
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    tokio::task::spawn_blocking(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if line.trim().is_empty() {
                continue;
            }
            if sender.blocking_send(parse_user(&line)).is_err() {
                break;
            }
        }
    });
    upload(client, ReceiverStream::new(receiver), timeout).await
}

/// One CreateUsers call streaming `requests`, within `timeout`.
async fn upload(
    mut client: Client,
    requests: impl tokio_stream::Stream<Item = CreateUserRequest> + Send + 'static,
    timeout: Duration,
) -> Result<CreateUsersResponse, Status> {
    let mut request = tonic::Request::new(requests);
    request.set_timeout(timeout);
    Ok(client.create_users(request).await?.into_inner())
}

/// The client every subcommand uses: a channel plus the optional bearer token.
type Client = UserServiceClient<InterceptedService<Channel, OptionalToken>>;

/// Attaches the bearer token when `--token` was given, and nothing otherwise.
#[derive(Clone)]
struct OptionalToken(Option<lab08::AttachToken>);

impl Interceptor for OptionalToken {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        match &mut self.0 {
            Some(token) => token.call(request),
            None => Ok(request),
        }
    }
}

/// The endpoint for `--addr`: plaintext, or TLS with `--ca` (and `--cert`/`--key`).
fn endpoint(args: &Args) -> Result<Endpoint, String> {
    let Some(ca) = &args.ca else {
        return Endpoint::from_shared(args.addr.clone()).map_err(|error| {
            format!(
                "--addr {:?} is not a URL ({error}); use e.g. http://127.0.0.1:50051",
                args.addr
            )
        });
    };
    let identity = args.cert.as_deref().zip(args.key.as_deref());
    let tls = lab08::client_tls_from_files(ca, args.server_name.as_deref(), identity)
        .map_err(|error| error.to_string())?;
    lab08::tls_endpoint(&args.addr, tls).map_err(|error| format!("--addr: {error}"))
}

/// GetUser with a deadline: chapter 3's client call, through the token interceptor.
async fn get(mut client: Client, id: i32, timeout: Duration) -> Result<User, Status> {
    let mut request = tonic::Request::new(GetUserRequest { id });
    request.set_timeout(timeout);
    Ok(client.get_user(request).await?.into_inner())
}

/// Prints `status` the way every subcommand reports a failed call.
fn fail(status: &Status) -> ExitCode {
    eprintln!("user-client: {:?}: {}", status.code(), status.message());
    ExitCode::FAILURE
}

// ANCHOR: list_client
/// Prints each user of the page as it arrives: `id<TAB>name<TAB>email`.
async fn list(
    mut client: Client,
    page: i32,
    page_size: i32,
    timeout: Duration,
) -> Result<(), Status> {
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
