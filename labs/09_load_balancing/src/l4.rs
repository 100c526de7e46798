//! A connection-level (L4) balancer, for comparison (given).
//!
//! It knows TCP, not HTTP/2 or gRPC: each *connection* it accepts goes to the next backend,
//! round robin, and its bytes are copied both ways until either side closes. That is what a
//! plain TCP load balancer (a cloud "network" load balancer, kube-proxy's Service IPs,
//! HAProxy in `mode tcp`) does. Against gRPC it balances connections, and a gRPC client
//! opens one connection and sends every call on it.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::{
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// A TCP balancer on `127.0.0.1:0`. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct L4Balancer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl L4Balancer {
    /// Starts balancing connections over `backends`, round robin.
    pub async fn start(backends: Vec<SocketAddr>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if backends.is_empty() {
                    continue;
                }
                let index = accepted.fetch_add(1, Ordering::Relaxed);
                let backend = backends[index % backends.len()];
                tokio::spawn(async move {
                    if let Ok(mut upstream) = TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        });
        Ok(Self {
            addr,
            connections,
            task,
        })
    }

    /// The balancer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The balancer's URL, as clients want it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections it has accepted (and balanced).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for L4Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
