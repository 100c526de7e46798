//! `feed-client`: posts to and reads the feed of chapter 12 from the command line.
//!
//! `feed-client post 1 "hello"`, `feed-client feed --limit 5`

use std::time::Duration;

use clap::{Parser, Subcommand};
use tonic::{Request, metadata::MetadataValue};
use workbook_proto::feed::v1::{
    CreatePostRequest, GetFeedRequest, feed_service_client::FeedServiceClient,
};

/// A client of feed.v1.FeedService.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The feed service's URL.
    #[arg(long, default_value = "http://127.0.0.1:50052")]
    addr: String,

    /// Send `authorization: Bearer TOKEN`.
    #[arg(long)]
    token: Option<String>,

    /// The call's deadline, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,

    /// Send this `x-request-id` (otherwise the feed makes one; either way it is printed).
    #[arg(long)]
    request_id: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// CreatePost: prints the stored post.
    Post { author_id: i32, text: String },
    /// GetFeed: one line per post, newest first, and whether the feed is degraded.
    Feed {
        #[arg(long, default_value_t = 0)]
        limit: i32,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("feed-client: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn request<T>(args: &Args, message: T) -> Result<Request<T>, Box<dyn std::error::Error>> {
    let mut request = Request::new(message);
    request.set_timeout(Duration::from_millis(args.timeout_ms));
    if let Some(token) = &args.token {
        let mut value = MetadataValue::try_from(format!("Bearer {token}"))?;
        value.set_sensitive(true);
        request.metadata_mut().insert("authorization", value);
    }
    if let Some(id) = &args.request_id {
        request
            .metadata_mut()
            .insert(lab12::REQUEST_ID, MetadataValue::try_from(id.as_str())?);
    }
    Ok(request)
}

fn request_id(metadata: &tonic::metadata::MetadataMap) -> &str {
    metadata
        .get(lab12::REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-")
}

/// A failed call as one line, with the request id to quote when reporting it.
fn describe(status: tonic::Status) -> String {
    format!(
        "{:?}: {} (request id {})",
        status.code(),
        status.message(),
        request_id(status.metadata())
    )
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = FeedServiceClient::connect(args.addr.clone()).await?;
    match &args.command {
        Command::Post { author_id, text } => {
            let message = CreatePostRequest {
                author_id: *author_id,
                text: text.clone(),
            };
            let response = client
                .create_post(request(&args, message)?)
                .await
                .map_err(describe)?;
            let id = request_id(response.metadata()).to_owned();
            let post = response.into_inner();
            let by = post.author.map_or_else(String::new, |author| author.name);
            println!(
                "post {} by {by} (id {}): {}",
                post.id, post.author_id, post.text
            );
            eprintln!("request id {id}");
        }
        Command::Feed { limit } => {
            let message = GetFeedRequest { limit: *limit };
            let response = client
                .get_feed(request(&args, message)?)
                .await
                .map_err(describe)?;
            let id = request_id(response.metadata()).to_owned();
            let feed = response.into_inner();
            println!("degraded: {}", feed.degraded);
            for post in feed.posts {
                let by = post
                    .author
                    .map_or_else(|| "<unknown>".to_owned(), |author| author.name);
                println!(
                    "post {} by {by} (id {}): {}",
                    post.id, post.author_id, post.text
                );
            }
            eprintln!("request id {id}");
        }
    }
    Ok(())
}
