//! Signing in by itself, as a browser would: Auth.js's credentials flow
//! (CSRF token, form post, the flow's cookies kept, chunked session cookies
//! joined) or a command the user gives; replaying a credential; signing out.
//! The lifecycle checks' [`Journey`](crate::journey::Journey) is made of
//! these steps.
//!
//! Nothing here prints a credential: every text taken from an answer goes
//! through the redactor.

use std::process::Stdio;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use serde_json::Value;
use session_schemas::judge::excerpt;
use session_schemas::{Auth, authjs};
use tokio::io::AsyncReadExt;

use crate::error::CliError;
use crate::exec::{Executor, Reply};
use crate::secret::{Redactor, Secret};
use crate::target::{AuthJsLogin, Carrier, SignIn, Target};

/// The variable a sign-out command finds the credential in.
pub const CREDENTIAL_VAR: &str = "SESSION_CREDENTIAL";

/// Output of a sign-in command read at most (a credential is far smaller).
const MAX_COMMAND_OUTPUT: u64 = 64 * 1024;

/// A credential a sign-in produced, with what the flow keeps for sign-out.
#[derive(Debug, Clone)]
pub struct Issued {
    pub value: String,
    /// The session cookie's name as the server set it (Auth.js).
    pub cookie_name: Option<String>,
    /// Other cookies of the flow (the CSRF cookie, the callback URL).
    jar: Vec<(String, String)>,
}

/// How a replayed credential was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub status: u16,
    /// The answer claims an authenticated session.
    pub session: bool,
}

impl std::fmt::Display for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.status,
            if self.session {
                "with a session"
            } else {
                "without a session"
            }
        )
    }
}

/// Signs in, replays, signs out: the runner's side of the session's life
/// against one target.
#[derive(Debug)]
pub struct Browser<'a> {
    pub target: &'a Target,
    pub executor: &'a Executor,
    pub redactor: &'a Redactor,
    pub timeout: Duration,
}

