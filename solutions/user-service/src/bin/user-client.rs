//! `user-client`: the seed's client as a command-line tool.
//!
//! `user-client --addr http://127.0.0.1:50051 get 1`

use std::{path::PathBuf, process::ExitCode, time::Duration};

use lab07::Idempotency;
use tokio::time::Instant;

use clap::{Parser, Subcommand};
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::http;
use tonic::{
    Status,
    codec::CompressionEncoding,
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

    /// Several servers, `HOST:PORT,HOST:PORT,...`, balanced per call by --lb (chapter 9).
    /// Replaces --addr. A server that is down costs the one call that finds out; add
    /// --retries to move on to the next server within the same command.
    #[arg(long, value_delimiter = ',', conflicts_with = "addr")]
    target: Vec<String>,

    /// How calls are spread over --target: `round_robin` (each call to the next ready
    /// server) or `pick_first` (every call to the first server that works).
    #[arg(long, default_value = "round_robin", value_parser = parse_policy)]
    lb: lab09::Policy,

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

    /// Retry a failed call up to N times, with exponential backoff and jitter, for retryable
    /// codes only, and never past --timeout (which covers all attempts together).
    /// CreateUsers is retried only when the server was never reached.
    #[arg(long, default_value_t = 0)]
    retries: u32,

    /// Compress requests with gzip and ask for gzip-compressed responses.
    #[arg(long)]
    gzip: bool,

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
    let transport = if args.target.is_empty() {
        let endpoint = match endpoint(&args.addr, &args) {
            Ok(endpoint) => endpoint.connect_timeout(timeout),
            Err(message) => {
                eprintln!("user-client: {message}");
                return ExitCode::from(2);
            }
        };
        match endpoint.connect().await {
            Ok(channel) => Transport::Single(channel),
            Err(error) => {
                eprintln!("user-client: cannot connect to {}: {error:?}", args.addr);
                return ExitCode::FAILURE;
            }
        }
    } else {
        // One endpoint per target, each with the same TLS settings; the balancer connects
        // to them itself and spreads the calls.
        let scheme = if args.ca.is_some() { "https" } else { "http" };
        let endpoints: Result<Vec<Endpoint>, String> = args
            .target
            .iter()
            .map(|target| {
                endpoint(&format!("{scheme}://{target}"), &args)
                    .map(|endpoint| endpoint.connect_timeout(timeout))
            })
            .collect();
        match endpoints {
            Ok(endpoints) => Transport::Balanced(lab09::balancer(args.lb, endpoints)),
            Err(message) => {
                eprintln!("user-client: --target: {message}");
                return ExitCode::from(2);
            }
        }
    };
    let mut client = UserServiceClient::with_interceptor(transport, token);
    if args.gzip {
        client = client
            .send_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Gzip);
    }
    let calls = Calls {
        policy: lab07::RetryPolicy::default().with_max_attempts(args.retries.saturating_add(1)),
        deadline: Instant::now() + timeout,
    };

    match args.command {
        Command::Get { id } => match get(client, id, &calls).await {
            Ok(user) => {
                println!("User: {}", user.name);
                println!("  id:    {}", user.id);
                println!("  email: {}", user.email);
                ExitCode::SUCCESS
            }
            Err(status) => fail(&status),
        },
        Command::List { page, page_size } => match list(client, page, page_size, &calls).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(status) => fail(&status),
        },
        Command::Chat { name } => match chat(client, name).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(status) => fail(&status),
        },
        Command::Create { users } => match create(client, users, &calls).await {
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
    calls: &Calls,
) -> Result<CreateUsersResponse, Status> {
    if !users.is_empty() {
        let requests: Vec<CreateUserRequest> = users.iter().map(|user| parse_user(user)).collect();
        // A batch from the command line can be sent again, so a retry is possible; it is
        // made only when the server was never reached (CreateUsers is not idempotent).
        return calls
            .run(Idempotency::NotIdempotent, |attempt| {
                let mut client = client.clone();
                let requests = tokio_stream::iter(requests.clone());
                async move {
                    let response = client.create_users(attempt.request(requests)).await?;
                    Ok(response.into_inner())
                }
            })
            .await;
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
    // Lines read from stdin are gone once sent: this upload is made once, never retried.
    let mut client = client;
    let mut request = tonic::Request::new(ReceiverStream::new(receiver));
    request.set_timeout(calls.deadline.saturating_duration_since(Instant::now()));
    Ok(client.create_users(request).await?.into_inner())
}

/// The client every subcommand uses: one server or a balanced set, plus the optional token.
type Client = UserServiceClient<InterceptedService<Transport, OptionalToken>>;

/// Where calls go: one server (`--addr`), or several balanced per call (`--target`, `--lb`).
#[derive(Clone)]
enum Transport {
    Single(Channel),
    Balanced(lab09::Balancer),
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<http::Request<tonic::body::Body>> for Transport {
    type Response = http::Response<tonic::body::Body>;
    type Error = BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, BoxError>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        match self {
            Self::Single(channel) => channel.poll_ready(cx).map_err(Into::into),
            Self::Balanced(balancer) => balancer.poll_ready(cx),
        }
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        match self {
            Self::Single(channel) => {
                let call = channel.call(request);
                Box::pin(async move { call.await.map_err(Into::into) })
            }
            Self::Balanced(balancer) => Box::pin(balancer.call(request)),
        }
    }
}

fn parse_policy(name: &str) -> Result<lab09::Policy, String> {
    name.parse()
}

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

/// The endpoint for `url`: plaintext, or TLS with `--ca` (and `--cert`/`--key`).
fn endpoint(url: &str, args: &Args) -> Result<Endpoint, String> {
    let Some(ca) = &args.ca else {
        return Endpoint::from_shared(url.to_owned()).map_err(|error| {
            format!("{url:?} is not a URL ({error}); use e.g. http://127.0.0.1:50051")
        });
    };
    let identity = args.cert.as_deref().zip(args.key.as_deref());
    let tls = lab08::client_tls_from_files(ca, args.server_name.as_deref(), identity)
        .map_err(|error| error.to_string())?;
    lab08::tls_endpoint(url, tls).map_err(|error| error.to_string())
}

/// How every call is made: chapter 7's retry policy, within one deadline for all attempts.
struct Calls {
    policy: lab07::RetryPolicy,
    deadline: Instant,
}

impl Calls {
    /// Runs `call` under the policy; each attempt's request carries the time left.
    async fn run<T, F, Fut>(&self, idempotency: Idempotency, call: F) -> Result<T, Status>
    where
        F: FnMut(lab07::Attempt) -> Fut,
        Fut: std::future::Future<Output = Result<T, Status>>,
    {
        let mut rng = fastrand::Rng::new();
        lab07::call_with_retries(&self.policy, self.deadline, idempotency, &mut rng, call)
            .await
            .map_err(lab07::local_timeout_as_deadline_exceeded)
    }
}

/// GetUser, retried as the policy allows: reads are idempotent.
async fn get(client: Client, id: i32, calls: &Calls) -> Result<User, Status> {
    calls
        .run(Idempotency::Idempotent, |attempt| {
            let mut client = client.clone();
            async move {
                let response = client
                    .get_user(attempt.request(GetUserRequest { id }))
                    .await?;
                Ok(response.into_inner())
            }
        })
        .await
}

/// Prints `status` the way every subcommand reports a failed call.
fn fail(status: &Status) -> ExitCode {
    eprintln!("user-client: {:?}: {}", status.code(), status.message());
    ExitCode::FAILURE
}

// ANCHOR: list_client
/// Prints each user of the page as it arrives: `id<TAB>name<TAB>email`.
async fn list(client: Client, page: i32, page_size: i32, calls: &Calls) -> Result<(), Status> {
    // Starting the stream may be retried; once a user has arrived it may not (the call is
    // committed), so only the opening is inside the retry policy.
    let mut users = calls
        .run(Idempotency::Idempotent, |attempt| {
            let mut client = client.clone();
            async move {
                let request = attempt.request(ListUsersRequest { page, page_size });
                Ok(client.list_users(request).await?.into_inner())
            }
        })
        .await?;
    // tonic enforces a request's timeout only until the response headers arrive, not while
    // the messages stream (tests/tonic_behaviour.rs shows it). gRPC means a deadline for the
    // whole call, so the client bounds the whole read itself.
    let read_page = async {
        while let Some(user) = users.message().await? {
            println!("{}\t{}\t{}", user.id, user.name, user.email);
        }
        Ok(())
    };
    tokio::time::timeout_at(calls.deadline, read_page)
        .await
        .unwrap_or_else(|_| {
            Err(Status::deadline_exceeded(
                "the page did not finish streaming before the deadline",
            ))
        })
}
// ANCHOR_END: list_client
