//! The feed's own data: posts, in memory.
//!
//! The feed stores a post's author as a user id and nothing more. Names belong to
//! `UserService`; a copy here would go stale the moment a user renamed themselves.

use std::sync::Mutex;

use workbook_proto::feed::v1::Post;

/// The longest post, in characters (not bytes: "é" is one character and two bytes).
pub const MAX_POST_CHARS: usize = 280;

/// Every post ever made, oldest first, with ids `1, 2, 3...` in the order they were stored.
#[derive(Debug, Default)]
pub struct PostStore {
    posts: Mutex<Vec<Post>>,
}

impl PostStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a post by `author_id` and returns it with its new id and without an author
    /// (the caller fills that in from `UserService`).
    pub fn insert(&self, author_id: i32, text: String) -> Post {
        let mut posts = self
            .posts
            .lock()
            .expect("a panic never happens while holding the lock");
        let post = Post {
            id: posts.len() as i64 + 1,
            author_id,
            text,
            author: None,
        };
        posts.push(post.clone());
        post
    }

    /// The newest `limit` posts, newest first.
    pub fn newest(&self, limit: usize) -> Vec<Post> {
        let posts = self
            .posts
            .lock()
            .expect("a panic never happens while holding the lock");
        posts.iter().rev().take(limit).cloned().collect()
    }

    /// How many posts are stored.
    pub fn len(&self) -> usize {
        self.posts
            .lock()
            .expect("a panic never happens while holding the lock")
            .len()
    }

    /// Whether no post is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
