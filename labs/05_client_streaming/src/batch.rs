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
    // TODO(lab 5, step 3): under ONE write guard (`let mut users = store.write();`, held
    // to the end of the function):
    // - find the largest id in use: the map is a `BTreeMap`, so `last_key_value()`
    //   (0 for an empty store);
    // - check that `largest + requests.len()` fits in an i32 (`i32::try_from`,
    //   `checked_add`); if not, `Err(Status::resource_exhausted(...))` before inserting anything;
    // - insert each request as `User { id, name: trimmed name, email }` with ids
    //   largest + 1, largest + 2, ... (an inclusive range `largest + 1..=last` cannot overflow)
    //   and collect the users, in request order, into the `Ok` you return.
    let _ = (store, requests);
    todo!("lab 5, step 3: implement store_batch in labs/05_client_streaming/src/batch.rs")
}
// ANCHOR_END: store_batch
