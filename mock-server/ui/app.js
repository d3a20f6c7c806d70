// session-mock control page. Plain DOM, no framework, no network beyond the
// mock's own admin API (/__mock/...): what this page changes, curl sees, and
// what curl changes, this page shows within a second.
//
// Polling, not server-sent events: the page reads four small documents
// (scenarios, sessions, clock, the journal after its cursor) once a second,
// and only while the tab is visible. The clock moves sessions from active
// to expired without any request, so it has to be read anyway; one loop
// keeps every view consistent; no connection is held open (the browser's
// six per origin stay free for the app under development, and the mock's
// graceful shutdown never waits on a stream); a restarted mock is simply
// read again.
"use strict";

const POLL_MS = 1000;
const MAX_JOURNAL = 500;
const MAX_SESSION_ROWS = 200;
const ORIGIN = window.location.origin;

const $ = (id) => document.getElementById(id);

/** An element with attributes (`text`, `class`, `on<event>`, others as is) and children. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = value;
    else if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces a container's children, keeping keyboard focus on the control with the same key. */
function replaceKeepingFocus(container, nodes) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren(...nodes);
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** One admin-API call; JSON in and out; a refusal's own message as the error. */
async function api(method, path, body) {
  const init = { method, cache: "no-store", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, `the mock does not answer at ${ORIGIN}; is it still running?`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    throw new ApiError(res.status, (data && data.message) || `${method} ${path}: ${res.status}`);
  }
  return data;
}

// ---------------------------------------------------------------- state

const state = {
  contracts: [],
  contractsKey: "",
  sessions: null,
  sessionsKey: "",
  users: [],
  clock: null,
  clockAt: 0,
  violations: null,
  journal: [],
  after: undefined,
  journalOff: false,
  paused: false,
  filter: "",
  created: {},
  snippetsKey: "",
  busy: false,
};

// ---------------------------------------------------------------- messages

let toastTimer = 0;
function say(message, isError) {
  const toast = $("toast");
  toast.textContent = message;
  toast.classList.toggle("error", Boolean(isError));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.textContent = "";
  }, isError ? 10000 : 4000);
}

/** Runs a change, says what it did or why it was refused, then reads everything again. */
async function change(what, action) {
  try {
    const result = await action();
    if (what) say(typeof what === "function" ? what(result) : what);
    await refresh();
    return result;
  } catch (e) {
    say(e.message, true);
    return undefined;
  }
}

// ---------------------------------------------------------------- time

function mockNow() {
  if (!state.clock) return Date.now();
  const base = Date.parse(state.clock.now);
  return state.clock.mode === "frozen" ? base : base + (performance.now() - state.clockAt);
}

