//! Random flag values and targets files for `check`: the binary always exits
//! 2 with a message naming the problem (or, for values that happen to be
//! fine, the unreachable target), before sending anything; never a panic.

use assert_cmd::cargo::cargo_bin_cmd;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Nothing listens on port 1: a run that gets past its checks stops there.
const CLOSED: &str = "http://127.0.0.1:1";

fn runner(cases: u32, seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// Runs `check` with `args`; asserts exit 2, an `error:` line, no panic, and
/// that the message contains one of `names`.
fn exits_2_naming(args: &[String], names: &[&str]) -> Result<(), TestCaseError> {
    let output = cargo_bin_cmd!("session-conformance")
        .env_remove("SESSION_TOKEN")
        .env_remove("SESSION_COOKIE")
        .env_remove("SESSION_REVOKED_TOKEN")
        .env_remove("SESSION_REVOKED_COOKIE")
        .env("FUZZ_TOKEN", "a-token-from-the-environment")
        .arg("check")
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    prop_assert_eq!(output.status.code(), Some(2), "{:?}\n{}", args, stderr);
    prop_assert!(!stderr.contains("panicked"), "{}", stderr);
    prop_assert!(stderr.starts_with("error"), "{}", stderr);
    prop_assert!(
        names.iter().any(|n| stderr.contains(n)),
        "none of {:?} in\n{}",
        names,
        stderr
    );
    Ok(())
}

/// Text a person might type, or garbage.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,22}(\\.[0-9]{0,3})?",
        "[0-9]{1,6}(ms|s|m|h|KiB|MiB|GiB|B|x|)",
        "[a-z,=-]{0,16}",
        "[ -~]{0,24}",
        Just(String::new()),
        Just("json=/nonexistent/dir/r.json".to_owned()),
        Just("junit=".to_owned()),
        Just("all,-nope".to_owned()),
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("18446744073709551616".to_owned()),
    ]
}

#[test]
fn any_flag_value_exits_2_naming_the_flag_or_the_target() {
    let flags = prop::sample::select(vec![
        "--cases",
        "--seed",
        "--concurrency",
        "--rate-limit",
        "--timeout",
        "--max-body",
        "--max-response-time",
        "--clock-skew",
        "--checks",
        "--max-shrink",
        "--report",
        "--path",
        "--token",
        "--format",
        "--color",
    ]);
    runner(64, 5)
        .run(&(flags, value()), |(flag, value)| {
            // `--flag=value`, so that a value starting with `-` is the flag's.
            let args: Vec<String> = ["--contract", "session-api", "--base-url", CLOSED]
                .iter()
                .map(|s| (*s).to_owned())
                .chain([format!("{flag}={value}")])
                .collect();
            let bare = flag.trim_start_matches('-');
            exits_2_naming(&args, &[flag, bare, "cannot reach"])
        })
        .unwrap();
}

/// A targets file with one defect among valid tables.
fn defective_targets() -> impl Strategy<Value = (String, String)> {
    let valid = "[[target]]\ncontract = \"session-api\"\nbase-url = \"http://127.0.0.1:1\"\ntoken-env = \"FUZZ_TOKEN\"\n";
    let defect = prop_oneof![
        (
            prop::sample::select(vec!["contract", "base-url", "path", "token-env", "name", "cookie-name"]),
            prop::sample::select(vec!["3", "[1]", "{ a = 1 }", "true", "1.5"]),
        )
            .prop_map(|(key, value)| (
                format!("[[target]]\ncontract = \"authjs\"\nbase-url = \"http://127.0.0.1:1\"\n{key} = {value}\n")
                    .replace(&format!("{key} = \"authjs\"\n"), "")
                    .replace(&format!("{key} = \"http://127.0.0.1:1\"\n"), ""),
                key.to_owned()
            )),
        "[a-z][a-z-]{2,12}"
            .prop_filter("unknown", |k| !["contract", "base-url", "path", "token-env", "cookie-env", "name", "cookie-name", "revoked-token-env", "revoked-cookie-env"].contains(&k.as_str()))
            .prop_map(|key| (format!("[[target]]\ncontract = \"authjs\"\nbase-url = \"http://127.0.0.1:1\"\n{key} = \"x\"\n"), key)),
        prop::sample::select(vec![
            ("[[target]]\nbase-url = \"http://127.0.0.1:1\"\n", "contract"),
            ("[[target]]\ncontract = \"authjs\"\n", "base-url"),
            ("[[target]]\ncontract = \"sessions\"\nbase-url = \"http://127.0.0.1:1\"\n", "sessions"),
            ("[[target]]\ncontract = \"authjs\"\nbase-url = \"ftp://127.0.0.1:1\"\n", "ftp"),
            ("[[target]]\ncontract = \"authjs\"\nbase-url = \"http://127.0.0.1:1\"\npath = \"no-slash\"\n", "no-slash"),
            ("[[target]]\ncontract = \"session-api\"\nbase-url = \"http://127.0.0.1:1\"\ntoken-env = \"FUZZ_UNSET_VAR\"\n", "FUZZ_UNSET_VAR"),
            ("[[target]]\ncontract = \"session-api\"\nbase-url = \"http://127.0.0.1:1\"\ntoken = \"literal\"\n", "token"),
            ("[target]\ncontract = \"session-api\"\n", "target"),
        ])
        .prop_map(|(text, names)| (text.to_owned(), names.to_owned())),
        "[\\[\\]=\"{ ]{1,8}[a-z]{0,6}".prop_map(|text| (text, "line".to_owned())),
    ];
    (proptest::bool::ANY, defect).prop_map(move |(lead, (text, names))| {
        let text = if lead {
            format!("{valid}\n{text}")
        } else {
            text
        };
        (text, names)
    })
}

#[test]
fn any_defective_targets_file_exits_2_naming_the_problem() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-fuzzed-targets.toml", std::process::id()));
    runner(64, 9)
        .run(&defective_targets(), |(text, names)| {
            std::fs::write(&path, &text).unwrap();
            let args = vec!["--config".to_owned(), path.display().to_string()];
            exits_2_naming(&args, &[&names])
        })
        .unwrap();
    std::fs::write(&path, "").unwrap();
    exits_2_naming(
        &["--config".to_owned(), path.display().to_string()],
        &["no [[target]]"],
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"/nonexistent/\xff\xfe.toml");
        let output = cargo_bin_cmd!("session-conformance")
            .arg("check")
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
