//! The paging rules of `ListUsers`.
//!
//! Pages are 1-based, like the page numbers a person reads. Zero is protobuf's default for an
//! unset `int32`, so a client that sets neither field sends `page: 0, page_size: 0`; treating
//! those as "first page" and "server default" makes the empty request useful instead of an
//! error. Negative values have no such excuse: they are the caller's mistake.

use tonic::Status;
use workbook_proto::user::ListUsersRequest;

/// The page size used when the request leaves `page_size` at 0.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The largest page the server sends; larger requests are clamped to it, not refused.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Which users a page holds: skip `offset` users (in ascending id order), send at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSpec {
    /// How many users come before this page.
    pub offset: usize,
    /// The most users this page may hold.
    pub limit: usize,
}

// ANCHOR: page_spec
/// Applies the paging rules to `request`:
///
/// - `page == 0` means the first page; pages count from 1;
/// - `page_size == 0` means [`DEFAULT_PAGE_SIZE`]; sizes above [`MAX_PAGE_SIZE`] are clamped;
/// - a negative `page` or `page_size` is `INVALID_ARGUMENT`, and the message names the field.
///
/// A page past the last user is not an error: it is simply empty.
pub fn page_spec(request: &ListUsersRequest) -> Result<PageSpec, Status> {
    // TODO(lab 4, step 1): apply the rules above.
    // - a negative `request.page` or `request.page_size` -> `Status::invalid_argument` with a
    //   message naming the field (`usize::try_from` fails exactly for negative numbers);
    // - `limit`: 0 -> DEFAULT_PAGE_SIZE, otherwise at most MAX_PAGE_SIZE;
    // - `offset`: (page - 1) * limit, with page 0 counted as page 1, without overflowing
    //   (`saturating_sub`, `saturating_mul`).
    let _ = (request, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    todo!("lab 4, step 1: implement page_spec in labs/04_server_streaming/src/paging.rs")
}
// ANCHOR_END: page_spec