impl Browser<'_> {
    /// Signs in once. With `present`, the request carries that credential
    /// too (what a browser that already holds a session sends).
    pub async fn sign_in(
        &self,
        how: &SignIn,
        present: Option<&Issued>,
        with_csrf: bool,
    ) -> Result<Issued, String> {
        match how {
            SignIn::AuthJs(login) => match self.authjs_sign_in(login, present, with_csrf).await? {
                (Some(issued), _) => Ok(issued),
                (None, answer) => Err(format!(
                    "POST {}/{} answered {answer}{}",
                    login.base,
                    authjs::route::CALLBACK_CREDENTIALS,
                    if answer.contains(&format!(
                        "{}={}",
                        authjs::field::ERROR,
                        authjs::error::CREDENTIALS_SIGN_IN
                    )) {
                        format!(
                            ": the server refused the user or the password (${} / ${})",
                            login.user.var(),
                            login.password.var()
                        )
                    } else if answer.contains(&format!(
                        "{}={}",
                        authjs::field::ERROR,
                        authjs::error::MISSING_CSRF
                    )) {
                        ": the server did not accept the CSRF token and cookie from csrf".to_owned()
                    } else {
                        String::new()
                    }
                )),
            },
            SignIn::Command { sign_in, .. } => {
                let output = self
                    .command(sign_in, present.map(|p| p.value.as_str()))
                    .await?;
                let value = output.trim();
                if value.is_empty() || value.contains('\n') {
                    return Err(format!(
                        "the sign-in command printed {}; it must print one credential on one line",
                        if value.is_empty() {
                            "nothing".to_owned()
                        } else {
                            format!("{} lines", value.lines().count())
                        }
                    ));
                }
                let (cookie_name, value) = match (&self.target.carrier, value.split_once('=')) {
                    (Carrier::Cookie { .. }, Some((name, v))) if !name.contains(' ') => {
                        (Some(name.to_owned()), v.to_owned())
                    }
                    _ => (
                        None,
                        value.strip_prefix("Bearer ").unwrap_or(value).to_owned(),
                    ),
                };
                Ok(Issued {
                    value,
                    cookie_name,
                    jar: Vec::new(),
                })
            }
        }
    }

    /// Ends a session; for Auth.js, whether the answer told the client to
    /// drop the session cookie.
    pub async fn sign_out(
        &self,
        how: &SignIn,
        issued: &Issued,
        with_csrf: bool,
    ) -> Result<bool, String> {
        match how {
            SignIn::AuthJs(login) => self.authjs_sign_out(login, issued, with_csrf).await,
            SignIn::Command { sign_out, .. } => {
                let Some(command) = sign_out else {
                    return Err("no --sign-out-cmd".to_owned());
                };
                self.command(command, Some(&issued.value)).await?;
                Ok(true)
            }
        }
    }

    /// A plain session read with `credential`: does it get a session?
    pub async fn replay(
        &self,
        credential: &str,
        cookie_name: Option<&str>,
    ) -> Result<Replay, String> {
        let mut request = self.executor.client().get(self.target.url());
        request = match &self.target.carrier {
            Carrier::Bearer => request.header(AUTHORIZATION, format!("Bearer {credential}")),
            Carrier::Cookie { name } => request.header(
                COOKIE,
                format!("{}={credential}", cookie_name.unwrap_or(name)),
            ),
        };
        let reply = self
            .executor
            .fetch(request)
            .await
            .map_err(|e| format!("the session read got no answer: {e}"))?;
        let session = serde_json::from_slice::<Value>(&reply.body)
            .is_ok_and(|b| self.target.contract.claims_session(reply.status, &b));
        Ok(Replay {
            status: reply.status,
            session,
        })
    }

    /// A session read with a credential a sign-in issued, under its cookie name.
    pub(crate) async fn replay_issued(&self, issued: &Issued) -> Result<Replay, String> {
        self.replay(&issued.value, issued.cookie_name.as_deref())
            .await
    }

    fn origin(&self) -> &str {
        &self.target.base_url
    }

    /// Auth.js's credentials flow. Returns the session credential, if one
    /// was set, and the answer in words (redacted).
    pub(crate) async fn authjs_sign_in(
        &self,
        login: &AuthJsLogin,
        present: Option<&Issued>,
        with_csrf: bool,
    ) -> Result<(Option<Issued>, String), String> {
        let (token, mut jar) = self.csrf(login, present).await?;
        let mut form = Vec::new();
        if with_csrf {
            form.push((authjs::field::CSRF_TOKEN, token.as_str()));
        }
        let callback = format!("{}/", self.origin());
        form.extend([
            (login.user_field.as_str(), login.user.expose()),
            (authjs::field::PASSWORD, login.password.expose()),
            (authjs::field::CALLBACK_URL, callback.as_str()),
            (authjs::field::JSON, "true"),
        ]);
        let mut cookies = jar.clone();
        if let Some(present) = present {
            cookies.push(self.session_cookie(present));
        }
        let url = format!(
            "{}{}/{}",
            self.origin(),
            login.base,
            authjs::route::CALLBACK_CREDENTIALS
        );
        let reply = self.post_form(&url, &form, &cookies).await?;
        let set = set_cookies(&reply.headers);
        let answer = self.answer_words(&reply, &set);
        let session = self.session_from(&set);
        self.keep_cookies(&mut jar, set);
        let issued = session.map(|(cookie_name, value)| Issued {
            value,
            cookie_name: Some(cookie_name),
            jar,
        });
        if issued.is_some() && redirect_error(&reply).is_some() {
            return Ok((
                None,
                format!("{answer}: an error redirect that set a session cookie"),
            ));
        }
        Ok((issued, answer))
    }

    async fn authjs_sign_out(
        &self,
        login: &AuthJsLogin,
        issued: &Issued,
        with_csrf: bool,
    ) -> Result<bool, String> {
        let (token, _) = self.csrf(login, Some(issued)).await?;
        let callback = format!("{}/", self.origin());
        let mut form = vec![(authjs::field::CALLBACK_URL, callback.as_str())];
        if with_csrf {
            form.insert(0, (authjs::field::CSRF_TOKEN, token.as_str()));
        }
        let url = format!(
            "{}{}/{}",
            self.origin(),
            login.base,
            authjs::route::SIGN_OUT
        );
        let reply = self
            .post_form(&url, &form, &self.cookies_of(issued))
            .await?;
        if reply.status >= 400 {
            return Err(format!(
                "POST {}/{} got {}",
                login.base,
                authjs::route::SIGN_OUT,
                self.answer_words(&reply, &[])
            ));
        }
        Ok(set_cookies(&reply.headers)
            .iter()
            .any(|(name, _, cleared)| *cleared && self.is_session_cookie(name)))
    }

    /// `GET <base>/csrf`: the token, and the cookies it set (the CSRF cookie).
    async fn csrf(
        &self,
        login: &AuthJsLogin,
        present: Option<&Issued>,
    ) -> Result<(String, Vec<(String, String)>), String> {
        let mut request = self.executor.client().get(format!(
            "{}{}/{}",
            self.origin(),
            login.base,
            authjs::route::CSRF
        ));
        if let Some(present) = present {
            request = request.header(COOKIE, cookie_header(&self.cookies_of(present)));
        }
        let reply = self.executor.fetch(request).await.map_err(|e| {
            format!(
                "GET {}/{} got no answer: {e}",
                login.base,
                authjs::route::CSRF
            )
        })?;
        let token = serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .and_then(|b| {
                b.get(authjs::field::CSRF_TOKEN)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        let Some(token) = token.filter(|_| reply.status == 200) else {
            return Err(format!(
                "GET {}/{} got {}, not 200 with {{\"{}\"}}: is this an Auth.js server, \
                 and is --path its session route?",
                login.base,
                authjs::route::CSRF,
                self.answer_words(&reply, &[]),
                authjs::field::CSRF_TOKEN,
            ));
        };
        let mut jar: Vec<(String, String)> = present.map(|p| p.jar.clone()).unwrap_or_default();
        self.keep_cookies(&mut jar, set_cookies(&reply.headers));
        Ok((token, jar))
    }

    async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        cookies: &[(String, String)],
    ) -> Result<Reply, String> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = self
            .executor
            .client()
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(authjs::field::RETURN_REDIRECT_HEADER, "1")
            .body(body);
        if !cookies.is_empty() {
            request = request.header(COOKIE, cookie_header(cookies));
        }
        let path = url.strip_prefix(self.origin()).unwrap_or(url);
        self.executor
            .fetch(request)
            .await
            .map_err(|e| format!("POST {path} got no answer: {e}"))
    }

    /// What a browser holding `issued` sends: the flow's cookies and the
    /// session cookie.
    fn cookies_of(&self, issued: &Issued) -> Vec<(String, String)> {
        let mut cookies = issued.jar.clone();
        cookies.push(self.session_cookie(issued));
        cookies
    }

    /// The flow's cookies (not the session's) after an answer set `set`, as
    /// a browser keeps them: a new value replaces the old, a cleared one goes.
    fn keep_cookies(&self, jar: &mut Vec<(String, String)>, set: Vec<(String, String, bool)>) {
        for (name, value, cleared) in set {
            if self.is_session_cookie(&name) {
                continue;
            }
            jar.retain(|(n, _)| *n != name);
            if !cleared {
                jar.push((name, value));
            }
        }
    }

    /// The cookie that carries `issued` (its chunks joined, as Auth.js reads them).
    fn session_cookie(&self, issued: &Issued) -> (String, String) {
        let name = issued
            .cookie_name
            .clone()
            .unwrap_or_else(|| match &self.target.carrier {
                Carrier::Cookie { name } => name.clone(),
                Carrier::Bearer => String::new(),
            });
        (name, issued.value.clone())
    }

    /// A session cookie's name, or one of its chunks' (`name.0`, `name.1`).
    fn is_session_cookie(&self, name: &str) -> bool {
        let base = chunk_base(name);
        let carrier = match &self.target.carrier {
            Carrier::Cookie { name } => Some(name.as_str()),
            Carrier::Bearer => None,
        };
        carrier == Some(base)
            || match &self.target.contract.auth {
                Auth::Cookie { names } => names.iter().any(|n| n == base),
                Auth::Bearer => false,
            }
            || base.ends_with(authjs::cookie::SESSION_TOKEN_SUFFIX)
    }

    /// The session cookie among the set ones, chunks joined in order.
    fn session_from(&self, set: &[(String, String, bool)]) -> Option<(String, String)> {
        let mut parts: Vec<(&str, usize, &str)> = set
            .iter()
            .filter(|(name, _, cleared)| !cleared && self.is_session_cookie(name))
            .map(|(name, value, _)| {
                let base = chunk_base(name);
                let index = name
                    .get(base.len() + 1..)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                (base, index, value.as_str())
            })
            .collect();
        let base = parts.first()?.0;
        parts.retain(|(b, _, _)| *b == base);
        parts.sort_by_key(|(_, i, _)| *i);
        Some((base.to_owned(), parts.iter().map(|(_, _, v)| *v).collect()))
    }

    /// An answer in words for reports: status, where it points, what it set.
    fn answer_words(&self, reply: &Reply, set: &[(String, String, bool)]) -> String {
        let mut words = reply.status.to_string();
        if let Some(url) = redirect_target(reply) {
            words.push_str(&format!(" to {}", self.redactor.redact(&url)));
        } else if !reply.body.is_empty() {
            words.push_str(&format!(" {}", excerpt(self.redactor, &reply.body)));
        }
        let names: Vec<&str> = set
            .iter()
            .filter(|(_, _, cleared)| !cleared)
            .map(|(n, _, _)| n.as_str())
            .collect();
        if names.is_empty() {
            words.push_str(", no cookie set");
        } else {
            words.push_str(&format!(", set {}", names.join(", ")));
        }
        words
    }

    /// Runs a user's command with `sh -c`; the credential, if any, only in
    /// the environment. Its standard output, bounded.
    async fn command(&self, command: &str, credential: Option<&str>) -> Result<String, String> {
        let mut process = tokio::process::Command::new("sh");
        process
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("SESSION_BASE_URL", &self.target.base_url)
            .kill_on_drop(true);
        if let Some(credential) = credential {
            process.env(CREDENTIAL_VAR, credential);
        }
        let mut child = process
            .spawn()
            .map_err(|e| format!("cannot run `sh -c {command:?}`: {e}"))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err("the command's output could not be read".to_owned());
        };
        let read = async {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let mut stdout = stdout.take(MAX_COMMAND_OUTPUT);
            let mut stderr = stderr.take(MAX_COMMAND_OUTPUT);
            let (a, b) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
            a.and(b).map(|_| (out, err))
        };
        let limit = self.timeout.max(Duration::from_secs(30));
        let (out, err) = match tokio::time::timeout(limit, read).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(format!("reading the command's output failed: {e}")),
            Err(_) => {
                return Err(format!(
                    "the command `{command}` did not finish within {limit:?}"
                ));
            }
        };
        let status = tokio::time::timeout(limit, child.wait())
            .await
            .map_err(|_| format!("the command `{command}` did not finish within {limit:?}"))?
            .map_err(|e| format!("the command `{command}` failed: {e}"))?;
        if !status.success() {
            let said = String::from_utf8_lossy(&err);
            return Err(format!(
                "the command `{command}` exited with {status}{}",
                if said.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", self.redactor.redact(said.trim()))
                }
            ));
        }
        String::from_utf8(out).map_err(|_| "the command printed text that is not UTF-8".to_owned())
    }

    /// The target, signed in: its valid credential is a fresh one.
    pub async fn establish(&self, how: &SignIn) -> Result<(Target, Issued), CliError> {
        let issued = self.sign_in(how, None, true).await.map_err(|why| {
            CliError::Target(format!(
                "{} ({}): sign-in failed: {why}",
                self.target.base_url, self.target.name
            ))
        })?;
        let mut target = self.target.clone();
        let var = target.carrier.var();
        if let (Carrier::Cookie { name }, Some(set)) = (&mut target.carrier, &issued.cookie_name) {
            name.clone_from(set);
        }
        target.credential = Some(Secret::new(issued.value.clone(), var));
        Ok((target, issued))
    }
}

