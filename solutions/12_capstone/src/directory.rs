//! Step 3: looking authors up in `UserService`, and surviving when it cannot answer.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
};

use tokio::task::JoinSet;
use tonic::{Status, transport::Channel};
use tracing::Instrument;
use workbook_proto::{
    feed::v1::Author,
    user::{GetUserRequest, user_service_client::UserServiceClient},
};

use crate::{
    context::CallContext,
    downstream::{Failure, classify},
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

    fn forget(&self, id: i32) {
        self.cache.lock().expect("never poisoned").remove(&id);
    }

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
        let request = context
            .downstream(GetUserRequest { id })
            .map_err(Failure::NoAnswer)?;
        // A client is a cheap handle to one shared connection; a call needs `&mut`.
        let mut client = self.client.clone();
        let user = match client.get_user(request).await {
            Ok(response) => response.into_inner(),
            Err(status) => {
                let failure = classify(status);
                if matches!(failure, Failure::NoSuchUser) {
                    // Gone for good: never show its old name during a later outage.
                    self.forget(id);
                }
                return Err(failure);
            }
        };
        let author = Author {
            id: user.id,
            name: user.name,
        };
        self.remember(&author);
        Ok(author)
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
        let distinct: BTreeSet<i32> = ids.into_iter().collect();
        let mut lookups = JoinSet::new();
        for id in distinct {
            let (directory, context) = (self.clone(), context.clone());
            // In the call's span, so anything logged inside carries its request id.
            lookups
                .spawn(async move { (id, directory.lookup(&context, id).await) }.in_current_span());
        }

        let mut authors = Authors::default();
        // Dropping the set (on an early return, or when the call is cancelled) aborts the
        // lookups still running.
        while let Some(joined) = lookups.join_next().await {
            let (id, result) = joined.expect("a lookup never panics");
            match result {
                Ok(author) => {
                    authors.found.insert(id, author);
                }
                Err(Failure::NoSuchUser) => {}
                Err(Failure::Refused(status)) => return Err(status),
                Err(Failure::NoAnswer(_)) => {
                    authors.degraded = true;
                    if let Some(author) = self.cached(id) {
                        authors.found.insert(id, author);
                    }
                }
            }
        }
        Ok(authors)
    }
    // ANCHOR_END: authors
}
