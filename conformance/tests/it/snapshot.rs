//! `session-conformance snapshot` against the mock and the reference
//! implementation, served in this process on 127.0.0.1: shapes stable across
//! generated data, drift caught and named, `--update` and `--locked`, files
//! insta reads; and the reference implementation passing `check`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use clap::Parser;
use serde_json::json;
use session_conformance::cli::{Cli, Command};
use session_conformance::{RunOutcome, commands, selftest};
use session_mock::{AuthMode, DataMode, MockConfig, MockServer};

const REVOKED: &str = "snapshot-test-revoked-token";

/// Runs `session-conformance <args>` in process: (outcome, output).
fn cli(args: &[&str]) -> (Result<RunOutcome, String>, String) {
    let cli =
        Cli::try_parse_from(std::iter::once("session-conformance").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let outcome = match &cli.command {
        Command::Snapshot(args) => commands::snapshot::run(args, &mut out),
        Command::Check(args) => commands::check::run(args, &mut out),
        other => panic!("not under test: {other:?}"),
    };
    (
        outcome.map_err(|e| e.to_string()),
        String::from_utf8(out).expect("UTF-8 output"),
    )
}

/// The mock in a runtime of its own, stopped on drop.
struct Served {
    runtime: tokio::runtime::Runtime,
    server: Option<MockServer>,
    token: String,
}

impl Served {
    fn mock(edit: impl FnOnce(&mut MockConfig)) -> Self {
        let runtime = crate::util::runtime();
        let (mut config, token) = selftest::mock_config(AuthMode::Known, REVOKED);
        edit(&mut config);
        let server = runtime.block_on(MockServer::start(config)).expect("mock");
        Self {
            runtime,
            server: Some(server),
            token,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.server.as_ref().expect("running").addr())
    }

    /// `snapshot` of one contract into `dir`, with both credentials.
    fn snapshot(
        &self,
        contract: &str,
        dir: &Path,
        extra: &[&str],
    ) -> (Result<RunOutcome, String>, String) {
        let url = self.url();
        let (flag, revoked_flag) = match contract {
            "authjs" => ("--cookie", "--revoked-cookie"),
            _ => ("--token", "--revoked-token"),
        };
        let dir = dir.display().to_string();
        let mut args = vec![
            "snapshot",
            "-c",
            contract,
            "--base-url",
            &url,
            flag,
            &self.token,
            revoked_flag,
            REVOKED,
            "--dir",
            &dir,
            "--color",
            "never",
        ];
        args.extend_from_slice(extra);
        cli(&args)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

fn read_dir(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let path = e.expect("entry").path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).expect("snap"),
            )
        })
        .collect();
    files.sort();
    files
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("session-snapshot-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn generated_data_with_different_seeds_gives_identical_snapshots() {
    let dirs = [temp_dir("seed-1"), temp_dir("seed-2")];
    for (seed, dir) in [1u64, 2].iter().zip(&dirs) {
        let served = Served::mock(|c| {
            c.data = DataMode::Generated;
            c.seed = *seed;
        });
        for contract in ["session-api", "authjs"] {
            let (outcome, output) = served.snapshot(contract, dir, &["--samples", "64"]);
            assert_eq!(outcome, Ok(RunOutcome::Conformant), "{output}");
            assert_eq!(output.matches("recorded").count(), 4, "{output}");
        }
        // Run again on the same data: nothing drifted.
        let (outcome, output) = served.snapshot("authjs", dir, &["--samples", "64"]);
        assert_eq!(outcome, Ok(RunOutcome::Conformant), "{output}");
        assert_eq!(output.matches("unchanged").count(), 4, "{output}");
    }
    let (one, two) = (read_dir(&dirs[0]), read_dir(&dirs[1]));
    assert_eq!(one.len(), 8);
    assert_eq!(one, two, "the snapshots depend on the seed");
    // No value from the data survives, only kinds.
    let valid = &one
        .iter()
        .find(|(name, _)| name == "session-api__valid.snap")
        .unwrap()
        .1;
    assert!(valid.contains(r#""session_id": "[uuid]""#), "{valid}");
    assert!(
        !valid.contains("-4"),
        "a uuid leaked into the shape:\n{valid}"
    );
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_removed_optional_field_is_drift_named_in_the_diff() {
    let dir = temp_dir("drift");
    {
        let served = Served::mock(|_| {});
        let (outcome, output) = served.snapshot("authjs", &dir, &["--samples", "2"]);
        assert_eq!(outcome, Ok(RunOutcome::Conformant), "{output}");
    }
    let before = read_dir(&dir);
    // `user.image` is optional: the body is still schema-valid without it.
    let served = Served::mock(|c| {
        for mount in &mut c.mounts {
            if mount.contract.name == "authjs" {
                mount.overrides = Some(json!({"user": {"image": null}, "login_method": 7}));
            }
        }
        c.allow_invalid_override = true;
    });
    let (outcome, output) = served.snapshot("authjs", &dir, &["--samples", "2"]);
    assert_eq!(outcome, Ok(RunOutcome::Violations), "{output}");
    assert!(
        output.contains("body.user.image: disappeared (was [url])"),
        "{output}"
    );
    assert!(
        output.contains("body.login_method: changed from [string] to [number]"),
        "{output}"
    );
    assert!(output.contains(r#"-      "image": "[url]","#), "{output}");
    assert!(output.contains("DRIFTED"), "{output}");
    assert!(output.contains("--update"), "{output}");
    assert_eq!(
        output.matches("unchanged").count(),
        3,
        "only the valid class drifted:\n{output}"
    );
    assert_eq!(
        read_dir(&dir),
        before,
        "a drifted snapshot is not rewritten without --update"
    );

    let (outcome, output) = served.snapshot("authjs", &dir, &["--samples", "2", "--update"]);
    assert_eq!(outcome, Ok(RunOutcome::Conformant), "{output}");
    assert!(output.contains("updated"), "{output}");
    let (outcome, output) = served.snapshot("authjs", &dir, &["--samples", "2"]);
    assert_eq!(outcome, Ok(RunOutcome::Conformant), "{output}");
    assert!(!read_dir(&dir)[0].1.contains("\"image\""));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn locked_fails_on_missing_snapshots_and_bad_files_are_named() {
    let dir = temp_dir("locked");
    let served = Served::mock(|_| {});
    let (outcome, output) = served.snapshot("session-api", &dir, &["--locked", "--samples", "1"]);
    assert_eq!(outcome, Ok(RunOutcome::Violations), "{output}");
    assert_eq!(output.matches("MISSING").count(), 4, "{output}");
    assert!(read_dir(&dir).is_empty(), "--locked writes nothing");

    std::fs::write(dir.join("session-api__valid.snap"), "not a snapshot").unwrap();
    let (outcome, _) = served.snapshot("session-api", &dir, &["--samples", "1"]);
    let error = outcome.unwrap_err();
    assert!(
        error.contains("session-api__valid.snap") && error.contains("--update"),
        "{error}"
    );

    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let (outcome, _) = served.snapshot("session-api", &file, &[]);
    assert!(outcome.unwrap_err().contains("not a directory"));
    let _ = std::fs::remove_dir_all(dir);
}

/// insta itself reads the recorded files: `assert_json_snapshot!` with the
/// same name and directory passes on them.
#[test]
fn recorded_files_are_insta_snapshots() {
    let dir = temp_dir("insta");
    let served = Served::mock(|_| {});
    for contract in ["session-api", "authjs"] {
        let (outcome, output) = served.snapshot(contract, &dir, &["--samples", "1"]);
        assert_eq!(outcome, Ok(RunOutcome::Conformant), "{output}");
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(&dir);
    settings.set_prepend_module_to_snapshot(false);
    let files = read_dir(&dir);
    assert_eq!(files.len(), 8);
    settings.bind(|| {
        for (name, text) in &files {
            let value = session_snapshot::file::from_snap(text).expect("a snapshot");
            let name = name.trim_end_matches(".snap");
            insta::assert_json_snapshot!(name, value);
        }
    });
    let _ = std::fs::remove_dir_all(dir);
}

/// The reference implementation, served on loopback with a live and a
/// revoked session: `check` finds nothing for either contract.
#[test]
fn the_reference_implementation_passes_check() {
    use session_reference::{Store, User};
    let runtime = crate::util::runtime();
    let store = Arc::new(Store::default());
    let user = User {
        id: "9f8b6c1e-3d2a-4e5f-8a7b-1c2d3e4f5a6b".to_owned(),
        email: "ada.lovelace@example.com".to_owned(),
        name: "Ada Lovelace".to_owned(),
        username: "ada.lovelace".to_owned(),
    };
    let live = store.sign_in(user.clone(), "credentials").unwrap();
    let revoked = store.sign_in(user, "credentials").unwrap();
    assert!(store.revoke(&revoked));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(SocketAddr::from((
            [127, 0, 0, 1],
            0,
        ))))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = session_reference::app(store);
    runtime.spawn(async move { axum::serve(listener, app).await });

    for (contract, flag, revoked_flag) in [
        ("session-api", "--token", "--revoked-token"),
        ("authjs", "--cookie", "--revoked-cookie"),
    ] {
        let (outcome, output) = cli(&[
            "check",
            "-c",
            contract,
            "--base-url",
            &url,
            flag,
            &live,
            revoked_flag,
            &revoked,
            "--cases",
            "300",
            "--seed",
            "5",
            "--strict",
            "--color",
            "never",
        ]);
        assert_eq!(outcome, Ok(RunOutcome::Conformant), "{contract}:\n{output}");
        assert!(output.contains("300 cases"), "{output}");
        assert!(!output.contains(&live) && !output.contains(&revoked));
    }
    drop(runtime);
}

#[test]
fn a_missing_credential_stops_snapshot_unless_recording_without_one_on_purpose() {
    let mock = Served::mock(|_| {});
    let dir = temp_dir("no-credential");
    let url = mock.url();
    let dir_text = dir.display().to_string();
    let base = [
        "snapshot",
        "-c",
        "session-api",
        "--base-url",
        &url,
        "--dir",
        &dir_text,
        "--color",
        "never",
    ];
    let (outcome, _) = cli(&base);
    let error = outcome.expect_err("refused");
    assert!(error.contains("SESSION_TOKEN is not set"), "{error}");
    assert!(
        !dir.exists() || read_dir(&dir).is_empty(),
        "nothing recorded"
    );
    let mut on_purpose = base.to_vec();
    on_purpose.push("--no-credential");
    let (outcome, printed) = cli(&on_purpose);
    assert_eq!(outcome, Ok(RunOutcome::Conformant), "{printed}");
    let names: Vec<String> = read_dir(&dir).into_iter().map(|(name, _)| name).collect();
    assert!(
        names.iter().any(|n| n.contains("unauthenticated")),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("__valid")), "{names:?}");
    drop(mock);
}
