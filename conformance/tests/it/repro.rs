//! The `curl` reproductions say exactly what was sent: each generated case's
//! command is run by bash with `curl` replaced by a function that prints its
//! arguments, and the headers it would send are compared byte for byte with
//! the ones the runner sent. Credentials come from the environment.

use std::process::Command;

use session_conformance::run::generate;
use session_conformance::secret::Secret;
use session_conformance::wire::Wire;

use crate::backend::Api;
use crate::util::target;

/// A token with every character that shell quoting could get wrong.
const NASTY: &str = "a'b\"c$d`e\\f!g*h?i~j#k%l&m(n)o|p;q<r>s{t}u";

#[test]
fn each_reproduction_sends_the_same_headers() {
    for (api, var) in [
        (Api::SessionApi, "SESSION_TOKEN"),
        (Api::Authjs, "SESSION_COOKIE"),
    ] {
        let mut target = target(api, "http://127.0.0.1:9");
        let valid = if api == Api::SessionApi {
            NASTY
        } else {
            "abc.DEF-123_xyz~789"
        };
        target.credential = Some(Secret::new(valid, var));
        let revoked_var = format!("SESSION_REVOKED_{}", &var[8..]);
        target.revoked = Some(Secret::new("revoked-token-42", &revoked_var));
        for case in generate(&target, 99, 200) {
            let wire = Wire::build(&case, &target);
            let script = format!(
                "curl() {{ for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }}; {}",
                wire.curl(&target)
            );
            let output = Command::new("bash")
                .args(["-c", &script])
                .env(var, valid)
                .env(&revoked_var, "revoked-token-42")
                .env("LC_ALL", "C")
                .output()
                .expect("bash");
            assert!(output.status.success(), "{script}");
            let args: Vec<&[u8]> = output.stdout.split(|b| *b == 0).collect();
            let sent: Vec<Vec<u8>> = wire
                .header_bytes(&target)
                .map(|(name, value)| {
                    let mut line = format!("{name}: ").into_bytes();
                    line.extend(value);
                    line
                })
                .collect();
            let printed: Vec<Vec<u8>> = args
                .windows(2)
                .filter(|w| w[0] == b"-H")
                .map(|w| {
                    // `name;` is curl's spelling of an empty header.
                    match w[1].strip_suffix(b";") {
                        Some(name) if !w[1].contains(&b':') => [name, b": "].concat(),
                        _ => w[1].to_vec(),
                    }
                })
                .collect();
            assert_eq!(printed, sent, "case {case}: {}", wire.curl(&target));
            assert!(args.contains(&wire.url.as_bytes()), "{script}");
            assert!(
                !wire.curl(&target).contains(valid),
                "the secret is in the command"
            );
        }
    }
}
