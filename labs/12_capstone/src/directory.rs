//! Step 3: looking authors up in `UserService`, and surviving when it cannot answer.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tonic::{Status, transport::Channel};
use workbook_proto::{feed::v1::Author, user::user_service_client::UserServiceClient};

use crate::{context::CallContext, downstream::Failure};
#[allow(unused_imports)]
use tracing::Instrument;
// TODO(lab 12, step 3) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use {
    crate::downstream::classify, std::collections::BTreeSet, tokio::task::JoinSet,
    workbook_proto::user::GetUserRequest,
};

/// The authors of a page of posts, as far as they could be found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Authors {
    /// Author by user id: fresh from `UserService`, or last-known from the cache when
    /// `UserService` could not answer. Users `UserService` does not know are absent.
    pub found: HashMap<i32, Author>,
    /// Whether at least one lookup went unanswered (its author is cached or absent).
    pub degraded: bool,
}

/// `UserService` as the feed sees it: a client, plus the last good answer for every user
/// it has looked up, to fall back on.
#[derive(Debug, Clone)]
pub struct UserDirectory {
    #[allow(dead_code)] // until step 3 uses it
    client: UserServiceClient<Channel>,
    /// Last-known authors. Shared by every clone, so every call refreshes it for all.
    cache: Arc<Mutex<HashMap<i32, Author>>>,
}

impl UserDirectory {
    /// A directory asking the `UserService` behind `channel`.
    pub fn new(channel: Channel) -> Self {
        Self {
            client: UserServiceClient::new(channel),
            cache: Arc::default(),
        }
    }

    /// The last author `UserService` gave for `id`, if any.
    pub fn cached(&self, id: i32) -> Option<Author> {
        self.cache.lock().expect("never poisoned").get(&id).cloned()
    }

    #[allow(dead_code)] // until step 3 uses it
    fn forget(&self, id: i32) {
        self.cache.lock().expect("never poisoned").remove(&id);
    }

    #[allow(dead_code)] // until step 3 uses it
    fn remember(&self, author: &Author) {
        self.cache
            .lock()
            .expect("never poisoned")
            .insert(author.id, author.clone());
    }

    // ANCHOR: lookup
    /// Asks `UserService` for user `id` on behalf of the call `context` describes, and
    /// remembers the answer (or, for a user that does not exist, forgets the old one).
    ///
    /// No budget left is `NoAnswer` with `DEADLINE_EXCEEDED`, and nothing is sent.
    pub async fn lookup(&self, context: &CallContext, id: i32) -> Result<Author, Failure> {
        // TODO(lab 12, step 3):
        // - `context.downstream(GetUserRequest { id })`; its error is `Failure::NoAnswer`;
        // - `self.client.clone().get_user(request).await`; a failed call goes through
        //   `classify`, and a `NoSuchUser` makes it `self.forget(id)` first;
        // - the user becomes an `Author { id, name }`: `self.remember` it, then return it.
        let _ = (context, id);
        todo!(
            "lab 12, step 3: implement UserDirectory::lookup in labs/12_capstone/src/directory.rs"
        )
    }
    // ANCHOR_END: lookup

    // ANCHOR: authors
    /// The authors of `ids`: each distinct id looked up once, all at the same time, so a
    /// page costs one round trip of latency however many authors it has.
    ///
    /// - A lookup that `UserService` answers fills `found`.
    /// - A user `UserService` does not know is left out; that is an answer, not degradation.
    /// - A lookup that goes unanswered falls back on the cache, and sets `degraded`.
    /// - A refusal of the caller's credentials fails the whole call with that status.
    pub async fn authors(
        &self,
        context: &CallContext,
        ids: impl IntoIterator<Item = i32>,
    ) -> Result<Authors, Status> {
        // TODO(lab 12, step 3):
        // - collect the ids into a `BTreeSet` (each distinct id once);
        // - start every lookup at once: a `JoinSet`, spawning for each id an `async move`
        //   block over clones of `self` and `context` that returns `(id, lookup result)`,
        //   `.in_current_span()` (so its logs carry the request id);
        // - `join_next` them all: `Ok` goes into `found`; `NoSuchUser` is skipped;
        //   `Refused(status)` returns `Err(status)`; `NoAnswer` sets `degraded` and puts
        //   `self.cached(id)` into `found` when there is one.
        let _ = (context, ids.into_iter().count());
        todo!(
            "lab 12, step 3: implement UserDirectory::authors in labs/12_capstone/src/directory.rs"
        )
    }
    // ANCHOR_END: authors
}
