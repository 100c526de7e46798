//! Where `ListUsers` reads users from.
//!
//! A real service reads a page from a database, and every read is a round trip that takes
//! time and holds a connection. The trait says so by being async, and by fetching a chunk at
//! a time, the way a database cursor does. That is what makes stopping early worth
//! something: each chunk not fetched for a client that has gone is work saved.

use std::future::Future;

use lab03::InMemoryUserStore;
use workbook_proto::user::User;

/// Users in ascending id order, fetched a chunk at a time.
pub trait UserPages: Send + Sync + 'static {
    /// Up to `limit` users in ascending id order, after skipping the first `offset`.
    /// Fewer than `limit` (possibly none) means the data ends there.
    fn fetch(&self, offset: usize, limit: usize) -> impl Future<Output = Vec<User>> + Send;
}

impl UserPages for InMemoryUserStore {
    async fn fetch(&self, offset: usize, limit: usize) -> Vec<User> {
        // The read guard lives for this statement only, never across an `.await`.
        self.read()
            .values()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect()
    }
}
