//! Response bodies: everything that can be computed at startup is.
//!
//! Per scenario: the fixture (with any override merged in, checked against
//! the schema at startup), pre-serialized where it never changes; for a
//! fixture with a recording time, re-rendered at most once a second with its
//! timestamps moved to the present; from the schema's generator in generated
//! mode (seeded, so the same seed and request order give the same bodies).
//! In auth-aware mode, an authenticated body's UUIDs are replaced by ones
//! derived from the credential: the same credential, the same session. A
//! session the mock holds gets the authenticated body with its own values
//! at the pointers the contract's manifest names.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use axum::http::HeaderMap;
use bytes::Bytes;
use serde_json::Value;
use session_schemas::{BodyGenerator, Contract, Mode, Outcome, Scenario, SessionFields, is_uuid};
use time::OffsetDateTime;

use crate::config::{ConfigError, DataMode, Mount, User};
use crate::credentials::{Identity, Keyring};
use crate::memo::Memo;
use crate::store::Session;

/// How many generated bodies are checked at startup against an override.
const OVERRIDE_SAMPLES: usize = 64;
/// Identities whose rendering is cached at once (the cache is emptied when full).
const IDENTITY_CACHE: usize = 4096;
/// Held sessions whose body is cached at once: room for a load test's
/// 10,000 sessions and more (about 0.5 KB each), bounded all the same.
const HELD_CACHE: usize = 65_536;

struct ScenarioBody {
    /// The fixture, override merged in.
    base: Value,
    /// The recording time, when timestamps move with the clock.
    recorded_at: Option<OffsetDateTime>,
    /// Serialized once: frozen mode, or a body without timestamps to move.
    fixed: Option<Bytes>,
    /// `(unix second, value, bytes)` of the last retimed rendering: plain
    /// answers serve the bytes, identities and sessions write their own
    /// values into the value.
    cache: RwLock<(i64, Arc<Value>, Bytes)>,
    /// The same, per identity, in auth-aware mode: a load test with one
    /// credential renders once a second, not once a request.
    identities: Memo<[u8; 32], (i64, Bytes)>,
    generator: Option<BodyGenerator>,
    /// How many bodies the generator has given: the next request gets body
    /// number `drawn` of the seeded stream, without a lock.
    drawn: AtomicU64,
    /// Generated mode: one body per identity or session, drawn once from a
    /// seed of its own, so the same credential keeps the same body.
    stable: Memo<[u8; 32], Value>,
    overrides: Option<Value>,
    /// The response headers this scenario is served with, built once.
    headers: HeaderMap,
}

/// The bodies of one mounted contract.
pub(crate) struct MountBodies {
    data: DataMode,
    scenarios: Vec<ScenarioBody>,
    /// Index of the authenticated scenario, which sessions are rendered from.
    authenticated: usize,
    /// Where a session's values go.
    fields: SessionFields,
    /// JSON pointers of the fields that identify a session (the manifest's
    /// `session.identity`): each credential gets values of its own there.
    identity_paths: Vec<String>,
    /// Each extra example's body and headers.
    examples: Vec<(Bytes, HeaderMap)>,
    /// When the generators' timestamps were placed.
    generated_at: OffsetDateTime,
    /// Held sessions' bodies as last rendered, by session id, with what they
    /// were rendered from: a session read many times a second is rendered
    /// once a second (or when it changes), not once a request.
    held: Memo<String, (Stamp, Bytes)>,
}

/// Everything a held session's body depends on that can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    revision: u64,
    second: i64,
    last_activity_at: i64,
    expires_at: i64,
    state: crate::store::State,
}

