// The mock's Auth.js cookies against the real libraries' codecs, both ways:
// @auth/core 0.41.3 (Auth.js 5) and next-auth 4.24.15's `next-auth/jwt`.
//
//   MOCK_V5=http://127.0.0.1:PORT MOCK_V4=http://127.0.0.1:PORT2 AUTH_SECRET=... \
//     node --test tests/authjs-jwt/roundtrip.test.mjs
//
// MOCK_V5 is a mock started with `--auth-secret $AUTH_SECRET` (it writes
// Auth.js 5 cookies), MOCK_V4 the same with `--authjs-version v4`; both
// with `--user alice:wonderland`. `cargo test -p session-mock --test it --
// --ignored authjs_libraries` starts them and runs this file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as core from "@auth/core/jwt";

const require = createRequire(import.meta.url);
const v4 = require("next-auth/jwt");

const V5 = process.env.MOCK_V5;
const V4 = process.env.MOCK_V4;
const SECRET = process.env.AUTH_SECRET;
assert.ok(V5 && V4 && SECRET, "MOCK_V5, MOCK_V4 and AUTH_SECRET are set");

const V5_NAME = "authjs.session-token";
const V4_NAME = "next-auth.session-token";
// @auth/core's SessionStore: ALLOWED_COOKIE_SIZE 4096 - ESTIMATED_EMPTY_COOKIE_SIZE 160.
const CHUNK = 4096 - 160;

/** The session the mock answers a Cookie header with. */
async function session(base, cookie) {
  const res = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
  assert.equal(res.status, 200);
  return { body: await res.json(), setCookies: res.headers.getSetCookie() };
}

/** name=value pairs of Set-Cookie lines, as a Cookie header. */
function cookieHeader(lines) {
  return lines.map((l) => l.split(";")[0]).filter((p) => !p.endsWith("=")).join("; ");
}

/** The token of a session cookie, chunks joined in order, from Set-Cookie lines. */
function tokenOf(lines, name) {
  const pairs = lines
    .map((l) => l.split(";")[0])
    .map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)])
    .filter(([n, v]) => (n === name || n.startsWith(`${name}.`)) && v !== "");
  pairs.sort(([a], [b]) => (parseInt(a.split(".").pop()) || 0) - (parseInt(b.split(".").pop()) || 0));
  return pairs.map(([, v]) => v).join("");
}

