//! Waiting for the signal to shut down, shared by the reference binaries.

/// Completes on Ctrl-C or SIGTERM (what `kill` and container runtimes send), then prints
/// "`name` shutting down".
///
/// The handlers are registered when this is *called*, not when the future is first polled:
/// `main` calls it before printing the start-up line, so a script that reads that line and
/// then sends SIGTERM always gets a graceful shutdown, never the default "terminate now".
pub fn shutdown_signal(name: &'static str) -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            // A handler that could not be registered never fires; the other still does.
            let wait_for = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait_for(interrupt) => {},
                () = wait_for(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        println!("{name} shutting down: finishing calls in flight");
    }
}