impl std::fmt::Debug for MountBodies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MountBodies")
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl MountBodies {
    pub(crate) fn new(
        mount: &Mount,
        data: DataMode,
        seed: u64,
        allow_invalid_override: bool,
        now: OffsetDateTime,
        headers: impl Fn(u16, &str, bool) -> HeaderMap,
    ) -> Result<Self, ConfigError> {
        let contract = mount.contract;
        let authenticated = &contract.outcome(Outcome::Authenticated).name;
        let mut scenarios = Vec::new();
        for (index, scenario) in contract.scenarios.iter().enumerate() {
            let overrides = mount
                .overrides
                .clone()
                .filter(|_| &scenario.name == authenticated);
            let mut base = scenario.body.clone();
            if let Some(patch) = &overrides {
                merge_patch(&mut base, patch);
            }
            let generator = generator_for(contract, scenario, now, seed.wrapping_add(index as u64));
            if let Some(patch) = &overrides
                && !allow_invalid_override
            {
                check_override(
                    mount,
                    scenario,
                    &base,
                    data == DataMode::Generated,
                    patch,
                    now,
                )?;
            }
            let frozen = data == DataMode::Frozen;
            let fixed = if frozen && overrides.is_none() {
                Some(Bytes::from(scenario.text.clone()))
            } else if frozen || scenario.recorded_at.is_none() {
                Some(Bytes::from(serde_json::to_vec(&base).unwrap_or_default()))
            } else {
                None
            };
            scenarios.push(ScenarioBody {
                base,
                recorded_at: scenario.recorded_at,
                fixed,
                cache: RwLock::new((i64::MIN, Arc::new(Value::Null), Bytes::new())),
                identities: Memo::new(IDENTITY_CACHE),
                generator,
                drawn: AtomicU64::new(0),
                stable: Memo::new(IDENTITY_CACHE),
                overrides,
                headers: headers(
                    scenario.status,
                    &scenario.name,
                    scenario.off_contract.is_some(),
                ),
            });
        }
        let examples = contract
            .examples
            .iter()
            .map(|e| {
                (
                    Bytes::from(serde_json::to_vec(&e.body).unwrap_or_default()),
                    headers(e.status, &e.name, false),
                )
            })
            .collect();
        Ok(Self {
            data,
            scenarios,
            authenticated: contract.outcome_index(Outcome::Authenticated),
            fields: contract.session_fields.clone(),
            identity_paths: contract.identity.clone(),
            examples,
            generated_at: now,
            held: Memo::new(HELD_CACHE),
        })
    }

    pub(crate) fn example(&self, index: usize) -> Bytes {
        self.examples
            .get(index)
            .map(|(body, _)| body.clone())
            .unwrap_or_default()
    }

    /// The headers scenario `index` is served with.
    pub(crate) fn scenario_headers(&self, index: usize) -> &HeaderMap {
        &self.scenarios[index].headers
    }

    /// The headers example `index` is served with.
    pub(crate) fn example_headers(&self, index: usize) -> &HeaderMap {
        &self.examples[index].1
    }

    /// The body of scenario `index` for a request at `now`.
    pub(crate) fn scenario(
        &self,
        index: usize,
        now: OffsetDateTime,
        dynamic: bool,
        identity: Option<(&Keyring, &Identity)>,
    ) -> Bytes {
        let Some(body) = self.scenarios.get(index) else {
            return Bytes::new();
        };
        if let (Some(_), Some((_, id)), DataMode::Generated) =
            (&body.generator, identity, self.data)
        {
            let value = self.stable_generated(body, &id.0, now);
            return self.finish(value, identity);
        }
        if let Some(generator) = body
            .generator
            .as_ref()
            .filter(|_| self.data == DataMode::Generated || dynamic)
        {
            let next = generator.draw(body.drawn.fetch_add(1, Ordering::Relaxed));
            let mut value = next.unwrap_or_else(|| body.base.clone());
            session_schemas::shift_timestamps(&mut value, now - self.generated_at);
            if let Some(patch) = &body.overrides {
                merge_patch(&mut value, patch);
            }
            return self.finish(value, identity);
        }
        if let Some((_, id)) = identity {
            let second = now.unix_timestamp();
            if let Some((at, bytes)) = body.identities.get(&id.0)
                && at == second
            {
                return bytes;
            }
            let bytes = self.finish(Value::clone(&self.retimed_at(body, now).0), identity);
            body.identities.insert(id.0, (second, bytes.clone()));
            return bytes;
        }
        if let Some(fixed) = &body.fixed {
            return fixed.clone();
        }
        self.retimed_at(body, now).1
    }

    /// The body retimed to `now`'s second, as a value and as bytes, made at
    /// most once a second.
    fn retimed_at(&self, body: &ScenarioBody, now: OffsetDateTime) -> (Arc<Value>, Bytes) {
        let second = now.unix_timestamp();
        {
            let cache = body.cache.read().unwrap_or_else(PoisonError::into_inner);
            if cache.0 == second {
                return (Arc::clone(&cache.1), cache.2.clone());
            }
        }
        let value = Arc::new(self.retimed(body, now));
        let bytes = to_bytes(&value);
        *body.cache.write().unwrap_or_else(PoisonError::into_inner) =
            (second, Arc::clone(&value), bytes.clone());
        (value, bytes)
    }

    /// The generated body for one identity or session: the first draw of a
    /// stream seeded by it, with its timestamps moved to `now`.
    fn stable_generated(&self, body: &ScenarioBody, key: &[u8; 32], now: OffsetDateTime) -> Value {
        let mut value = match body.stable.get(key) {
            Some(value) => value,
            None => {
                let mut seed = [0u8; 8];
                seed.copy_from_slice(&key[..8]);
                let fresh = body
                    .generator
                    .as_ref()
                    .and_then(|g| g.fork(u64::from_le_bytes(seed)).draw(0))
                    .unwrap_or_else(|| body.base.clone());
                body.stable.insert(*key, fresh.clone());
                fresh
            }
        };
        let now = now.replace_nanosecond(0).unwrap_or(now);
        session_schemas::shift_timestamps(&mut value, now - self.generated_at);
        if let Some(patch) = &body.overrides {
            merge_patch(&mut value, patch);
        }
        value
    }

    /// The authenticated scenario's body for a session the mock holds,
    /// with the session's values where the contract says.
    pub(crate) fn session(&self, now: OffsetDateTime, session: &Session) -> Bytes {
        let Some(body) = self.scenarios.get(self.authenticated) else {
            return Bytes::new();
        };
        let stamp = Stamp {
            revision: session.revision,
            second: now.unix_timestamp(),
            last_activity_at: session.last_activity_at,
            expires_at: session.expires_at,
            state: session.state,
        };
        if let Some((at, bytes)) = self.held.get(session.id.as_str())
            && at == stamp
        {
            return bytes;
        }
        let bytes = self.render_session(body, now, session);
        self.held.insert(session.id.clone(), (stamp, bytes.clone()));
        bytes
    }

    /// The same, never from or into the cache: for a trial session (a
    /// profile change being checked) that shares a live one's id and revision.
    pub(crate) fn session_uncached(&self, now: OffsetDateTime, session: &Session) -> Bytes {
        match self.scenarios.get(self.authenticated) {
            Some(body) => self.render_session(body, now, session),
            None => Bytes::new(),
        }
    }

    fn render_session(&self, body: &ScenarioBody, now: OffsetDateTime, session: &Session) -> Bytes {
        let mut value = if self.data == DataMode::Generated && body.generator.is_some() {
            let key = session_key(&session.id);
            self.stable_generated(body, &key, now)
        } else {
            Value::clone(&self.retimed_at(body, now).0)
        };
        apply_session(&mut value, &self.fields, session);
        to_bytes(&value)
    }

    fn retimed(&self, body: &ScenarioBody, now: OffsetDateTime) -> Value {
        let mut value = body.base.clone();
        if let (Some(recorded_at), None) = (body.recorded_at, &body.fixed) {
            // Whole seconds: every request within a second sees the same body.
            let now = now.replace_nanosecond(0).unwrap_or(now);
            session_schemas::shift_timestamps(&mut value, now - recorded_at);
        }
        value
    }
}