function fmtInstant(ms) {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

function fmtSpan(ms) {
  let s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hrs = Math.floor(s / 3600);
  s -= hrs * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${hrs}h`;
  if (hrs) return `${hrs}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

function relative(iso) {
  if (!iso) return "";
  const delta = Date.parse(iso) - mockNow();
  return delta >= 0 ? `in ${fmtSpan(delta)}` : `${fmtSpan(delta)} ago`;
}

function timeCell(iso) {
  if (!iso) return h("td", { text: "–" });
  return h(
    "td",
    { class: "mono" },
    h("time", { datetime: iso, title: iso, "data-relative": iso, text: relative(iso) }),
  );
}

// ---------------------------------------------------------------- contracts

function scenarioButton(contract, scenario) {
  const active = contract.active === scenario.name;
  const off = scenario.off_contract;
  const label = `${scenario.name}${off ? " (off-contract)" : ""}`;
  return h(
    "button",
    {
      type: "button",
      class: off ? "off" : null,
      "aria-pressed": active ? "true" : "false",
      "data-key": `scenario:${contract.contract}:${scenario.name}`,
      "data-scenario": scenario.name,
      title: off ? `Off-contract: ${off}` : `Serve ${scenario.name} (HTTP ${scenario.status})`,
      "aria-label": `${contract.contract}: serve ${label}, HTTP ${scenario.status}`,
      onclick: () =>
        change(`${contract.contract} now serves ${scenario.name}`, () =>
          api("PUT", "/__mock/scenarios", { [contract.contract]: scenario.name }),
        ),
    },
    scenario.name,
    h("span", { class: "code", text: String(scenario.status) }),
  );
}

/** What the validating proxy found in a proxied contract's upstream answers. */
function upstreamNote(c) {
  const summary = state.violations;
  const tally = summary && summary.contracts.find((t) => t.contract === c.contract);
  const judged = tally ? tally.answers_judged : 0;
  const broke = tally ? tally.violations : [];
  return h(
    "div",
    { class: "upstream", "data-upstream": c.contract },
    h(
      "p",
      {},
      `Upstream answers judged: ${judged}`,
      tally && tally.answers_violating
        ? h("strong", { class: "violations", text: ` · ${tally.answers_violating} broke the contract` })
        : judged
          ? h("span", { class: "ok", text: " · all kept the contract" })
          : null,
      " ",
      judged
        ? h("button", {
            type: "button",
            text: "Reset the proxy summary",
            "data-key": `violations:${c.contract}`,
            onclick: () =>
              change("The proxy's summary is reset", () => api("DELETE", "/__mock/violations")),
          })
        : null,
    ),
    broke.length
      ? h(
          "ul",
          { class: "violations" },
          broke.map((v) =>
            h(
              "li",
              {},
              h("strong", { text: `${v.check}` }),
              ` ${v.rule}: ${v.count}×, last at ${v.last_seen}`,
              h("span", { class: "muted", text: ` (${v.severity}) ${v.message}` }),
            ),
          ),
        )
      : null,
  );
}

function renderContracts() {
  const cards = state.contracts.map((c) => {
    const why = c.runtime
      ? h("span", {}, "runtime choice ", h("span", { class: "muted", text: `(default: ${c.default})` }))
      : h("span", { text: "default" });
    const offs = c.scenarios.filter((s) => s.off_contract);
    return h(
      "article",
      { class: "contract", "data-contract": c.contract, "aria-label": `Contract ${c.contract}` },
      h("h3", { text: c.contract }),
      h("code", { text: `GET ${c.path}` }),
      c.upstream ? h("span", { class: "badge", text: ` proxied to ${c.upstream}` }) : null,
      h(
        "p",
        { class: "serving" },
        "Serving ",
        h("strong", { class: "active-scenario", text: c.active }),
        " · ",
        why,
        " ",
        c.runtime
          ? h("button", {
              type: "button",
              "data-key": `default:${c.contract}`,
              text: "Back to default",
              "aria-label": `${c.contract}: back to the default scenario (${c.default})`,
              onclick: () =>
                change(`${c.contract} is back to its default, ${c.default}`, () =>
                  api("PUT", "/__mock/scenarios", { [c.contract]: null }),
                ),
            })
          : null,
      ),
      c.upstream ? upstreamNote(c) : null,
      h(
        "div",
        { class: "scenarios", role: "group", "aria-label": `Scenarios of ${c.contract}` },
        c.scenarios.map((s) => scenarioButton(c, s)),
      ),
      offs.map((s) =>
        h("p", { class: "off-note" }, h("strong", { text: `${s.name} is off-contract: ` }), s.off_contract),
      ),
    );
  });
  replaceKeepingFocus($("contract-list"), cards);
}

function fillSelect(select, options, keep) {
  const previous = select.value;
  select.replaceChildren(...options.map(([value, text]) => h("option", { value, text })));
  if (keep && options.some(([value]) => value === previous)) select.value = previous;
}

function onContracts(listing, violations) {
  state.violations = violations;
  const key = JSON.stringify([listing.contracts, violations]);
  if (key === state.contractsKey) return;
  state.contractsKey = key;
  state.contracts = listing.contracts;
  renderContracts();
  const names = state.contracts.map((c) => [c.contract, c.contract]);
  fillSelect($("journal-filter"), [["", "All contracts"], ...names], true);
  fillSelect($("snippet-contract"), names, true);
  // Sessions made here: contracts without a sign-in route first (session-api).
  const creatable = [...state.contracts].sort((a, b) => Boolean(a.protocol) - Boolean(b.protocol));
  fillSelect($("create-contract"), creatable.map((c) => [c.contract, c.contract]), true);
  renderSnippets();
}

// ---------------------------------------------------------------- clock

function renderClock() {
  if (!state.clock) return;
  const now = fmtInstant(mockNow());
  $("clock-now").textContent = now;
  $("top-now").textContent = now;
  const mode = state.clock.mode;
  const offset = state.clock.offset_seconds;
  const words = {
    real: "real time",
    frozen: "frozen",
    offset: `real time ${offset >= 0 ? "+" : "−"}${fmtSpan(offset * 1000)}`,
  }[mode];
  $("clock-mode").textContent = `(${words})`;
  const badge = $("top-mode");
  badge.textContent = words;
  badge.className = `badge ${mode}`;
  $("clock-freeze").setAttribute("aria-pressed", mode === "frozen" ? "true" : "false");
  $("clock-freeze").textContent = mode === "frozen" ? "Frozen (click to run)" : "Freeze";
  const live = state.sessions ? state.sessions.sessions.filter((s) => s.state === "active") : [];
  const next = live.reduce((a, b) => (!a || Date.parse(b.expires_at) < Date.parse(a.expires_at) ? b : a), null);
  $("clock-next").textContent = next
    ? `Next to expire: ${next.user}'s ${next.contract} session, ${relative(next.expires_at)} (at ${next.expires_at}).`
    : "No live session to expire.";
  for (const el of document.querySelectorAll("[data-relative]")) {
    el.textContent = relative(el.dataset.relative);
  }
}

function onClock(reading) {
  state.clock = reading;
  state.clockAt = performance.now();
  renderClock();
}

function setClock(body, what) {
  return change(
    (reading) => `${what}: the mock's clock reads ${reading.now}`,
    () => api("PUT", "/__mock/clock", body),
  );
}

// ---------------------------------------------------------------- sessions

function sessionRow(s, contract) {
  const active = s.state === "active";
  const who = `${s.id.slice(0, 8)} (${s.user})`;
  const act = (label, verb, call) =>
    h("button", {
      type: "button",
      text: label,
      "data-key": `${verb}:${s.id}`,
      "aria-label": `${label} session ${who}`,
      onclick: () => change(`Session ${who}: ${verb}`, call),
    });
  const actions = active
    ? [
        act("Expire", "expired", () =>
          api("PATCH", `/__mock/sessions/${encodeURIComponent(s.id)}`, { state: "expired" }),
        ),
        act("Revoke", "revoked", () => api("DELETE", `/__mock/sessions/${encodeURIComponent(s.id)}`)),
        contract && contract.protocol === "authjs"
          ? act("Sign out", "signed out", () =>
              api("PATCH", `/__mock/sessions/${encodeURIComponent(s.id)}`, { state: "signed-out" }),
            )
          : null,
      ]
    : [];
  return h(
    "tr",
    { class: active ? null : "ended", "data-session": s.id, "data-state": s.state },
    h("td", { class: "mono", title: s.id, text: s.id.slice(0, 12) }),
    h("td", { text: s.contract }),
    h("td", { text: s.user, title: `user id ${s.user_id}` }),
    h("td", {}, h("span", { class: `badge ${s.state}`, text: s.state })),
    timeCell(s.created_at),
    timeCell(s.last_activity_at),
    active ? timeCell(s.expires_at) : timeCell(s.ended_at || s.expires_at),
    h("td", {}, h("div", { class: "actions" }, actions)),
  );
}

function renderSessions() {
  const listing = state.sessions;
  if (!listing) return;
  const hide = $("hide-ended").checked;
  const order = { active: 0 };
  const rows = listing.sessions
    .filter((s) => !hide || s.state === "active")
    .sort(
      (a, b) =>
        (order[a.state] ?? 1) - (order[b.state] ?? 1) ||
        String(b.created_at).localeCompare(String(a.created_at)),
    );
  const byName = Object.fromEntries(state.contracts.map((c) => [c.contract, c]));
  const shown = rows.slice(0, MAX_SESSION_ROWS);
  replaceKeepingFocus(
    $("session-table").tBodies[0],
    shown.map((s) => sessionRow(s, byName[s.contract])),
  );
  const total = listing.sessions.length;
  $("sessions-count").textContent =
    `${listing.live} live of ${total}` +
    (shown.length < rows.length ? ` · showing the first ${shown.length}` : "") +
    ` · limit ${listing.max_sessions} · ${listing.session_strategy} strategy`;
  $("sessions-empty").hidden = rows.length > 0;
  $("session-table").hidden = rows.length === 0;
}

function onSessions(listing) {
  const key = JSON.stringify([listing.sessions, listing.live, $("hide-ended").checked]);
  state.sessions = listing;
  if (JSON.stringify(listing.users) !== JSON.stringify(state.users)) {
    state.users = listing.users || [];
    fillSelect($("create-user"), state.users.map((u) => [u, u]), true);
  }
  if (key === state.sessionsKey) return;
  state.sessionsKey = key;
  renderSessions();
}

async function createSession(event) {
  event.preventDefault();
  const contract = $("create-contract").value;
  const body = { contract };
  if ($("create-user").value) body.user = $("create-user").value;
  const lifetime = $("create-lifetime").value.trim();
  if (lifetime) body.lifetime = lifetime;
  const made = await change(
    (m) => `Created session ${m.session.id.slice(0, 8)} for ${m.session.user} on ${contract}`,
    () => api("POST", "/__mock/sessions", body),
  );
  if (!made) return;
  state.created[contract] = { token: made.token, header: made.header };
  $("created").hidden = false;
  $("created").dataset.session = made.session.id;
  $("created-what").textContent =
    `New ${contract} session for ${made.session.user}, until ${made.session.expires_at} on the mock's clock. ` +
    `Send it as ${made.header.replace(made.token, "<token>")} to ${ORIGIN}${made.path}.`;
  $("created-token").value = made.token;
  $("created-token").dataset.header = made.header;
  state.snippetsKey = "";
  renderSnippets();
}

// ---------------------------------------------------------------- journal

function statusClass(status) {
  return `badge s${String(status)[0]}`;
}

function journalRow(e) {
  const scenario = e.scenario
    ? h(
        "td",
        {},
        h("span", { text: e.scenario }),
        e.reason ? h("span", { class: "muted", text: ` (${e.reason})` }) : null,
        e.off_contract ? h("span", { class: "badge off", text: " off-contract" }) : null,
      )
    : h("td", { class: "muted", text: e.event ? "–" : "" });
  const notes = [];
  if (e.event) notes.push(h("span", { class: "badge", text: e.event }));
  if (e.session) notes.push(h("span", { class: "mono", title: e.session, text: ` session ${e.session.slice(0, 8)}` }));
  if (e.source) notes.push(h("span", { class: "badge", text: ` from ${e.source}` }));
  if (e.violations && e.violations.length) {
    notes.push(
      h(
        "details",
        { class: "violations" },
        h("summary", { text: `${e.violations.length} contract violation${e.violations.length > 1 ? "s" : ""}` }),
        h(
          "ul",
          {},
          e.violations.map((v) => h("li", {}, h("strong", { text: `${v.check}: ` }), v.rule || v.message)),
        ),
      ),
    );
  }
  const time = e.at.slice(11, 19);
  return h(
    "tr",
    { "data-seq": e.seq, "data-contract": e.contract },
    h("td", { class: "mono" }, h("time", { datetime: e.at, title: e.at, text: time })),
    h("td", { class: "mono", text: `${e.method} ${e.path}${e.query ? `?${e.query}` : ""}` }),
    h("td", { text: e.contract }),
    scenario,
    h("td", {}, h("span", { class: statusClass(e.status), text: String(e.status) })),
    h("td", { class: "mono", text: e.credential }),
    h("td", {}, notes),
  );
}

function renderJournal(fresh) {
  const body = $("journal-table").tBodies[0];
  const visible = (e) => !state.filter || e.contract === state.filter;
  if (fresh) {
    const rows = fresh.filter(visible).map((e) => {
      const row = journalRow(e);
      row.classList.add("fresh");
      return row;
    });
    body.prepend(...rows.reverse());
    while (body.rows.length > MAX_JOURNAL) body.deleteRow(-1);
  } else {
    body.replaceChildren(...state.journal.filter(visible).reverse().map(journalRow));
  }
  const shown = body.rows.length;
  $("journal-empty").hidden = shown > 0 || state.journalOff;
  $("journal-table").hidden = shown === 0;
  $("journal-count").textContent = state.journalOff
    ? "The journal is off (--journal-size 0)."
    : `${shown} shown${state.filter ? ` for ${state.filter}` : ""}${state.paused ? " · paused" : ""}`;
}

function onJournal(listing) {
  state.journalOff = false;
  const before = state.journal.length;
  // A clear (here or by curl), a full ring, or a restarted mock: keep only what the mock holds.
  const restarted = state.after !== undefined && listing.next <= state.after;
  let kept = restarted ? [] : state.journal.filter((e) => e.seq >= listing.first);
  const rebuilt = restarted || kept.length !== before;
  kept = kept.concat(listing.entries);
  if (kept.length > MAX_JOURNAL) kept = kept.slice(kept.length - MAX_JOURNAL);
  state.journal = kept;
  state.after = listing.next - 1;
  if (rebuilt || before === 0) renderJournal();
  else if (listing.entries.length) renderJournal(listing.entries);
}

async function readJournal() {
  if (state.paused) return;
  const after = state.after === undefined ? "" : `?after=${state.after}`;
  try {
    onJournal(await api("GET", `/__mock/requests${after}`));
  } catch (e) {
    if (e.status === 404) {
      state.journalOff = true;
      renderJournal();
      return;
    }
    throw e;
  }
}

// ---------------------------------------------------------------- snippets

function snippetsFor(c) {
  const url = `${ORIGIN}${c.path}`;
  const made = state.created[c.contract];
  const bearer = c.credential && c.credential.in === "header";
  const credential = made
    ? made.header
    : bearer
      ? "Authorization: Bearer $TOKEN"
      : `Cookie: ${c.credential ? c.credential.name : "session"}=$TOKEN`;
  const other = c.scenarios.find((s) => s.name !== c.active) || c.scenarios[0];
  const curl = [
    `# what the mock serves now (${c.active})`,
    `curl -i ${url}`,
    `# one request with another scenario`,
    `curl -i ${url} -H 'Mock-Scenario: ${other.name}'`,
    `# with a session${made ? "" : " (create one above for a real token)"}`,
    `curl -i ${url} -H "${credential}"`,
    `# switch for every request, and back (null)`,
    `curl -X PUT ${ORIGIN}/__mock/scenarios -d '{"${c.contract}": "${other.name}"}'`,
    `curl -X PUT ${ORIGIN}/__mock/scenarios -d '{"${c.contract}": null}'`,
  ].join("\n");
  const headerLine = bearer
    ? made
      ? `  headers: { Authorization: "${made.header.replace(/^Authorization: /, "")}" },`
      : `  headers: { Authorization: \`Bearer \${token}\` },`
    : `  // the browser sends the ${c.credential ? c.credential.name : "session"} cookie itself`;
  const fetchJs = [
    `const res = await fetch("${url}", {`,
    `  credentials: "include",`,
    headerLine,
    `  // headers: { "Mock-Scenario": "${other.name}" }, // one request, another scenario`,
    `});`,
    `const session = await res.json();`,
  ].join("\n");
  const base = c.base || c.path;
  const next = [
    `// next.config.js`,
    `module.exports = {`,
    `  async rewrites() {`,
    `    if (!process.env.MOCK_AUTH) return [];`,
    `    return {`,
    `      beforeFiles: [`,
    `        { source: "${base}/:path*", destination: "${ORIGIN}${base}/:path*" },`,
    `      ],`,
    `    };`,
    `  },`,
    `};`,
    `// then: MOCK_AUTH=1 npm run dev`,
  ].join("\n");
  const vite = [
    `// vite.config.js`,
    `export default {`,
    `  server: { proxy: { "${base}": "${ORIGIN}" } },`,
    `};`,
  ].join("\n");
  return [
    ["curl", curl],
    ["fetch with credentials", fetchJs],
    ["next.config.js rewrite", next],
    ["Vite proxy", vite],
  ];
}

function renderSnippets() {
  const name = $("snippet-contract").value;
  const c = state.contracts.find((x) => x.contract === name);
  if (!c) return;
  const items = snippetsFor(c);
  const key = JSON.stringify(items);
  if (key === state.snippetsKey) return;
  state.snippetsKey = key;
  replaceKeepingFocus(
    $("snippet-list"),
    items.map(([title, text]) =>
      h(
        "figure",
        { class: "snippet", "data-snippet": title },
        h(
          "div",
          { class: "bar" },
          h("h3", { text: title }),
          h("button", {
            type: "button",
            text: "Copy",
            "data-key": `copy:${title}`,
            "aria-label": `Copy the ${title} snippet`,
            onclick: () => copy(text, `${title} snippet`),
          }),
        ),
        h("pre", { tabindex: "0", "aria-label": `${title} snippet` }, h("code", { text })),
      ),
    ),
  );
}

/** A copy through a selected, invisible text area: for pages that are not a
 * secure context (--admin-open over a LAN address) or a refused clipboard. */
function copyBySelection(text) {
  const area = h("textarea", { readonly: true, "aria-hidden": "true" });
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  return done;
}

/** The clipboard API where the page is a secure context (loopback is), else a selection copy. */
async function copy(text, what) {
  let done = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch {
      done = false;
    }
  }
  if (!done) done = copyBySelection(text);
  if (done) say(`Copied the ${what}`);
  else say(`The browser refused the copy; select the ${what} and copy it by hand`, true);
}

// ---------------------------------------------------------------- the loop

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  try {
    const [scenarios, sessions, clock] = await Promise.all([
      api("GET", "/__mock/scenarios"),
      api("GET", "/__mock/sessions"),
      api("GET", "/__mock/clock"),
    ]);
    // The validating proxy's summary, when a contract is proxied.
    const proxied = scenarios.contracts.some((c) => c.upstream);
    onContracts(scenarios, proxied ? await api("GET", "/__mock/violations") : null);
    onSessions(sessions);
    onClock(clock);
    await readJournal();
    setLink(true);
  } catch (e) {
    setLink(false, e.message);
  } finally {
    state.busy = false;
  }
}

