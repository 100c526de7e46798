//! Where users live.
//!
//! The service talks to a [`UserStore`] trait rather than to a map, for the reason a real
//! service does: the handler's job (validate, look up, choose a status) is the same whether
//! users sit in memory, in PostgreSQL or behind another service, and tests can swap in a
//! store that fails or counts calls.

use std::{
    collections::BTreeMap,
    sync::{RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use workbook_proto::user::User;

/// Read access to users by id.
///
/// `Send + Sync + 'static` because tonic runs every call as its own task, possibly on
/// another thread, and all of them share one store.
pub trait UserStore: Send + Sync + 'static {
    /// The user with this id, or `None` when there is none.
    fn get(&self, id: i32) -> Option<User>;
}

/// Users in memory, ordered by id.
///
/// A `BTreeMap` because later chapters list users "in ascending id order" and a sorted map
/// gives that for free. An `RwLock` because reads (every `GetUser`) vastly outnumber writes,
/// and readers must not wait for each other. The lock is never held across an `.await`, so a
/// std lock is right here: it is cheaper than tokio's and cannot be held while a task sleeps.
#[derive(Debug, Default)]
pub struct InMemoryUserStore {
    users: RwLock<BTreeMap<i32, User>>,
}

/// The deterministic user `id` that `--seed-users` and the tests preload:
/// `User { id: 7, name: "User 7", email: "user7@example.com" }`.
pub fn seed_user(id: i32) -> User {
    User {
        id,
        name: format!("User {id}"),
        email: format!("user{id}@example.com"),
    }
}

impl InMemoryUserStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding users `1..=count`, as made by [`seed_user`].
    pub fn with_seed_users(count: i32) -> Self {
        let store = Self::new();
        for id in 1..=count {
            store.insert(seed_user(id));
        }
        store
    }

    /// Stores `user` under its id, replacing any user with the same id.
    pub fn insert(&self, user: User) {
        self.write().insert(user.id, user);
    }

    /// How many users are stored.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the store holds no user.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The users, by id, behind a read lock. Readers share the lock; hold it briefly and
    /// never across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, BTreeMap<i32, User>> {
        // A panic while the lock was held leaves the map as `BTreeMap`'s own operations left
        // it (each either happens or not), so a poisoned lock is safe to keep using: one
        // failed call must not take the whole service down.
        self.users
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The users, by id, behind the write lock. While you hold it nobody else reads or
    /// writes, so several changes made under one guard appear to everyone else at once or
    /// not at all (chapter 5 builds atomic batches on this). Never hold it across an `.await`.
    pub fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<i32, User>> {
        self.users
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

// ANCHOR: store_get
impl UserStore for InMemoryUserStore {
    fn get(&self, id: i32) -> Option<User> {
        // TODO(lab 3, step 1): return a copy of the user stored under `id`, or `None`.
        // `self.read()` gives you the map behind a read lock; `Option::cloned` turns the
        // `Option<&User>` that `BTreeMap::get` returns into the `Option<User>` wanted here.
        let _ = id;
        todo!("lab 3, step 1: implement InMemoryUserStore::get in labs/03_unary/src/store.rs")
    }
}
// ANCHOR_END: store_get
