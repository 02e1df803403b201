/**
 * live.js: the Live page, watching the sessions on the real SMTP, POP3 and IMAP ports.
 *
 * `live.watch` lists the sessions already open and then streams every
 * session's events; the page keeps a row per session (protocol, peer,
 * start, state, number of exchanges) and animates the selected one in the
 * session view, explained from its own protocol's catalogue:
 * its history first (`live.history`), then its `exchange` events as they
 * come. Exchanges that arrive while the history loads are held and added
 * after it, skipping any the history already had (by seq).
 *
 * The real ports' fault plan is edited here too, one port's rules at a time
 * (GET/PUT/DELETE /api/faults?protocol=); a server reachable from other
 * machines asks for the teacher key, which is kept for this tab only.
 */
import { t, lang } from "../lib/i18n.js";
import { connect, getCached, rest } from "../lib/api.js";
import { el, announce, copyText } from "../lib/dom.js";
import { createSessionView } from "../components/sessionview.js";
import { Timeline } from "../core/timeline.js";
import { createExplainer, answeredCommand } from "../components/explain.js";
import { createFaultPanel } from "../components/faults.js";
import { createPresenter } from "../components/presenter.js";
import { createTeacherKey } from "../components/teacherkey.js";
import { normaliseProtocol, classesFromCatalogue } from "../core/protocols.js";

const $ = (id) => document.getElementById(id);
const MAX_ROWS = 60;

const api = connect();
const data = (url, fallback) => getCached(url).then((answer) => (answer.ok ? answer.data : fallback));
const catalogueOf = (protocol) => data(`/api/catalogue?protocol=${protocol}`, null);
const presets = data(`/api/presets?lang=${lang}`, []);
const protocolOf = (info) => normaliseProtocol(info && info.protocol) || "smtp";

const sessions = new Map(); // id -> {info, count, state, closed, row}
let selected = null;
let loading = false;
let held = [];
let lastSeq = 0;
/*
 * The real ports' whole plan, for naming fault rules. An exchange's
 * fault.rule counts the rules of every port; the fault panel shows one
 * port's, so the page renumbers a rule within its protocol (see local()).
 */
let wholePlan = null;

// ---------------------------------------------------------------- pieces

function showAlert(message) {
  $("live-alert").textContent = message || "";
  $("live-alert").hidden = !message;
}

function context(ex) {
  const rule = ex.fault && ex.fault.wholeRule !== undefined && wholePlan && Array.isArray(wholePlan.rules)
    ? wholePlan.rules[ex.fault.wholeRule] : null;
  const exchanges = view.timeline.exchanges;
  return { command: answeredCommand(exchanges, ex, explainer.protocol), rule: rule || null, exchanges };
}

/** A real-port exchange with its fault rule numbered as its port's fault panel numbers it. */
function local(ex, protocol) {
  if (!ex.fault || !wholePlan || !Array.isArray(wholePlan.rules)) return ex;
  const whole = ex.fault.rule;
  const rules = wholePlan.rules;
  if (!rules[whole]) return ex;
  const mine = (r) => (normaliseProtocol(r && r.protocol) || normaliseProtocol(wholePlan.protocol) || "smtp") === protocol;
  const n = rules.slice(0, whole).filter(mine).length;
  return { ...ex, fault: { ...ex.fault, rule: n, wholeRule: whole } };
}

const explainer = createExplainer($("explain-panel"), { catalogue: catalogueOf("smtp"), context, protocol: "smtp" });
const view = createSessionView($("session-view"), {
  t,
  title: t("ui.live.diagram_title"),
  onSelect: (ex) => explainer.show(ex),
});
createPresenter({ button: $("btn-presenter"), focusTarget: () => $("session-view") });

// ---------------------------------------------------------------- session list

function clock(started) {
  const date = new Date(typeof started === "number" ? started * 1000 : started);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString(lang);
}

