//! Lab 5: a client-streaming RPC, `CreateUsers`, with validation, rich error details and
//! atomic batches.
//!
//! - [`validation`]: the rules one request must satisfy (step 1);
//! - [`rich_error`]: violations as `INVALID_ARGUMENT` with `BadRequest` details (step 2);
//! - [`batch`]: storing a batch atomically with fresh ids (step 3);
//! - [`create`]: reading the client's stream, all before any (step 4);
//! - [`service`]: the gRPC handler (step 5);
//! - [`client`]: uploading a stream of requests (step 6).

pub mod batch;
pub mod client;
pub mod create;
pub mod rich_error;
pub mod service;
pub mod validation;

pub use batch::store_batch;
pub use client::{UPLOAD_DEADLINE, upload_users};
pub use create::{MAX_BATCH_SIZE, cancellation_point, create_users};
pub use lab03::{InMemoryUserStore, seed_user};
pub use rich_error::{MAX_REPORTED_VIOLATIONS, invalid_batch_status};
pub use service::UserServiceImpl;
pub use validation::{
    MAX_EMAIL_BYTES, MAX_NAME_CHARS, Problem, check_email, check_name, validate, violation,
};
pub use workbook_proto::user::{CreateUserRequest, CreateUsersResponse, User};
