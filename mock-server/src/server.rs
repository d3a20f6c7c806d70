//! Running the mock: bind, serve, shut down gracefully. `MockServer` is the
//! handle other crates' tests use (listen on `127.0.0.1:0`, read the address).

use std::net::SocketAddr;

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::app;
use crate::config::{ConfigError, MockConfig};

#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}; choose another address with --listen")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running mock server.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: crate::state::AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockServer {
    /// Builds the app and starts serving on `config.listen` (port 0 picks a free port).
    pub async fn start(config: MockConfig) -> Result<Self, StartError> {
        let listener = bind(config.listen).await?;
        Self::start_on(listener, config)
    }

    /// Serves on an already bound listener.
    pub fn start_on(listener: TcpListener, config: MockConfig) -> Result<Self, StartError> {
        let router = app(config)?;
        let state = router.state().clone();
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: ([127, 0, 0, 1], 0).into(),
            source,
        })?;
        let (tx, rx) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = rx.await;
        };
        // The admin API asks for the peer's address only when the listener
        // can be reached from elsewhere: on a loopback address every peer is
        // local, and the per-request address extension is not worth its cost.
        let task = if addr.ip().is_loopback() {
            let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(router);
            tokio::spawn(async move {
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            })
        } else {
            let service =
                axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
                    SocketAddr,
                >(router);
            tokio::spawn(async move {
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            })
        };
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The validating proxy's summary, one line per distinct violation
    /// after the headline; `None` when no contract is proxied.
    pub fn proxy_summary(&self) -> Option<Vec<String>> {
        self.state.0.proxy.as_ref().map(|p| p.summary().lines())
    }

    /// Stops accepting, finishes in-flight requests, and waits.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        // The state file's last batch of activity.
        self.state.0.sessions.flush();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}