function renderRow(entry) {
  const { info } = entry;
  const state = entry.closed ? "closed" : entry.state || "connecting";
  const protocol = protocolOf(info);
  const button = el("button", {
    type: "button",
    class: "session-item",
    "aria-pressed": String(info.session === selected),
    "data-session": info.session,
    "data-protocol": protocol,
    onclick: () => select(info.session),
  },
  el("span", { class: "session-head" },
    el("span", { class: "proto-badge", "data-protocol": protocol, title: t("ui.live.protocol_label", { protocol: protocol.toUpperCase() }) },
      protocol.toUpperCase()),
    el("span", { class: "session-peer" }, info.peer || "?")),
  el("span", { class: "state-chip", "data-state": state }, t(`ui.state.${state}`)),
  el("span", { class: "session-meta" }, t("ui.live.row_meta", { time: clock(info.started), n: entry.count })));
  if (entry.row) entry.row.replaceChildren(button);
  else entry.row = el("li", {}, button);
  return entry.row;
}

function refreshEmpty() {
  $("sessions-empty").hidden = sessions.size > 0;
}

function upsert(info, patch = {}) {
  let entry = sessions.get(info.session);
  const isNew = !entry;
  if (!entry) {
    entry = { info, count: 0, state: null, closed: false, row: null };
    sessions.set(info.session, entry);
  }
  entry.info = { ...entry.info, ...info };
  if (typeof info.exchanges === "number") entry.count = Math.max(entry.count, info.exchanges);
  if (info.state) entry.state = info.state;
  if (info.closed) entry.closed = true;
  Object.assign(entry, patch);
  renderRow(entry);
  if (isNew) {
    $("session-list").prepend(entry.row);
    trim();
  }
  refreshEmpty();
  return { entry, isNew };
}

/** Keep the list short: drop the oldest closed sessions beyond MAX_ROWS. */
function trim() {
  if (sessions.size <= MAX_ROWS) return;
  for (const [id, entry] of [...sessions].reverse()) {
    if (sessions.size <= MAX_ROWS) break;
    if (entry.closed && id !== selected) {
      entry.row.remove();
      sessions.delete(id);
    }
  }
}

function markSelected() {
  for (const entry of sessions.values()) {
    const button = entry.row && entry.row.querySelector("button");
    if (button) button.setAttribute("aria-pressed", String(entry.info.session === selected));
  }
}

// ---------------------------------------------------------------- the selected session

function accept(ex) {
  if (typeof ex.seq === "number") {
    if (ex.seq <= lastSeq) return;
    lastSeq = ex.seq;
  }
  view.addExchange(local(ex, shownProtocol));
}

let shownProtocol = "smtp";
/** Explain and colour the selected session in its own protocol's terms. */
function useProtocol(protocol) {
  if (protocol === shownProtocol && explainer.protocol === protocol) return;
  shownProtocol = protocol;
  const cat = catalogueOf(protocol);
  explainer.setSource({ protocol, catalogue: cat });
  cat.then((c) => { if (shownProtocol === protocol) view.setClasses(classesFromCatalogue(c)); });
}

async function select(id) {
  if (!sessions.has(id)) return;
  selected = id;
  loading = true;
  held = [];
  lastSeq = 0;
  explainer.clear();
  markSelected();
  const { info } = sessions.get(id);
  const protocol = protocolOf(info);
  $("live-selected").textContent = `${protocol.toUpperCase()} · ${t("ui.live.selected", { peer: info.peer || "?", time: clock(info.started) })}`;
  useProtocol(protocol);
  view.load(new Timeline({ protocol, session: id, peer: info.peer }));
  const answer = await api.call("live.history", { session: id });
  if (selected !== id) return; // another session was chosen meanwhile
  loading = false;
  if (!answer.ok) {
    showAlert(answer.error.message);
    return;
  }
  const timeline = new Timeline({ protocol, session: id, peer: info.peer });
  for (const ex of answer.exchanges || []) {
    timeline.add(local(ex, protocol));
    if (typeof ex.seq === "number") lastSeq = Math.max(lastSeq, ex.seq);
  }
  view.load(timeline, { at: "end" });
  if (answer.info) upsert(answer.info);
  for (const ex of held) accept(ex);
  held = [];
}

// ---------------------------------------------------------------- events

