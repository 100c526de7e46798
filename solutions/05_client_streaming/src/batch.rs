//! Step 3: storing a whole batch atomically.
//!
//! "Atomically" means two things here, and one lock gives both:
//!
//! - **all or nothing**: everything that can fail is checked before the first insert, so
//!   no error leaves half a batch behind;
//! - **no interleaving**: ids are allocated and users inserted under one write guard, so
//!   no other batch can read the same "largest id" (and hand out the same ids) or slip
//!   its users between ours, and no reader ever sees half of the batch.

use lab03::InMemoryUserStore;
use tonic::Status;
use workbook_proto::user::{CreateUserRequest, User};

// ANCHOR: store_batch
/// Stores `requests` (already validated) as new users with fresh, consecutive ids after
/// the largest id in the store, and returns them in request order. Names are stored
/// trimmed. An empty batch stores nothing and returns no users.
///
/// Fails with `RESOURCE_EXHAUSTED`, storing nothing, when the ids would not fit in the
/// `int32` of `User.id`.
pub fn store_batch(
    store: &InMemoryUserStore,
    requests: Vec<CreateUserRequest>,
) -> Result<Vec<User>, Status> {
    // One guard for the whole batch. It is a std lock and nothing below awaits, so it is
    // held for microseconds and never across a task switch.
    let mut users = store.write();

    // The map is ordered by id, so its last key is the largest id in use.
    let largest = users.last_key_value().map_or(0, |(id, _)| *id);
    let Some(last) = i32::try_from(requests.len())
        .ok()
        .and_then(|count| largest.checked_add(count))
    else {
        return Err(Status::resource_exhausted(format!(
            "cannot allocate {} more user ids after {largest}: ids are int32",
            requests.len()
        )));
    };

    let mut created = Vec::with_capacity(requests.len());
    // An inclusive range: it can end at i32::MAX without computing the id after it.
    for (id, request) in (largest + 1..=last).zip(requests) {
        let user = User {
            id,
            name: request.name.trim().to_owned(),
            email: request.email,
        };
        users.insert(id, user.clone());
        created.push(user);
    }
    Ok(created)
}
// ANCHOR_END: store_batch