/// `name.3` -> `name`; other names as they are.
fn chunk_base(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    }
}

fn cookie_header(cookies: &[(String, String)]) -> String {
    cookies
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where an answer points: `Location`, or Auth.js's `{"url"}` for a client
/// that sent `X-Auth-Return-Redirect`.
fn redirect_target(reply: &Reply) -> Option<String> {
    if let Some(location) = reply.headers.get(LOCATION).and_then(|v| v.to_str().ok()) {
        return Some(location.to_owned());
    }
    serde_json::from_slice::<Value>(&reply.body)
        .ok()?
        .get(authjs::field::URL)?
        .as_str()
        .map(str::to_owned)
}

/// The `error=` an Auth.js redirect carries, if any.
fn redirect_error(reply: &Reply) -> Option<String> {
    let url = redirect_target(reply)?;
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == authjs::field::ERROR)
        .map(|(_, v)| v.into_owned())
}

/// Every `Set-Cookie` as `(name, value, cleared)`; cleared means the server
/// asked the client to drop it (an empty value, `Max-Age=0`, or an
/// `Expires` in the past).
fn set_cookies(headers: &HeaderMap) -> Vec<(String, String, bool)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|line| {
            let mut parts = line.split(';');
            let (name, value) = parts.next()?.split_once('=')?;
            let (name, value) = (name.trim(), value.trim());
            let cleared = value.is_empty()
                || parts.any(|attribute| {
                    let attribute = attribute.trim();
                    let lower = attribute.to_ascii_lowercase();
                    lower
                        .strip_prefix("max-age=")
                        .is_some_and(|n| n.trim().parse::<i64>().is_ok_and(|n| n <= 0))
                        || lower.strip_prefix("expires=").is_some_and(|date| {
                            httpdate_in_past(attribute.get(8..).unwrap_or(date))
                        })
                });
            Some((name.to_owned(), value.to_owned(), cleared))
        })
        .collect()
}

/// An HTTP date (`Thu, 01 Jan 1970 00:00:00 GMT`) before now.
fn httpdate_in_past(text: &str) -> bool {
    let Ok(format) = time::format_description::parse(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    ) else {
        return false;
    };
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .is_ok_and(|t| t.assume_utc() < time::OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(SET_COOKIE, line.parse().unwrap());
        }
        map
    }

    #[test]
    fn set_cookies_know_a_cleared_one() {
        let set = set_cookies(&headers(&[
            "authjs.session-token=abc; Path=/; HttpOnly",
            "authjs.session-token.0=; Max-Age=0; Path=/",
            "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "c=d; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
            "garbage",
        ]));
        assert_eq!(
            set,
            vec![
                ("authjs.session-token".into(), "abc".into(), false),
                ("authjs.session-token.0".into(), String::new(), true),
                ("a".into(), "b".into(), true),
                ("c".into(), "d".into(), false),
            ]
        );
    }

    #[test]
    fn chunk_names_have_a_base() {
        assert_eq!(chunk_base("authjs.session-token.1"), "authjs.session-token");
        assert_eq!(chunk_base("authjs.session-token"), "authjs.session-token");
        assert_eq!(chunk_base("a.b."), "a.b.");
    }
}