/** A session made through the mock's admin API: its cookies. */
async function adminSession(base, user) {
  const res = await fetch(`${base}/__mock/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ contract: "authjs", user }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).cookies;
}

/** Signs alice in through the Auth.js protocol, as next-auth's client does. */
async function signIn(base) {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = await csrf.json();
  const cookie = cookieHeader(csrf.headers.getSetCookie());
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-auth-return-redirect": "1",
      cookie,
    },
    body: new URLSearchParams({ csrfToken, username: "alice", password: "wonderland", callbackUrl: base }),
  });
  assert.equal(res.status, 200);
  return res.headers.getSetCookie();
}

function chunked(name, token) {
  if (token.length <= CHUNK) return `${name}=${token}`;
  const parts = [];
  for (let i = 0; i * CHUNK < token.length; i++) parts.push(`${name}.${i}=${token.substr(i * CHUNK, CHUNK)}`);
  return parts.join("; ");
}

test("a cookie the mock made at sign-in decodes with @auth/core's decode", async () => {
  const lines = await signIn(V5);
  const token = tokenOf(lines, V5_NAME);
  const claims = await core.decode({ token, secret: SECRET, salt: V5_NAME });
  assert.equal(claims.name, "Alice");
  assert.equal(claims.email, "alice@example.com");
  assert.match(claims.sub, /^[0-9a-f-]{36}$/);
  assert.match(claims.jti, /^[0-9a-f-]{36}$/);
  assert.ok(claims.exp > Date.now() / 1000, "not expired");
  assert.ok(claims.sid, "the mock's session id travels in the token");
  // The refreshed cookie of a read decodes too, and is still alice.
  const read = await session(V5, `${V5_NAME}=${token}`);
  assert.equal(read.body.user.username, "alice");
  const again = await core.decode({ token: tokenOf(read.setCookies, V5_NAME), secret: SECRET, salt: V5_NAME });
  assert.equal(again.sid, claims.sid);
  // Under another secret, @auth/core refuses it.
  await assert.rejects(core.decode({ token, secret: "not-the-secret", salt: V5_NAME }));
});

test("a cookie @auth/core encodes is a session on the mock, refreshed in its format", async () => {
  const token = await core.encode({
    token: { name: "Carol Danvers", email: "carol@example.com", sub: "c0ffee00-0000-4000-8000-000000000001" },
    secret: SECRET,
    salt: V5_NAME,
  });
  const read = await session(V5, `${V5_NAME}=${token}`);
  assert.equal(read.body.user.name, "Carol Danvers");
  assert.equal(read.body.user.email, "carol@example.com");
  assert.equal(read.body.user.id, "c0ffee00-0000-4000-8000-000000000001");
  const refreshed = await core.decode({ token: tokenOf(read.setCookies, V5_NAME), secret: SECRET, salt: V5_NAME });
  assert.equal(refreshed.name, "Carol Danvers");
  assert.ok(refreshed.exp > Date.now() / 1000 + 29 * 86400, "slid by 30 days");
});

test("a wrong secret, a flipped byte, a cut token and an expired exp are each signed out", async () => {
  const good = { name: "Eve", email: "eve@example.com", sub: "e0000000-0000-4000-8000-000000000001" };
  const wrong = await core.encode({ token: good, secret: "another-secret", salt: V5_NAME });
  const token = await core.encode({ token: good, secret: SECRET, salt: V5_NAME });
  const flipped = token.slice(0, -5) + (token.at(-5) === "A" ? "B" : "A") + token.slice(-4);
  const cut = token.slice(0, token.length - 20);
  const expired = await core.encode({ token: good, secret: SECRET, salt: V5_NAME, maxAge: -60 });
  for (const [why, value] of [["wrong secret", wrong], ["flipped", flipped], ["cut", cut], ["expired", expired]]) {
    const read = await session(V5, `${V5_NAME}=${value}`);
    assert.deepEqual(read.body, {}, why);
    assert.ok(read.setCookies.some((l) => l.startsWith(`${V5_NAME}=;`) && l.includes("Max-Age=0")), `${why}: cleared`);
  }
  // The control: the same claims under the right secret are a session.
  assert.equal((await session(V5, `${V5_NAME}=${token}`)).body.user.name, "Eve");
});

test("chunked cookies both ways", async () => {
  // The mock's: a profile too big for one cookie.
  const big = { username: "alice", tenantSlug: "t".repeat(900), plan: "p".repeat(900) };
  const cookies = await adminSession(V5, big);
  assert.deepEqual(cookies.map((c) => c.name), [`${V5_NAME}.0`, `${V5_NAME}.1`]);
  const joined = cookies.map((c) => c.value).join("");
  const claims = await core.decode({ token: joined, secret: SECRET, salt: V5_NAME });
  assert.equal(claims.tenantSlug, big.tenantSlug);
  // @auth/core's: a big token cut as its SessionStore cuts it.
  const token = await core.encode({
    token: { name: "Big", email: "big@example.com", sub: "b1900000-0000-4000-8000-000000000001", blob: "x".repeat(6000) },
    secret: SECRET,
    salt: V5_NAME,
  });
  assert.ok(token.length > CHUNK);
  const read = await session(V5, chunked(V5_NAME, token));
  assert.equal(read.body.user.name, "Big");
  const back = await core.decode({ token: tokenOf(read.setCookies, V5_NAME), secret: SECRET, salt: V5_NAME });
  assert.equal(back.blob.length, 6000);
});

test("next-auth 4: the mock's cookie decodes with its decode, and its encode is a session", async () => {
  const lines = await signIn(V4);
  const token = tokenOf(lines, V4_NAME);
  assert.ok(token, `a ${V4_NAME} cookie: ${lines}`);
  const claims = await v4.decode({ token, secret: SECRET });
  assert.equal(claims.name, "Alice");
  assert.equal(claims.email, "alice@example.com");
  const own = await v4.encode({ token: { name: "Dana", email: "dana@example.com", sub: "d0000000-0000-4000-8000-000000000001" }, secret: SECRET });
  const read = await session(V4, `${V4_NAME}=${own}`);
  assert.equal(read.body.user.name, "Dana");
  const refreshed = await v4.decode({ token: tokenOf(read.setCookies, V4_NAME), secret: SECRET });
  assert.equal(refreshed.name, "Dana");
  const expired = await v4.encode({ token: { name: "Old" }, secret: SECRET, maxAge: -60 });
  assert.deepEqual((await session(V4, `${V4_NAME}=${expired}`)).body, {});
  const wrong = await v4.encode({ token: { name: "Mallory" }, secret: "another-secret" });
  assert.deepEqual((await session(V4, `${V4_NAME}=${wrong}`)).body, {});
});
