//! The README is a promise: every command in its `sh` blocks is run here as
//! written, in order, from a copy of a fresh clone's root (every file git
//! tracks, nothing prepared), against the built binaries, or excused with the reason
//! (a backend of yours, a secret of yours, the build that runs this test).
//! `session-mock ...` lines start the mock (on a free port: the only
//! change, made through `SESSION_MOCK_PORT`) and the `curl` lines after them
//! talk to it; everything else runs with `sh -c` and must exit 0.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const README: &str = include_str!("../README.md");

/// A command of the README, with the line it starts on.
#[derive(Debug)]
struct Line {
    number: usize,
    text: String,
}

/// The commands of every `sh` block, `\` continuations joined, comment-only
/// and blank lines left out.
fn commands() -> Vec<Line> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending: Option<Line> = None;
    for (i, raw) in README.lines().enumerate() {
        if raw.starts_with("```") {
            in_sh = raw == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let trimmed = raw.trim();
        if let Some(mut line) = pending.take() {
            line.text.push(' ');
            line.text
                .push_str(trimmed.trim_end_matches('\\').trim_end());
            if trimmed.ends_with('\\') {
                pending = Some(line);
            } else {
                out.push(line);
            }
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line = Line {
            number: i + 1,
            text: trimmed.trim_end_matches('\\').trim_end().to_owned(),
        };
        if trimmed.ends_with('\\') {
            pending = Some(line);
        } else {
            out.push(line);
        }
    }
    out
}

/// What the test does with a command.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Start the mock with these arguments (a shell word list).
    Mock(String),
    /// Run with `sh -c`; must exit 0.
    Shell,
    /// `TOKEN=sms1....`: the token the previous command printed.
    TokenFromPrevious,
    Excused(&'static str),
}

fn plan(command: &str) -> Plan {
    const BUILD_AND_START: &str = "cargo build --release --locked -p session-mock -p session-conformance && target/release/session-mock";
    if command == BUILD_AND_START {
        // The build is the one this test runs in (debug here); the start is checked.
        return Plan::Mock(String::new());
    }
    if let Some(args) = command.strip_prefix("session-mock") {
        let args = strip_comment(args).trim();
        // These print and exit; the rest start a server.
        if ["--help", "--version", "--print-config", "mint"]
            .iter()
            .any(|flag| args.split(' ').any(|a| a == *flag))
        {
            return Plan::Shell;
        }
        return Plan::Mock(args.to_owned());
    }
    if command.starts_with("TOKEN=sms1....") {
        return Plan::TokenFromPrevious;
    }
    if command == "cargo test --workspace --locked" {
        return Plan::Excused("the command that runs this test");
    }
    if command.starts_with("export PATH=") {
        return Plan::Excused("the test puts the built binaries first on PATH itself");
    }
    if command.starts_with("MOCK_AUTH=1 npm run dev") {
        return Plan::Excused("starts your own Next.js app");
    }
    if command.starts_with("export SESSION_") {
        return Plan::Excused("a secret of yours");
    }
    if ["npx ", "schemathesis "]
        .iter()
        .any(|tool| command.starts_with(tool))
    {
        return Plan::Excused(
            "a third-party tool (Prism, Schemathesis, openapi-typescript); the export they read is checked by conformance/tests/it/openapi.rs",
        );
    }
    if ["127.0.0.1:8080", "127.0.0.1:3000", "staging.example.com"]
        .iter()
        .any(|backend| command.contains(backend))
    {
        return Plan::Excused("checks a backend of yours");
    }
    Plan::Shell
}

fn strip_comment(text: &str) -> &str {
    match text.find(" #") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// The directory holding the built `session-mock` and `session-conformance`,
/// building them if this test runs alone.
fn binaries() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_owned();
    let built = |name: &str| {
        dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
            .exists()
    };
    if !built("session-mock") || !built("session-conformance") {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "session-mock", "-p", "session-conformance"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build");
        assert!(status.success(), "building the binaries failed");
    }
    dir
}

/// Copies every file git tracks below `from` (working-tree contents) to `to`.
fn clone_tree(from: &Path, to: &Path) {
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(from)
        .output()
        .expect("git ls-files");
    assert!(listed.status.success(), "git ls-files failed");
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).expect("utf-8 path");
        let target = to.join(name);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        // A file deleted but not yet committed is not in the clone either.
        if from.join(name).is_file() {
            std::fs::copy(from.join(name), &target).expect("copy");
        }
    }
}

