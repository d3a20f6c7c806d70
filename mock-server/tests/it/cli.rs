//! The binary: configuration errors exit 2 naming the key and value (the
//! texts snapshotted), the config file and environment layer under flags,
//! and a port in use is a clean error.

use assert_cmd::cargo::cargo_bin_cmd;

fn fails(args: &[&str]) -> String {
    let output = cargo_bin_cmd!("session-mock")
        .args(args)
        .env_remove("SESSION_MOCK_LISTEN")
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn bad_flags_exit_2_naming_key_value_and_what_is_accepted() {
    insta::assert_snapshot!(fails(&["--latency", "200"]), @r#"error: latency = "200": `200` needs a unit: ms, s, m or h (e.g. 200ms)"#);
    insta::assert_snapshot!(fails(&["--fail-rate", "1.5"]), @r#"error: fail-rate = "1.5": must be between 0 and 1 (0.1 fails one request in ten)"#);
    insta::assert_snapshot!(fails(&["--scenario", "teapot"]), @r#"error: contracts.authjs.scenario = "teapot": contract authjs has no scenario `teapot`; scenarios: valid, empty, 401 (unauthorized), 404 (not-found), 500 (server-error)"#);
    insta::assert_snapshot!(fails(&["--path", "sessions=/x"]), @r#"error: path = "sessions=/x": unknown contract `sessions`; known contracts: authjs, session-api"#);
    insta::assert_snapshot!(fails(&["--listen", "localhost"]), @r#"error: listen = "localhost": not an address such as 127.0.0.1:4010 or [::1]:4010"#);
    insta::assert_snapshot!(fails(&["--cors-origin", "*.example.com"]), @r#"error: cors-origin = "*.example.com": an origin looks like http://localhost:3000, http://localhost:* or *"#);
    assert!(fails(&["--data", "random"]).contains("invalid value 'random' for '--data <DATA>'"));
}

#[test]
fn bad_config_files_exit_2_naming_the_file_key_and_line() {
    let unknown = temp_file(
        "unknown.toml",
        "listen = \"127.0.0.1:0\"\ncolour = \"blue\"\n",
    );
    let text = fails(&["--config", unknown.to_str().expect("utf-8")])
        .replace(unknown.to_str().expect("utf-8"), "[file]");
    assert!(
        text.contains("config file [file]: TOML parse error at line 2, column 1"),
        "{text}"
    );
    assert!(text.contains("unknown field `colour`"), "{text}");
    let wrong_type = temp_file("type.toml", "seed = \"seven\"\n");
    let text = fails(&["--config", wrong_type.to_str().expect("utf-8")]);
    assert!(
        text.contains("line 1") && text.contains("invalid type: string \"seven\""),
        "{text}"
    );
    let scenario = temp_file(
        "scenario.toml",
        "[contracts.session-api]\nscenario = \"teapot\"\n",
    );
    assert!(
        fails(&["--config", scenario.to_str().expect("utf-8")])
            .contains("contracts.session-api.scenario = \"teapot\"")
    );
    let contract = temp_file("contract.toml", "[contracts.sessions]\npath = \"/x\"\n");
    assert!(
        fails(&["--config", contract.to_str().expect("utf-8")])
            .contains("unknown contract `sessions`")
    );
    insta::assert_snapshot!(fails(&["--config", "/no/such/mock.toml"]), @"error: cannot read config file /no/such/mock.toml: No such file or directory (os error 2)");
}

#[test]
fn flags_win_over_the_environment_which_wins_over_the_file() {
    let file = temp_file(
        "layers.toml",
        "latency = \"1s\"\nseed = 5\ndata = \"generated\"\n[contracts.authjs]\npath = \"/file/session\"\n",
    );
    let output = cargo_bin_cmd!("session-mock")
        .args([
            "--config",
            file.to_str().expect("utf-8"),
            "--print-config",
            "--seed",
            "9",
        ])
        .env("SESSION_MOCK_LATENCY", "250ms")
        .env("SESSION_MOCK_SEED", "7")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("latency = \"250ms\""),
        "env over file: {printed}"
    );
    assert!(printed.contains("seed = 9"), "flag over env: {printed}");
    assert!(
        printed.contains("data = \"generated\""),
        "file over default: {printed}"
    );
    assert!(printed.contains("path = \"/file/session\""), "{printed}");
    assert!(
        printed.contains("listen = \"127.0.0.1:4010\""),
        "default: {printed}"
    );
}

#[test]
fn a_port_in_use_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let text = fails(&["--listen", &addr]);
    assert!(
        text.contains(&format!("cannot listen on {addr}"))
            && text.contains("choose another address with --listen"),
        "{text}"
    );
}
