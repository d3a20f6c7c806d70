//! HTTPS targets in the default build: a loopback TLS server whose
//! certificate comes from a private test CA (`data/tls`, made with openssl,
//! valid for a century; the key is a test key and nothing else). With
//! `--ca-cert` the run goes through; without it, it stops with exit 2 and
//! says how to trust the CA; a file that is no certificate is refused.

use std::path::PathBuf;
use std::sync::Arc;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/data/tls")).join(name)
}

/// An Auth.js session endpoint over TLS that always answers signed-out `{}`.
fn serve() -> (String, std::thread::JoinHandle<()>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(data("server.pem"))
        .expect("server.pem")
        .collect::<Result<_, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(data("server.key")).expect("server.key");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let handle = std::thread::spawn(move || {
        let runtime = crate::util::runtime();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            // Serves until the test process ends.
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return; // a client that did not trust the certificate
                    };
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                              cache-control: private, no-cache, no-store\r\n\
                              content-length: 2\r\nconnection: close\r\n\r\n{}",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                });
            }
        });
    });
    (format!("https://127.0.0.1:{port}"), handle)
}

fn check(base_url: &str) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("session-conformance");
    command.env_remove("SESSION_COOKIE").args([
        "check",
        "--contract",
        "authjs",
        "--base-url",
        base_url,
        "--checks",
        "response",
        "--cases",
        "24",
        "--seed",
        "4",
    ]);
    command
}

#[test]
fn https_targets_work_in_the_default_build_with_a_private_ca() {
    let (base_url, _server) = serve();
    check(&base_url)
        .arg("--ca-cert")
        .arg(data("ca.pem"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("result: CONFORMANT"))
        .stdout(predicate::str::contains("--ca-cert"));
    // Without the CA, the certificate is not trusted: exit 2, and how to fix it.
    check(&base_url)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("certificate"))
        .stderr(predicate::str::contains("--ca-cert FILE"));
}

#[test]
fn a_ca_cert_that_is_no_certificate_is_refused_before_any_request() {
    check("https://127.0.0.1:9")
        .arg("--ca-cert")
        .arg(data("server.key"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--ca-cert"))
        .stderr(predicate::str::contains("server.key"));
    check("https://127.0.0.1:9")
        .args(["--ca-cert", "/no/such/ca.pem"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/ca.pem"));
}