/// A running mock, stopped when dropped.
struct Mock {
    child: Child,
    port: u16,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_mock(bin: &Path, work: &Path, args: &str, line: &Line) -> Mock {
    let words = shell_words(args);
    let mut child = Command::new(bin.join("session-mock"))
        .args(&words)
        .current_dir(work)
        .env("SESSION_MOCK_PORT", "0")
        .env_remove("SESSION_MOCK_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start session-mock");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = text.split("listening on http://127.0.0.1:").nth(1) {
                let port = rest
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap_or("");
                let _ = sender.send(port.parse::<u16>().ok());
            }
        }
    });
    let port = receiver
        .recv_timeout(Duration::from_secs(20))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("README line {}: `{}` did not start", line.number, line.text));
    Mock { child, port }
}

/// Splits flags the way a shell would for the README's simple lines.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Runs one command with `sh -c`: its standard output, or why it failed.
fn run_shell(command: &str, work: &Path, path: &str, token: &str) -> Result<String, String> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(work)
        .env("PATH", path)
        .env("TOKEN", token)
        .output()
        .map_err(|e| format!("could not run: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "exited {:?}\nstdout: {}\nstderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn a_readme_command_that_fails_fails_the_test() {
    let bin = binaries();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let error = run_shell(
        "session-conformance validate -c no-such-contract x.json",
        here,
        &path,
        "",
    )
    .expect_err("an unknown contract is refused");
    assert!(error.contains("exited Some(2)"), "{error}");
    assert!(run_shell("session-conformance contracts", here, &path, "").is_ok());
}

#[test]
fn every_readme_command_runs_as_written_or_is_excused() {
    let bin = binaries();
    let work = std::env::temp_dir().join(format!("readme-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work dir");
    // A fresh clone's root, as a user has it: every file git tracks, as it
    // is in the working tree, and nothing else.
    clone_tree(Path::new(env!("CARGO_MANIFEST_DIR")), &work);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut mock: Option<Mock> = None;
    let mut previous_output = String::new();
    let mut token = String::new();
    let (mut ran, mut excused) = (0, Vec::new());
    for line in commands() {
        match plan(&line.text) {
            Plan::Mock(args) => {
                drop(mock.take());
                mock = Some(start_mock(&bin, &work, &args, &line));
                ran += 1;
            }
            Plan::TokenFromPrevious => {
                let printed: serde_json::Value = serde_json::from_str(&previous_output)
                    .unwrap_or_else(|e| panic!("README line {}: the previous command printed no JSON ({e}): {previous_output}", line.number));
                token = printed["token"].as_str().expect("a token").to_owned();
                ran += 1;
            }
            Plan::Excused(why) => excused.push((line.number, line.text.clone(), why)),
            Plan::Shell => {
                let port = mock.as_ref().map_or(4010, |m| m.port);
                let command = line
                    .text
                    .replace("127.0.0.1:4010", &format!("127.0.0.1:{port}"));
                previous_output = run_shell(&command, &work, &path, &token)
                    .unwrap_or_else(|e| panic!("README line {}: `{}` {e}", line.number, line.text));
                ran += 1;
            }
        }
    }
    drop(mock);
    let _ = std::fs::remove_dir_all(&work);
    // Most commands run; the excused ones are few and named here.
    assert!(ran >= 20, "only {ran} README commands ran");
    for (number, text, why) in &excused {
        eprintln!("README line {number}: excused ({why}): {text}");
    }
    eprintln!("{ran} README commands ran, {} excused", excused.len());
}

#[test]
fn the_harness_reads_continuations_and_knows_a_backend_of_yours() {
    let all = commands();
    assert!(
        all.iter()
            .any(|l| l.text.starts_with("session-conformance check")
                && l.text.contains("--report junit=conformance.xml")),
        "a `\\` continuation is joined"
    );
    assert_eq!(
        plan("session-conformance check --contract authjs --base-url http://127.0.0.1:3000"),
        Plan::Excused("checks a backend of yours")
    );
    assert_eq!(
        plan("curl -i http://127.0.0.1:4010/auth/session"),
        Plan::Shell
    );
    assert_eq!(
        plan("session-mock --scenario 401                 # every contract"),
        Plan::Mock("--scenario 401".to_owned())
    );
}

/// Every file the README links to or shows (`](path)`) is in the repository:
/// the control page's screenshot, the docs, the sources.
#[test]
fn every_file_the_readme_links_to_exists() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let targets: Vec<&str> = README
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| !target.contains("://") && !target.starts_with('#'))
        .collect();
    assert!(
        targets.contains(&"docs/control-page.png"),
        "the screenshot is linked: {targets:?}"
    );
    let missing: Vec<&&str> = targets
        .iter()
        .filter(|target| {
            !here
                .join(target.split('#').next().unwrap_or(target))
                .exists()
        })
        .collect();
    assert!(
        missing.is_empty(),
        "the README links to missing files: {missing:?}"
    );
}

/// The Rust the README asks for is the workspace's `rust-version`, the one
/// `.ci/run` checks the workspace with.
#[test]
fn the_rust_the_readme_names_is_the_workspace_rust_version() {
    let manifest = include_str!("../Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("the workspace has a rust-version");
    let prose = README.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        prose.contains(&format!("You need Rust {version} or newer")),
        "the README names another Rust than rust-version {version}"
    );
    assert!(
        include_str!("../.ci/run").contains("cargo \"+$msrv\" check --workspace"),
        ".ci/run no longer checks the rust-version"
    );
}

/// docs/ci.md's recipes: the readiness wait they all use fails the step
/// when the mock never answers and passes once it serves (run here, on a
/// free port); every install names the pinned revision and every cache key
/// changes with it; the project's own workflow runs `.ci/run`.
#[test]
fn the_ci_recipes_wait_for_the_mock_for_real_and_pin_what_they_cache() {
    let recipes = include_str!("../docs/ci.md");
    let wait = recipes
        .lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("- ").or(Some(l)))
        .find(|l| {
            l.starts_with("timeout 10 sh -c 'until curl -fsS http://127.0.0.1:4010/__mock/health")
        })
        .expect("docs/ci.md waits for /__mock/health")
        .to_owned();
    let waits = recipes
        .matches("/__mock/health >/dev/null; do sleep")
        .count();
    assert!(waits >= 3, "every recipe waits the same way ({waits})");
    assert!(
        !recipes.contains("$(seq"),
        "a for loop that ends without break exits 0"
    );
    let installs: Vec<&str> = recipes
        .lines()
        .filter(|l| l.contains("cargo install"))
        .collect();
    assert!(installs.len() >= 6, "{installs:#?}");
    for line in &installs {
        assert!(line.contains("--rev"), "unpinned install: {line}");
    }
    for line in recipes
        .lines()
        .filter(|l| l.trim_start().starts_with("key:"))
    {
        assert!(
            line.contains("TOOLS_REV"),
            "a cache key that never changes: {line}"
        );
    }
    assert!(
        !recipes.contains("CARGO_HOME"),
        "GitLab's rust:1 PATH misses a moved CARGO_HOME"
    );
    let workflow = include_str!("../.github/workflows/ci.yml");
    assert!(workflow.contains("run: CI=true bash .ci/run"), "{workflow}");

    // The wait itself, as written, against no mock and against one.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var("PATH").unwrap_or_default();
    let command = wait
        .replace("127.0.0.1:4010", &format!("127.0.0.1:{port}"))
        .replace("timeout 10 ", "timeout 2 ");
    assert!(
        run_shell(&command, here, &path, "").is_err(),
        "the wait passed with no mock: {command}"
    );
    let line = Line {
        number: 0,
        text: "docs/ci.md".into(),
    };
    let bin = binaries();
    let mock = start_mock(&bin, here, "--auth", &line);
    let command = wait.replace("127.0.0.1:4010", &format!("127.0.0.1:{}", mock.port));
    run_shell(&command, here, &path, "").expect("the wait passes once the mock serves");
    drop(mock);
}