fn session_key(id: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(id.as_bytes()).into()
}

/// Writes a session's values at the contract's pointers.
pub(crate) fn apply_session(value: &mut Value, fields: &SessionFields, session: &Session) {
    // Times keep the style of the value they replace: Auth.js writes
    // `expires` with milliseconds (`toISOString()`), session-api does not.
    let millis = |pointer: &Option<String>| {
        pointer
            .as_deref()
            .and_then(|p| value.pointer(p))
            .and_then(Value::as_str)
            .is_some_and(|t| t.contains('.'))
    };
    let styles = [
        millis(&fields.created),
        millis(&fields.last_activity),
        millis(&fields.expires),
    ];
    let time = |seconds: i64, millis: bool| {
        let text = OffsetDateTime::from_unix_timestamp(seconds)
            .map(crate::clock::format)
            .unwrap_or_default();
        match text.strip_suffix('Z') {
            Some(stem) if millis => format!("{stem}.000Z"),
            _ => text,
        }
    };
    if let Some(pointer) = &fields.user
        && let Some(Value::Object(user)) = value.pointer_mut(pointer)
    {
        for (key, field) in &session.profile {
            user.insert(key.clone(), field.clone());
        }
    }
    // A generated body may leave an optional field out: the session's value
    // is put in anyway, in the object the pointer's parent names.
    let mut put = |pointer: &Option<String>, new: Value| {
        let Some(pointer) = pointer.as_deref() else {
            return;
        };
        if let Some(slot) = value.pointer_mut(pointer) {
            *slot = new;
        } else if let Some((parent, key)) = pointer.rsplit_once('/')
            && let Some(Value::Object(object)) = value.pointer_mut(parent)
        {
            object.insert(key.replace("~1", "/").replace("~0", "~"), new);
        }
    };
    let (name, email) = crate::users::persona(&session.user, &session.profile);
    put(&fields.name, Value::String(name));
    put(&fields.email, Value::String(email));
    put(&fields.session_id, Value::String(session.id.clone()));
    put(&fields.user_id, Value::String(session.user_id.clone()));
    put(&fields.login, Value::String(session.user.clone()));
    put(
        &fields.created,
        Value::String(time(session.created_at, styles[0])),
    );
    put(
        &fields.last_activity,
        Value::String(time(session.last_activity_at, styles[1])),
    );
    put(
        &fields.expires,
        Value::String(time(session.expires_at, styles[2])),
    );
    put(
        &fields.state,
        Value::String(session.state.name().to_owned()),
    );
}

