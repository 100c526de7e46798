//! Step 4: the feed's handlers.

use std::sync::Arc;

use lab08::Role;
use tonic::{Request, Response, Status};
use tracing::Instrument;
use workbook_proto::feed::v1::{
    CreatePostRequest, GetFeedRequest, GetFeedResponse, Post, feed_service_server::FeedService,
};

use crate::{
    context::{CallContext, REQUEST_ID},
    directory::UserDirectory,
    posts::{MAX_POST_CHARS, PostStore},
};
// TODO(lab 12, step 4) uses it; the `allow` can go once it does.
#[allow(unused_imports)]
use crate::downstream::Failure;

/// How many posts `GetFeed` returns when the request says 0.
pub const DEFAULT_FEED_LIMIT: usize = 20;

/// The most posts one `GetFeed` returns; larger limits are clamped to it.
pub const MAX_FEED_LIMIT: usize = 100;

/// The feed service: posts of its own, authors from `UserService`.
#[derive(Debug, Clone)]
#[allow(dead_code)] // until step 4 uses the fields
pub struct FeedServer {
    posts: Arc<PostStore>,
    users: UserDirectory,
}

impl FeedServer {
    /// A feed storing posts in `posts` and asking `users` for their authors.
    pub fn new(posts: Arc<PostStore>, users: UserDirectory) -> Self {
        Self { posts, users }
    }
}

/// `result`, with the call's request id in its metadata, success or failure: the id a
/// client quotes in a bug report is the one in every service's logs.
pub fn with_request_id<T>(
    context: &CallContext,
    result: Result<T, Status>,
) -> Result<Response<T>, Status> {
    let id = context.request_id_value();
    match result {
        Ok(message) => {
            let mut response = Response::new(message);
            response.metadata_mut().insert(REQUEST_ID, id);
            Ok(response)
        }
        Err(mut status) => {
            status.metadata_mut().insert(REQUEST_ID, id);
            Err(status)
        }
    }
}

/// Checks a `CreatePost` request: a positive author id and 1 to [`MAX_POST_CHARS`]
/// characters of text that are not all whitespace.
pub fn validate_post(request: &CreatePostRequest) -> Result<(), Status> {
    if request.author_id <= 0 {
        return Err(Status::invalid_argument(format!(
            "author_id must be positive, got {}",
            request.author_id
        )));
    }
    if request.text.trim().is_empty() {
        return Err(Status::invalid_argument("text must not be empty"));
    }
    let chars = request.text.chars().count();
    if chars > MAX_POST_CHARS {
        return Err(Status::invalid_argument(format!(
            "text is {chars} characters long; the limit is {MAX_POST_CHARS}"
        )));
    }
    Ok(())
}

/// The number of posts a `GetFeed` with `limit` returns at most: 0 means
/// [`DEFAULT_FEED_LIMIT`], anything above [`MAX_FEED_LIMIT`] is clamped, and a negative
/// limit is `INVALID_ARGUMENT`.
pub fn feed_limit(limit: i32) -> Result<usize, Status> {
    match limit {
        0 => Ok(DEFAULT_FEED_LIMIT),
        limit if limit < 0 => Err(Status::invalid_argument(format!(
            "limit must not be negative, got {limit}"
        ))),
        limit => Ok((limit as usize).min(MAX_FEED_LIMIT)),
    }
}

impl FeedServer {
    // ANCHOR: create_post
    /// `CreatePost`, once the caller is known: checks the author with `UserService` and
    /// stores the post only if that succeeds.
    async fn create_post_in(
        &self,
        context: &CallContext,
        request: CreatePostRequest,
    ) -> Result<Post, Status> {
        // TODO(lab 12, step 4):
        // - `validate_post(&request)?`;
        // - `self.users.lookup(context, request.author_id).await`: `NoSuchUser` is
        //   `FAILED_PRECONDITION` naming the author id; `Refused(status)` is `status`;
        //   `NoAnswer` is `UNAVAILABLE` saying the post was not stored (fail closed);
        // - only then `self.posts.insert(...)`, with `author` set to what the lookup found.
        let _ = (context, request);
        todo!("lab 12, step 4: implement create_post_in in labs/12_capstone/src/feed.rs")
    }
    // ANCHOR_END: create_post

    // ANCHOR: get_feed
    /// `GetFeed`: the newest posts with their authors, degraded rather than failed when
    /// `UserService` cannot answer.
    async fn get_feed_in(
        &self,
        context: &CallContext,
        request: GetFeedRequest,
    ) -> Result<GetFeedResponse, Status> {
        // TODO(lab 12, step 4):
        // - `feed_limit(request.limit)?` posts from `self.posts.newest(...)`;
        // - `self.users.authors(context, <every post's author_id>).await?`;
        // - set each post's `author` from `authors.found`, and answer with the posts and
        //   `authors.degraded`.
        let _ = (context, request);
        todo!("lab 12, step 4: implement get_feed_in in labs/12_capstone/src/feed.rs")
    }
    // ANCHOR_END: get_feed
}

#[tonic::async_trait]
impl FeedService for FeedServer {
    async fn create_post(
        &self,
        request: Request<CreatePostRequest>,
    ) -> Result<Response<Post>, Status> {
        let context = CallContext::from_request(&request);
        // Chapter 8's roles: a read-only token may read the feed, not write to it.
        if request.extensions().get::<Role>() == Some(&Role::ReadOnly) {
            return with_request_id(
                &context,
                Err(Status::permission_denied(
                    "CreatePost needs a read-write token; this one is read-only",
                )),
            );
        }
        let span = tracing::info_span!("CreatePost", request_id = %context.request_id);
        let result = self
            .create_post_in(&context, request.into_inner())
            .instrument(span)
            .await;
        with_request_id(&context, result)
    }

    async fn get_feed(
        &self,
        request: Request<GetFeedRequest>,
    ) -> Result<Response<GetFeedResponse>, Status> {
        let context = CallContext::from_request(&request);
        let span = tracing::info_span!("GetFeed", request_id = %context.request_id);
        let result = self
            .get_feed_in(&context, request.into_inner())
            .instrument(span)
            .await;
        with_request_id(&context, result)
    }
}