function setLink(up, why) {
  const link = $("link");
  link.classList.toggle("live", up);
  link.classList.toggle("down", !up);
  const text = up ? `Live: ${ORIGIN}, read every ${POLL_MS / 1000} s` : why;
  if (link.textContent !== text) link.textContent = text;
  document.body.dataset.ready = up ? "true" : "false";
}

function wire() {
  $("reset-scenarios").addEventListener("click", () =>
    change("Every contract is back to its default scenario", () => api("DELETE", "/__mock/scenarios")),
  );
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => setClock({ advance: button.dataset.advance }, `Advanced ${button.textContent}`));
  }
  $("advance-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setClock({ advance: $("advance-by").value.trim() }, `Advanced ${$("advance-by").value.trim()}`);
  });
  $("set-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setClock({ set: $("set-to").value.trim() }, "Set");
  });
  $("set-to").addEventListener("focus", () => {
    if (!$("set-to").value) $("set-to").value = new Date(mockNow()).toISOString().replace(/\.\d{3}Z$/, "Z");
  });
  $("clock-freeze").addEventListener("click", () => {
    const frozen = state.clock && state.clock.mode === "frozen";
    setClock({ frozen: !frozen }, frozen ? "Running" : "Frozen");
  });
  $("clock-real").addEventListener("click", () => setClock({ real: true }, "Back to real time"));
  $("create-form").addEventListener("submit", createSession);
  $("copy-token").addEventListener("click", () => copy($("created-token").value, "token"));
  $("copy-header").addEventListener("click", () => copy($("created-token").dataset.header || "", "header"));
  $("hide-ended").addEventListener("change", () => {
    state.sessionsKey = "";
    if (state.sessions) onSessions(state.sessions);
  });
  $("journal-filter").addEventListener("change", () => {
    state.filter = $("journal-filter").value;
    renderJournal();
  });
  $("journal-pause").addEventListener("click", () => {
    state.paused = !state.paused;
    $("journal-pause").setAttribute("aria-pressed", String(state.paused));
    $("journal-pause").textContent = state.paused ? "Resume" : "Pause";
    renderJournal();
    if (!state.paused) refresh();
  });
  $("journal-clear").addEventListener("click", () =>
    change("Cleared the journal", async () => {
      await api("DELETE", "/__mock/requests");
      state.journal = [];
      renderJournal();
    }),
  );
  $("snippet-contract").addEventListener("change", renderSnippets);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
  setInterval(() => {
    if (!document.hidden) refresh();
  }, POLL_MS);
  setInterval(renderClock, 1000);
  refresh();
}

wire();
