//! Step 3: bulk reads as a few streams, not a call per user.

// TODO(lab 10, step 3) uses these; the `allow` can go once it does.
#[allow(unused_imports)]
use lab04::MAX_PAGE_SIZE;
#[allow(unused_imports)]
use tonic::{Status, transport::Channel};
#[allow(unused_imports)]
use workbook_proto::user::{ListUsersRequest, User, user_service_client::UserServiceClient};

// ANCHOR: export_users
/// Every user on the server, in ascending id order, read with as few calls as the server's
/// paging allows: pages of [`MAX_PAGE_SIZE`] users.
///
/// A `GetUser` per user pays a round trip, a HEADERS frame each way and a handler call per
/// user. One `ListUsers` stream pays them once per page, and the users flow back-to-back
/// in DATA frames, as fast as the flow-control windows allow.
pub async fn export_users(channel: Channel) -> Result<Vec<User>, Status> {
    // TODO(lab 10, step 3): page through `ListUsers`, starting at page 1, with
    // `page_size: MAX_PAGE_SIZE as i32`. Drain each page's stream (`message().await` until
    // `None`) into the result. A page with fewer than `MAX_PAGE_SIZE` users is the last one:
    // stop there, without asking for another page.
    let _ = channel;
    todo!("lab 10, step 3: implement export_users in labs/10_performance/src/bulk.rs")
}
// ANCHOR_END: export_users