/// Checks that every user's session body (the authenticated fixture with the
/// user's fields) still fits the contract, so a typo in a profile is an error
/// at startup, not a broken body at sign-in.
pub(crate) fn check_users(mount: &Mount, users: &[User]) -> Result<(), ConfigError> {
    let contract = mount.contract;
    let scenario = contract.outcome(Outcome::Authenticated);
    for user in users {
        let mut body = scenario.body.clone();
        if let Some(patch) = &mount.overrides {
            merge_patch(&mut body, patch);
        }
        let session = Session::preview(
            &contract.name,
            &user.username,
            user.id.as_deref(),
            &user.profile,
            0,
            3600,
        );
        apply_session(&mut body, &contract.session_fields, &session);
        let violations = contract
            .validate(scenario.status, &body, Mode::Lenient)
            .unwrap_or_default();
        if !violations.is_empty() {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            return Err(ConfigError::Invalid {
                key: format!("user `{}`", user.username),
                value: serde_json::to_string(&user.profile).unwrap_or_default(),
                message: format!(
                    "a {} session for this user breaks the {} schema:\n  {}",
                    contract.name,
                    scenario.status,
                    list.join("\n  ")
                ),
            });
        }
    }
    Ok(())
}

fn generator_for(
    contract: &Contract,
    scenario: &Scenario,
    now: OffsetDateTime,
    seed: u64,
) -> Option<BodyGenerator> {
    if !scenario.is_documented() {
        return None;
    }
    contract
        .scenario_strategy(scenario, now)
        .ok()
        .map(|strategy| BodyGenerator::new(strategy, seed))
}

