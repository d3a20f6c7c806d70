//! `session-reference`: serves both contracts on loopback with a demo user,
//! and prints credentials to try them with (one live, one revoked).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use session_reference::{Store, User, app};

const USAGE: &str = "usage: session-reference [--listen ADDR]   (default 127.0.0.1:4400)";

#[tokio::main]
async fn main() -> ExitCode {
    let listen = match parse_listen(std::env::args().skip(1)) {
        Ok(Some(addr)) => addr,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let store = Arc::new(Store::default());
    let demo = User {
        id: "9f8b6c1e-3d2a-4e5f-8a7b-1c2d3e4f5a6b".to_owned(),
        email: "ada.lovelace@example.com".to_owned(),
        name: "Ada Lovelace".to_owned(),
        username: "ada.lovelace".to_owned(),
    };
    let (live, revoked) = match (
        store.sign_in(demo.clone(), "credentials"),
        store.sign_in(demo, "credentials"),
    ) {
        (Ok(live), Ok(revoked)) => (live, revoked),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: no randomness for tokens: {e}");
            return ExitCode::from(2);
        }
    };
    store.revoke(&revoked);
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = listener.local_addr().unwrap_or(listen);
    println!("session-reference on http://{addr} (GET /auth/session, GET /api/auth/session)");
    println!("demo credentials for this run (a live session, and one revoked):");
    println!("  export SESSION_TOKEN={live} SESSION_REVOKED_TOKEN={revoked}");
    println!("  export SESSION_COOKIE={live} SESSION_REVOKED_COOKIE={revoked}");
    let server = axum::serve(listener, app(store)).with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The address to listen on; `None` when help was asked for.
fn parse_listen(mut args: impl Iterator<Item = String>) -> Result<Option<SocketAddr>, String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 4400).into();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                let value = args.next().ok_or("--listen needs an address")?;
                listen = value.parse().map_err(|e| {
                    format!("--listen {value:?}: {e} (expected e.g. 127.0.0.1:4400)")
                })?;
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(listen))
}
