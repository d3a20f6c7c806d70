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

/// `session-mock ARGS --print-config` with the address left to the flags:
/// its exit code, standard output and standard error.
fn print_config(args: &[&str]) -> (Option<i32>, String, String) {
    let output = cargo_bin_cmd!("session-mock")
        .args(args)
        .arg("--print-config")
        .env_remove("SESSION_MOCK_LISTEN")
        .env_remove("SESSION_MOCK_PORT")
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
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
    assert!(fails(&["--scenario", "unauthorised"]).contains("did you mean `unauthorized`?"));
    // A bare scenario no contract has is a typo; one some have applies to those.
    assert!(
        fails(&["--scenario", "40"])
            .contains("no contract served has this scenario; did you mean `401`?")
    );
    assert!(fails(&["--scenario", "teapot"]).starts_with(r#"error: scenario = "teapot": no contract served has this scenario; scenarios: valid, empty, 401 (unauthorized), 404 (not-found), 500 (server-error)"#));
    insta::assert_snapshot!(fails(&["--scenario", "authjs=teapot"]), @r#"error: contracts.authjs.scenario = "teapot": contract authjs has no scenario `teapot`; scenarios: valid, empty, 401 (unauthorized), 404 (not-found), 500 (server-error)"#);
    assert!(fails(&["--path", "sessions=/x"]).starts_with(r#"error: path = "sessions=/x": unknown contract `sessions`; did you mean `session-api`?; known contracts: "#));
    insta::assert_snapshot!(fails(&["--listen", "localhost"]), @r#"error: listen = "localhost": not an address such as 127.0.0.1:4010 or [::1]:4010"#);
    insta::assert_snapshot!(fails(&["--cors-origin", "*.example.com"]), @r#"error: cors-origin = "*.example.com": an origin looks like http://localhost:3000, http://localhost:* or *"#);
    assert!(fails(&["--data", "random"]).contains("invalid value 'random' for '--data <DATA>'"));
    // A username alone is shown; anything with a password part is not.
    insta::assert_snapshot!(fails(&["--user", "alice"]), @r#"error: user = "alice": expected USERNAME:PASSWORD, e.g. alice:secret"#);
    insta::assert_snapshot!(fails(&["--user", "alice:"]), @r#"error: user = "(hidden)": user `alice`: the password is empty"#);
    let leaked = fails(&["--user", "al\u{7}ice:pw-31337"]);
    assert!(
        leaked.contains(r#"user = "(hidden)""#) && !leaked.contains("pw-31337"),
        "{leaked}"
    );
    insta::assert_snapshot!(fails(&["--clock", "9999-12-31T00:00:00Z"]), @r#"error: clock = "9999-12-31T00:00:00Z": 9999-12-31T00:00:00Z is after 9000-01-01T00:00:00Z, the latest time the mock's clock shows"#);
    insta::assert_snapshot!(fails(&["--clock", "1969-07-20T20:17:00Z"]), @r#"error: clock = "1969-07-20T20:17:00Z": 1969-07-20T20:17:00Z is before 1970-01-01T00:00:00Z, the earliest time the mock's clock shows"#);
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

/// `--print-config` writes a file that `--config` takes back: the same
/// configuration when nothing is secret; with secrets, it says they are
/// hidden, the placeholder is refused naming the key, and once they are
/// put back the file means what the flags meant.
#[test]
fn printed_configuration_loads_back_and_hidden_secrets_are_never_taken_as_values() {
    let print = |args: &[&str]| {
        let (code, out, err) = print_config(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    // Nothing secret: the built-in user is not written, and the file
    // prints itself back to the letter.
    let plain = print(&["--seed", "3", "--latency", "20ms"]);
    assert!(
        !plain.contains("(hidden)") && !plain.contains("[[user]]"),
        "{plain}"
    );
    let file = temp_file("printed-plain.toml", &plain);
    assert_eq!(print(&["--config", file.to_str().expect("utf-8")]), plain);

    let flags = [
        "--user",
        "alice:pw-7f3k9",
        "--token",
        "tok-abcdefgh",
        "--auth-secret",
        "app-secret-of-33-characters-long",
    ];
    let secret = print(&flags);
    assert!(
        secret.starts_with("# Secrets are written as \"(hidden)\""),
        "{secret}"
    );
    for value in [
        "pw-7f3k9",
        "tok-abcdefgh",
        "app-secret-of-33-characters-long",
    ] {
        assert!(!secret.contains(value), "{value} printed: {secret}");
    }
    // Each hidden value is refused in its own words, naming its key,
    // until every one is put back; then the file means what the flags
    // meant.
    let load = |text: &str| {
        let file = temp_file("printed-filled.toml", text);
        print_config(&["--config", file.to_str().expect("utf-8")])
    };
    let mut text = secret.clone();
    let mut hidden = vec![
        // (as printed, put back, how its refusal names it)
        (
            "tokens = [\"(hidden)\"]",
            "tokens = [\"tok-abcdefgh\"]",
            "tokens = [\"(hidden)\"]",
        ),
        (
            "auth-secret = [\"(hidden)\"]",
            "auth-secret = [\"app-secret-of-33-characters-long\"]",
            "auth-secret = [\"(hidden)\"]",
        ),
        (
            "password = \"(hidden)\"",
            "password = \"pw-7f3k9\"",
            "user `alice`: the password `(hidden)`",
        ),
    ];
    while !hidden.is_empty() {
        let (code, _, error) = load(&text);
        assert_eq!(code, Some(2), "{text}");
        assert!(
            error.contains("what --print-config writes in place of"),
            "{error}"
        );
        let named: Vec<usize> = (0..hidden.len())
            .filter(|&i| error.contains(hidden[i].2))
            .collect();
        assert_eq!(named.len(), 1, "one hidden key named: {error}");
        let (printed, real, _) = hidden.remove(named[0]);
        assert!(text.contains(printed), "{printed} in {text}");
        text = text.replace(printed, real);
    }
    let (code, reprinted, error) = load(&text);
    assert_eq!(code, Some(0), "{error}");
    assert_eq!(
        reprinted, secret,
        "the filled-in file means what the flags meant"
    );
    // A flag's value is no placeholder either.
    assert!(fails(&["--token", "(hidden)"]).contains("token = \"(hidden)\": `(hidden)` is what"));
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

/// One defect planted among valid settings, and what the error must name.
fn defective_config() -> impl proptest::strategy::Strategy<Value = (String, String)> {
    use proptest::prelude::*;
    let valid = proptest::collection::vec(
        prop::sample::select(vec![
            "data = \"generated\"",
            "seed = 7",
            "auth = \"known\"",
            "tokens = [\"a-token-for-tests\"]",
            "latency = \"5ms\"",
            "admin = true",
            "journal-size = 16",
            "fail-rate = 0.0",
        ]),
        0..4,
    );
    let defect = prop_oneof![
        // A known key with a value of the wrong type.
        (
            prop::sample::select(vec![
                "listen",
                "data",
                "seed",
                "auth",
                "tokens",
                "latency",
                "fail-rate",
                "journal-size",
                "admin",
                "cors-origins",
                "signing-key",
            ]),
            prop::sample::select(vec!["3", "\"x\"", "[1, 2]", "{ a = 1 }", "-1", "true"]),
        )
            .prop_filter("the value must be wrong for the key", |(key, value)| {
                !matches!(
                    (*key, *value),
                    ("seed" | "journal-size", "3") | ("admin", "true") | ("signing-key", "\"x\"")
                )
            })
            .prop_map(|(key, value)| (format!("{key} = {value}"), key.to_owned())),
        // A key nobody knows.
        "[a-z]{3,12}"
            .prop_filter("unknown", |k| !matches!(
                k.as_str(),
                "listen"
                    | "data"
                    | "seed"
                    | "auth"
                    | "tokens"
                    | "cookies"
                    | "revoked"
                    | "latency"
                    | "jitter"
                    | "admin"
                    | "log"
            ))
            .prop_map(|key| (format!("{key} = 1"), key)),
        // Numbers and values out of range.
        prop::sample::select(vec![
            ("fail-rate = 1.5", "fail-rate"),
            ("fail-rate = -0.5", "fail-rate"),
            ("journal-size = 100000000", "journal-size"),
            ("seed = 18446744073709551616", "seed"),
            ("latency = \"25h\"", "latency"),
            ("jitter = \"-5ms\"", "jitter"),
            ("listen = \"127.0.0.1:99999\"", "listen"),
            ("cors-origins = [\"*.example.com\"]", "cors-origin"),
            ("[contracts.nope]\npath = \"/x\"", "nope"),
            ("[contracts.authjs]\nscenario = \"teapot\"", "teapot"),
            (
                "[contracts.authjs]\noverride = { user = { id = 3 } }",
                "override"
            ),
        ])
        .prop_map(|(line, names)| (line.to_owned(), names.to_owned())),
        // Not TOML at all.
        "[=\\[\"{]{1,6}[a-z ]{0,8}".prop_map(|text| (text, "line".to_owned())),
    ];
    (valid, defect).prop_map(|(valid, (line, names))| {
        let mut lines: Vec<String> = valid.iter().map(|s| (*s).to_owned()).collect();
        lines.sort();
        lines.dedup();
        lines.push(line);
        (lines.join("\n") + "\n", names)
    })
}

/// Random config files, each with one defect: the binary always exits 2 with
/// a message naming the key (or the line), never panics, never starts.
#[test]
fn any_defective_config_file_exits_2_naming_the_problem() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]),
    );
    let path = temp_file("fuzzed.toml", "");
    runner
        .run(&defective_config(), |(text, names)| {
            std::fs::write(&path, &text).unwrap();
            let output = cargo_bin_cmd!("session-mock")
                .args(["--config", path.to_str().unwrap()])
                .env_remove("SESSION_MOCK_LISTEN")
                .timeout(std::time::Duration::from_secs(10))
                .output()
                .expect("runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            proptest::prop_assert_eq!(output.status.code(), Some(2), "{}\n{}", text, stderr);
            proptest::prop_assert!(!stderr.contains("panicked"), "{}", stderr);
            proptest::prop_assert!(stderr.starts_with("error:"), "{}", stderr);
            proptest::prop_assert!(
                stderr.contains(&names),
                "{:?} not named for\n{}\n{}",
                names,
                text,
                stderr
            );
            Ok(())
        })
        .unwrap();
    // Not UTF-8, inside and in the path.
    std::fs::write(&path, b"seed = \"\xff\xfe\"\n").unwrap();
    assert!(fails(&["--config", path.to_str().unwrap()]).contains(path.to_str().unwrap()));
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"/nonexistent/\xff\xfe.toml");
        let output = cargo_bin_cmd!("session-mock")
            .arg("--config")
            .arg(odd)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("nonexistent") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    let _ = std::fs::remove_file(path);
}

/// Random values for every flag, checked with `--print-config`: either the
/// configuration is valid (exit 0, printed), or the binary exits 2 naming
/// the flag; never a panic.
#[test]
fn any_flag_value_is_accepted_or_named_in_an_exit_2() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let flags = prop::sample::select(vec![
        "listen",
        "scenario",
        "path",
        "only",
        "without",
        "data",
        "seed",
        "auth",
        "token",
        "cookie",
        "revoked",
        "signing-key",
        "override",
        "latency",
        "jitter",
        "fail-rate",
        "cors-origin",
        "journal-size",
        "log",
        "user",
        "clock",
        "state",
        "max-sessions",
        "session-lifetime",
        "port",
    ]);
    let value = prop_oneof![
        "-?[0-9]{1,22}(\\.[0-9]{0,3})?(ms|s|m|h|)",
        "[a-z0-9=/:.*-]{0,20}",
        "[ -~]{0,24}",
        Just("authjs={\"user\":{\"id\":3}}".to_owned()),
        Just("session-api=/x y".to_owned()),
        Just("NaN".to_owned()),
        Just(String::new()),
    ];
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 120,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[4; 32]),
    );
    runner
        .run(&(flags, value), |(flag, value)| {
            let output = cargo_bin_cmd!("session-mock")
                .arg("--print-config")
                .arg(format!("--{flag}={value}"))
                .env_remove("SESSION_MOCK_LISTEN")
                .timeout(std::time::Duration::from_secs(10))
                .output()
                .expect("runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            prop_assert!(!stderr.contains("panicked"), "{}", stderr);
            match output.status.code() {
                Some(0) => prop_assert!(!output.stdout.is_empty()),
                Some(2) => {
                    prop_assert!(stderr.starts_with("error"), "{}", stderr);
                    let singular = flag.trim_end_matches('s');
                    prop_assert!(
                        stderr.contains(flag) || stderr.contains(singular),
                        "--{}={:?} not named in\n{}",
                        flag,
                        value,
                        stderr
                    );
                }
                other => prop_assert!(
                    false,
                    "exit {:?} for --{}={:?}: {}",
                    other,
                    flag,
                    value,
                    stderr
                ),
            }
            Ok(())
        })
        .unwrap();
}

/// `session-mock | head -3`, as a shell runs it: the banner's reader
/// leaves; the mock keeps serving.
#[test]
fn the_mock_keeps_serving_when_its_banner_has_no_reader() {
    use std::os::unix::process::CommandExt;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut shell = std::process::Command::new("bash")
        .args(["-c", r#""$0" --listen "127.0.0.1:$1" | true; sleep 30"#])
        .arg(assert_cmd::cargo::cargo_bin!("session-mock"))
        .arg(port.to_string())
        .env_remove("SESSION_MOCK_LISTEN")
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .expect("bash runs");
    let health = || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream
            .write_all(b"GET /__mock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        Some(answer)
    };
    let mut answers = 0;
    for _ in 0..60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if health().is_some_and(|a| a.starts_with("HTTP/1.1 200")) {
            answers += 1;
            // Still there well after the banner was written.
            if answers == 10 {
                break;
            }
        }
    }
    let _ = std::process::Command::new("kill")
        .args(["--", &format!("-{}", shell.id())])
        .status();
    let _ = shell.wait();
    assert_eq!(answers, 10, "the mock stopped answering");
}

#[test]
fn port_is_short_for_listen_on_loopback_and_cors_origins_add_to_the_defaults() {
    let printed = print_config;
    let (code, out, _) = printed(&["--port", "8081"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("listen = \"127.0.0.1:8081\""), "{out}");
    let (code, _, err) = printed(&["--port", "8081", "--listen", "127.0.0.1:1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--port") && err.contains("--listen"), "{err}");
    let (_, out, _) = printed(&["--cors-origin", "https://app.example.com"]);
    for origin in [
        "http://localhost:*",
        "http://127.0.0.1:*",
        "https://app.example.com",
    ] {
        assert!(out.contains(&format!("\"{origin}\"")), "{origin} in {out}");
    }
    let (_, out, _) = printed(&[
        "--cors-origin",
        "https://app.example.com",
        "--no-default-origins",
    ]);
    assert!(!out.contains("localhost"), "{out}");
    assert!(out.contains("https://app.example.com"), "{out}");
    let help = cargo_bin_cmd!("session-mock")
        .arg("--help")
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("[default: 127.0.0.1:4010]") || help.contains("[default:\n"),
        "{help}"
    );
    for default in [
        "[default: each contract's signed-in one]",
        "[default: fixture]",
        "[default: 256]",
    ] {
        assert!(help.contains(default), "{default} in --help");
    }
}

/// Every flag reads `SESSION_MOCK_<FLAG>` and is a config-file key spelled
/// like the flag, except the ones the README names (and this list holds).
#[test]
fn every_flag_has_its_variable_and_its_config_key() {
    use clap::CommandFactory;
    // Flags whose file form is elsewhere, as the README says.
    let elsewhere = [
        ("scenario", "[contracts.NAME] scenario"),
        ("path", "[contracts.NAME] path"),
        ("override", "[contracts.NAME] override"),
        ("only", "[contracts.NAME] enabled"),
        ("without", "[contracts.NAME] enabled"),
        ("user", "[[user]] tables"),
        ("no-admin", "admin = false"),
        ("no-default-origins", "default-origins = false"),
        ("config", "none: `--print-config` shows"),
        ("contracts", "contracts-dir = ["),
        ("print-config", "none: `--print-config` shows"),
    ];
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README");
    let mut checked = 0;
    for arg in session_mock::MockArgs::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if ["help", "version"].contains(&long) {
            continue;
        }
        let variable = format!("SESSION_MOCK_{}", long.to_uppercase().replace('-', "_"));
        if long == "print-config" {
            assert!(arg.get_env().is_none());
        } else {
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()),
                Some(variable.as_str()),
                "--{long}"
            );
        }
        match elsewhere.iter().find(|(flag, _)| *flag == long) {
            Some((_, place)) => assert!(
                readme.contains(&format!("`--{long}`")) && readme.contains(place),
                "the README says where --{long} goes in the file ({place})"
            ),
            None => {
                // The key is known: any error is about its value, not its name.
                let parsed = toml::from_str::<session_mock::FileConfig>(&format!("{long} = 1"));
                if let Err(error) = parsed {
                    assert!(
                        !error.to_string().contains("unknown field"),
                        "{long}: {error}"
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 30, "{checked} flags");
}

/// `mock.example.toml` at the repository's root holds every key, and loads.
#[test]
fn the_example_config_loads_and_names_every_file_key() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../mock.example.toml");
    let file = session_mock::FileConfig::load(std::path::Path::new(path)).expect("loads");
    let config = session_mock::MockConfig::from_sources(&session_mock::MockArgs::default(), file)
        .expect("valid");
    assert_eq!(config.users.len(), 2);
    assert_eq!(
        config.mounts.len(),
        session_schemas::Registry::builtin().contracts().len()
    );
    assert!(session_mock::app(config).is_ok());
    // Every key the effective configuration prints is in the example
    // (commented out where it has no useful default).
    let text = std::fs::read_to_string(path).expect("read");
    let printed = crate::util::config(&[
        "--clock",
        "2026-01-01T00:00:00Z",
        "--state",
        "x.json",
        "--session-lifetime",
        "1h",
    ])
    .to_toml();
    for line in printed.lines() {
        let Some((key, _)) = line.split_once(" = ") else {
            continue;
        };
        assert!(
            text.contains(&format!("{key} = ")),
            "{key} missing from mock.example.toml"
        );
    }
}