impl MountBodies {
    /// The body as one identity sees it: its own values in the manifest's
    /// identity fields, whatever their format, wherever else those values
    /// appear (`session.userId` beside `user.id`), and its own uuids.
    fn finish(&self, mut value: Value, identity: Option<(&Keyring, &Identity)>) -> Bytes {
        if let Some((keyring, identity)) = identity {
            let originals: Vec<String> = self
                .identity_paths
                .iter()
                .filter_map(|p| value.pointer(p).and_then(Value::as_str))
                .filter(|text| !is_uuid(text))
                .map(str::to_owned)
                .collect();
            replace_identities(&mut value, keyring, identity, &originals);
        }
        to_bytes(&value)
    }
}

/// The body's bytes, written into a buffer sized for a session body at once.
fn to_bytes(value: &Value) -> Bytes {
    let mut buffer = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut buffer, value) {
        Ok(()) => Bytes::from(buffer),
        Err(_) => Bytes::new(),
    }
}

/// Checks the fixture with the override, and in generated mode a sample of
/// generated bodies with it (from a separate stream: checking must not
/// consume the served one).
fn check_override(
    mount: &Mount,
    scenario: &Scenario,
    base: &Value,
    generated: bool,
    patch: &Value,
    now: OffsetDateTime,
) -> Result<(), ConfigError> {
    let contract = mount.contract;
    let mut samples = vec![base.clone()];
    if generated
        && let Some(strategy) = contract
            .scenario_strategy(scenario, now)
            .ok()
            .filter(|_| scenario.is_documented())
    {
        samples.extend(
            BodyGenerator::new(strategy, 0)
                .take(OVERRIDE_SAMPLES)
                .map(|mut v| {
                    merge_patch(&mut v, patch);
                    v
                }),
        );
    }
    for sample in samples {
        let violations = contract
            .validate(scenario.status, &sample, Mode::Lenient)
            .unwrap_or_default();
        if !violations.is_empty() {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            return Err(ConfigError::Invalid {
                key: format!("contracts.{}.override", contract.name),
                value: patch.to_string(),
                message: format!(
                    "the {} body with this override breaks the {} schema:\n  {}\n(pass --allow-invalid-override to serve it anyway)",
                    scenario.name,
                    scenario.status,
                    list.join("\n  ")
                ),
            });
        }
    }
    Ok(())
}

/// RFC 7386 JSON merge patch: objects merge, `null` removes, anything else replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Every uuid, and every string equal to one of `originals` (identity
/// values in other formats), replaced by the identity's own.
fn replace_identities(
    value: &mut Value,
    keyring: &Keyring,
    identity: &Identity,
    originals: &[String],
) {
    match value {
        Value::String(text) if is_uuid(text) => *text = keyring.derive_uuid(identity, text),
        Value::String(text) if originals.contains(text) => {
            *text = keyring.derive_like(identity, text);
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_identities(v, keyring, identity, originals)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| replace_identities(v, keyring, identity, originals)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = json!({"a": 1, "user": {"type": "internal", "plan": "pro"}, "gone": true});
        merge_patch(
            &mut target,
            &json!({"user": {"type": "client", "plan": null}, "gone": null, "new": [1]}),
        );
        assert_eq!(
            target,
            json!({"a": 1, "user": {"type": "client"}, "new": [1]})
        );
    }

    #[test]
    fn uuids_are_recognised_strictly() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400"));
        assert!(!is_uuid("123e4567xe89b-12d3-a456-426614174000"));
    }
}
