//! The reference `UserService`, assembled from the labs' solutions.
//!
//! - [`service`]: the `UserService` implementation: each method delegates to the solution of
//!   the chapter that teaches it;
//! - [`limits`]: the status codes the gRPC specification asks for where tonic differs;
//! - [`server`]: everything around it that a deployable server needs: health checking,
//!   reflection, a bound address, graceful shutdown;
//! - [`signal`]: Ctrl-C and SIGTERM, for the binaries' graceful shutdown.

pub mod limits;
pub mod server;
pub mod service;
pub mod signal;

pub use server::{ServerConfig, serve};
pub use service::ReferenceUserService;
pub use signal::shutdown_signal;
