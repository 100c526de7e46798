//! Step 3: bulk reads as a few streams, not a call per user.

use lab04::MAX_PAGE_SIZE;
use tonic::{Status, transport::Channel};
use workbook_proto::user::{ListUsersRequest, User, user_service_client::UserServiceClient};

// ANCHOR: export_users
/// Every user on the server, in ascending id order, read with as few calls as the server's
/// paging allows: pages of [`MAX_PAGE_SIZE`] users.
///
/// A `GetUser` per user pays a round trip, a HEADERS frame each way and a handler call per
/// user. One `ListUsers` stream pays them once per page, and the users flow back-to-back
/// in DATA frames, as fast as the flow-control windows allow.
pub async fn export_users(channel: Channel) -> Result<Vec<User>, Status> {
    let mut client = UserServiceClient::new(channel);
    let mut users = Vec::new();
    for page in 1.. {
        let request = ListUsersRequest {
            page,
            page_size: MAX_PAGE_SIZE as i32,
        };
        let mut stream = client.list_users(request).await?.into_inner();
        let mut on_this_page = 0;
        while let Some(user) = stream.message().await? {
            users.push(user);
            on_this_page += 1;
        }
        if on_this_page < MAX_PAGE_SIZE {
            break;
        }
    }
    Ok(users)
}
// ANCHOR_END: export_users