function watch() {
  api.call("live.watch", {}).then((answer) => {
    if (!answer.ok) {
      showAlert(answer.error.message);
      return;
    }
    showAlert("");
    const list = [...(answer.sessions || [])].sort((a, b) => (a.started || 0) - (b.started || 0));
    for (const info of list) upsert(info);
    if (!selected && list.length) select(list[list.length - 1].session);
  });
}
api.onConnect(watch);

api.on("live.session", (info) => {
  if (!info || !info.session) return;
  const { isNew } = upsert(info, { state: "connecting" });
  if (isNew) announce($("sessions-status"), t("ui.live.new_session", { peer: info.peer || "?" }));
  if (isNew && ($("follow").checked || !selected)) select(info.session);
});

api.on("exchange", (ex) => {
  if (!ex || !sessions.has(ex.session)) return;
  const entry = sessions.get(ex.session);
  upsert(entry.info, {
    count: Math.max(entry.count, typeof ex.seq === "number" ? ex.seq : entry.count + 1),
    state: ex.state || entry.state,
  });
  if (ex.session !== selected) return;
  if (loading) held.push(ex);
  else accept(ex);
});

api.on("session.state", (msg) => {
  if (msg && sessions.has(msg.session)) upsert(sessions.get(msg.session).info, { state: msg.state });
});

api.on("session.closed", (msg) => {
  if (msg && sessions.has(msg.session)) upsert(sessions.get(msg.session).info, { closed: true, state: "closed" });
});

// ---------------------------------------------------------------- how to connect

document.querySelectorAll("[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const ok = await copyText($(button.dataset.copy).textContent);
    announce($("howto-status"), ok ? t("ui.live.copied") : t("ui.transcript.copy_failed"));
  });
});

// ---------------------------------------------------------------- the real ports' faults

const teacherKey = createTeacherKey($("teacher-key"), { onSubmit: () => faults.apply(faults.getPlan()) });
const portRadios = [...document.querySelectorAll("#faults-panel [data-part=ports] input[type=radio]")];
let portProtocol = normaliseProtocol((portRadios.find((r) => r.checked) || {}).value) || "smtp";

/** The whole plan (every port's rules), for naming the rule behind a fault-made exchange. */
async function refreshWholePlan() {
  const answer = await rest("/api/faults");
  if (answer.ok) wholePlan = answer.data;
}

async function applyPortPlan(plan) {
  const protocol = portProtocol;
  const url = `/api/faults?protocol=${protocol}`;
  const answer = Array.isArray(plan.rules) && plan.rules.length === 0
    ? await rest(url, { method: "DELETE", headers: teacherKey.headers() })
    : await rest(url, { method: "PUT", body: plan, headers: teacherKey.headers() });
  if (answer.status === 401) {
    teacherKey.ask();
    return { ok: false, error: { code: "unauthorized", message: t(teacherKey.key ? "ui.live.key_wrong" : "ui.live.key_needed") } };
  }
  if (!answer.ok) return answer;
  teacherKey.hide();
  refreshWholePlan();
  return { ok: true, faults: answer.data };
}

const faults = createFaultPanel($("faults-panel"), {
  protocol: portProtocol, catalogue: catalogueOf(portProtocol), presets, apply: applyPortPlan,
});

/** Show the rules in force on one port (the editor shows them; Apply replaces only them). */
async function loadPortPlan(protocol) {
  const answer = await rest(`/api/faults?protocol=${protocol}`);
  if (protocol !== portProtocol) return; // another port was chosen meanwhile
  if (!answer.ok) {
    faults.showError(answer.error.message);
    return;
  }
  faults.setPlan(answer.data);
  const n = (answer.data && answer.data.rules ? answer.data.rules.length : 0);
  const name = protocol.toUpperCase();
  faults.setStatus(n ? t("ui.live.port_plan", { n, protocol: name }) : t("ui.live.port_plan_none", { protocol: name }));
}

for (const radio of portRadios) {
  radio.addEventListener("change", () => {
    if (!radio.checked) return;
    portProtocol = normaliseProtocol(radio.value) || "smtp";
    faults.setProtocol(portProtocol, catalogueOf(portProtocol));
    loadPortPlan(portProtocol);
  });
}

refreshWholePlan();
loadPortPlan(portProtocol);
