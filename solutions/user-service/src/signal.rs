//! Running a server binary from start-up line to graceful, bounded shutdown: shared by the
//! reference binaries (`user-service`, and chapter 12's `feed-service`).

use std::{future::Future, net::SocketAddr, pin::Pin, process::ExitCode, time::Duration};

use tokio::net::TcpListener;

use crate::server::ServeError;

/// The future a server is given to learn when to stop: [`run_until_signal`] completes it on
/// Ctrl-C or SIGTERM.
pub type StopSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Binds `addr`, prints the one start-up line `"<name> listening on ADDR"` (scripts and tests
/// read the bound address from it), and runs the server `serve` makes of the listener until
/// it fails or a signal asks it to stop.
///
/// Graceful shutdown stops accepting calls, sends HTTP/2 GOAWAY and waits for calls in
/// flight, and for each client to acknowledge. A stuck call or an unresponsive client would
/// make it wait forever, so the wait is bounded by `grace`, as orchestrators bound it too.
pub async fn run_until_signal<F, Fut>(
    name: &'static str,
    addr: SocketAddr,
    grace: Duration,
    serve: F,
) -> ExitCode
where
    F: FnOnce(TcpListener, StopSignal) -> Fut,
    Fut: Future<Output = Result<(), ServeError>>,
{
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "{name}: cannot listen on {addr}: {error} (is another server using that port? try --addr 127.0.0.1:0)"
            );
            return ExitCode::FAILURE;
        }
    };
    // Signal handlers first, so that once the start-up line is out a SIGTERM is graceful.
    let shutdown = shutdown_signal(name);
    match listener.local_addr() {
        Ok(addr) => println!("{name} listening on {addr}"),
        Err(error) => println!("{name} listening (address unknown: {error})"),
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = serve(
        listener,
        Box::pin(async {
            let _ = stopped.await;
        }),
    );
    tokio::pin!(server);
    let result = tokio::select! {
        result = &mut server => result,
        () = shutdown => {
            let _ = stop.send(());
            match tokio::time::timeout(grace, &mut server).await {
                Ok(result) => result,
                Err(_) => {
                    eprintln!("{name}: calls still in flight after {grace:?}; stopping anyway");
                    Ok(())
                }
            }
        }
    };
    match result {
        Ok(()) => {
            println!("{name} stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{name}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C or SIGTERM (what `kill` and container runtimes send), then prints
/// "`name` shutting down".
///
/// The handlers are registered when this is *called*, not when the future is first polled:
/// [`run_until_signal`] calls it before printing the start-up line, so a script that reads that line and
/// then sends SIGTERM always gets a graceful shutdown, never the default "terminate now".
pub fn shutdown_signal(name: &'static str) -> impl Future<Output = ()> {
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
