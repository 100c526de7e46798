//! The reference `UserService`, assembled from the labs' solutions.
//!
//! - [`service`]: the `UserService` implementation: each method delegates to the solution of
//!   the chapter that teaches it;
//! - [`limits`]: the status codes the gRPC specification asks for where tonic differs;
//! - [`server`]: everything around it that a deployable server needs: health checking,
//!   reflection, a bound address, graceful shutdown;
//! - [`signal`]: a binary's start-up line, and its graceful shutdown on Ctrl-C or SIGTERM.

pub mod limits;
pub mod server;
pub mod service;
pub mod signal;

pub use server::{ServerConfig, serve};
pub use service::ReferenceUserService;
pub use signal::{StopSignal, run_until_signal, shutdown_signal};
