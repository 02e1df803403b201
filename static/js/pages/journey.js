/**
 * journey.js: the journey page, Carol's message to Bob across the lecture's
 * fourth architecture, animated hop by hop.
 *
 * The server runs the whole journey at once (Socket.IO `journey.run`, real
 * engines, simulated time) and answers with its hops, each with the
 * transcript of its own session (docs/journey.md). This page replays it: an
 * envelope travels along the route of each hop on the map (the SVG in
 * journey.html), a simulated clock shows the waits in the queue, the hop
 * list and the timeline fill in as the envelope arrives, and any hop opens
 * its own sequence diagram (the lab's session view) with the lab's
 * explanations beside it.
 *
 * The player is time-based like the lab's: a position in steps (a hop or a
 * wait), advanced by requestAnimationFrame at speed × one step per
 * STEP_MS; play, pause, step, restart, end, speed and a scrub range. With
 * prefers-reduced-motion the envelope jumps instead of gliding.
 *
 * Everything the server or the learner wrote reaches the page as text
 * (dom.js `el`, textContent), never as markup.
 */
import { t, lang, pick } from "../lib/i18n.js";
import { connect, getCached } from "../lib/api.js";
import { el, replace, announce } from "../lib/dom.js";
import { createSessionView } from "../components/sessionview.js";
import { createExplainer, answeredCommand } from "../components/explain.js";
import { createPresenter } from "../components/presenter.js";
import { Timeline } from "../core/timeline.js";
import { classesFromCatalogue } from "../core/protocols.js";

const STEP_MS = 1700;
const SPEEDS = [0.5, 1, 2, 4, 8];
const SVGNS = "http://www.w3.org/2000/svg";
const MARK = { ok: "✔", deferred: "⟳", failed: "✖" };
const READ_PROTOCOLS = ["pop3", "imap"];
const CUSTOM = "__custom__";
// The stages a free-form fault is offered for, per protocol (those the journey's clients reach).
const USEFUL_STAGES = {
  smtp: ["connect", "greeting", "EHLO", "MAIL", "RCPT", "DATA", "DATA_END"],
  pop3: ["connect", "greeting", "USER", "PASS", "STAT", "LIST", "RETR"],
  imap: ["connect", "greeting", "LOGIN", "SELECT", "SEARCH", "FETCH"],
};
// Where the envelope waits: the queue box and Bob's mailbox on the map.
const PARK = { queue: "390,193", mailbox: "780,215" };
const HOP_FAULT = { submit: "submit", relay: "relay", read: "read", dns: "dns" };

const $ = (id) => document.getElementById(id);
const reduced = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };

const api = connect();
const info = getCached(`/api/journeys?lang=${lang}`).then((a) => (a.ok ? a.data : null));
const catalogues = {};
function catalogue(protocol) {
  if (!catalogues[protocol]) {
    catalogues[protocol] = getCached(`/api/catalogue?protocol=${protocol}`).then((a) => (a.ok ? a.data : null));
  }
  return catalogues[protocol];
}

// ------------------------------------------------------------------ state
let journey = null;      // the server's answer
let steps = [];          // [{type: "hop", hop, index} | {type: "wait", from, to, next}]
let pos = 0;             // position in steps (float)
let playing = false;
let speed = 1;
let raf = 0;
let lastFrame = 0;
let shownStep = -1;      // the last step whose arrival the lists show
let selectedHop = null;

// ------------------------------------------------------------------ helpers
function duration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} ${t("journey.unit.s")}`;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return [[d, "d"], [h, "h"], [m, "min"]].filter(([n]) => n).slice(0, 2)
    .map(([n, u]) => `${n} ${t(`journey.unit.${u}`)}`).join(" ") || `0 ${t("journey.unit.min")}`;
}

function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = String(Math.floor((s % 3600) / 60)).padStart(2, "0"), sec = String(s % 60).padStart(2, "0");
  return `+${d ? `${d} ${t("journey.unit.d")} ` : ""}${h}:${m}:${sec}`;
}

function partyName(id) {
  const p = journey && journey.parties.find((x) => x.id === id);
  return p ? pick(p.name) : id;
}

function hopTitle(hop) {
  const name = t(`journey.hop.kind.${hop.kind}`);
  return hop.attempt > 1 || ["dns", "relay"].includes(hop.kind) && journeyHasRetries()
    ? t("journey.hop.attempt", { name, n: hop.attempt }) : name;
}

function journeyHasRetries() {
  return journey && journey.hops.some((h) => h.attempt > 1);
}

function replyText(hop) {
  if (!hop.reply) return hop.kind === "dns" && hop.answer ? hop.answer.toUpperCase() : "";
  const code = String(hop.reply.code);
  return hop.reply.text.startsWith(code) ? hop.reply.text : `${code} ${hop.reply.text}`;
}

// ------------------------------------------------------------------ the form
const form = $("jr-form");
const presetSelect = $("jr-preset");
const story = $("jr-story");
const errorBox = $("jr-error");
const sendButton = $("jr-send");
const custom = $("jr-custom");
const customGrid = $("jr-custom-grid");
let model = null;
let presets = [];

function readProtocol() {
  const chosen = form.querySelector('input[name="read"]:checked');
  return chosen && READ_PROTOCOLS.includes(chosen.value) ? chosen.value : "pop3";
}

info.then((data) => {
  if (!data) {
    showError(t("journey.error.load"));
    return;
  }
  presets = data.presets;
  model = data.fault_model;
  replace(presetSelect,
    presets.map((p) => el("option", { value: p.name }, p.title)),
    el("option", { value: CUSTOM }, t("journey.run.custom_option")));
  const wanted = new URLSearchParams(location.search).get("preset");
  presetSelect.value = presets.some((p) => p.name === wanted) ? wanted : presets[0].name;
  buildCustom();
  showStory();
});

function showStory() {
  const p = presets.find((x) => x.name === presetSelect.value);
  story.textContent = p ? p.story : t("journey.custom.story");
  custom.classList.toggle("jr-custom-active", presetSelect.value === CUSTOM);
  if (presetSelect.value === CUSTOM) custom.open = true;
}
presetSelect.addEventListener("change", showStory);
form.addEventListener("change", (ev) => {
  if (ev.target.name === "read") buildCustomRead();
  if (ev.target.closest && ev.target.closest("#jr-custom-grid")) {
    presetSelect.value = CUSTOM;
    showStory();
  }
});

/** One fieldset per hop: a stage, what the server does there, how often. */
function buildCustom() {
  if (!model) return;
  replace(customGrid,
    smtpFieldset("submit", model.submit),
    dnsFieldset(),
    smtpFieldset("relay", model.relay),
    el("div", { id: "jr-custom-read" }));
  buildCustomRead();
}

function buildCustomRead() {
  const box = $("jr-custom-read");
  if (!box || !model) return;
  const protocol = readProtocol();
  replace(box, smtpFieldset("read", model[`read_${protocol}`]));
}

function timesSelect(id) {
  return el("select", { id, "data-part": "times" },
    el("option", { value: "1" }, t("journey.custom.once")),
    el("option", { value: "2" }, t("journey.custom.twice")),
    el("option", { value: "" }, t("journey.custom.always")));
}

function smtpFieldset(hop, hopModel) {
  const protocol = hopModel.protocol;
  const stages = hopModel.stages.filter((s) => USEFUL_STAGES[protocol].includes(s));
  const codes = hopModel.codes.filter((c) => (protocol === "smtp" ? Number(c) >= 400 : !["+OK", "OK", "PREAUTH", "+"].includes(c)));
  const id = (part) => `jr-f-${hop}-${part}`;
  return el("fieldset", { class: "jr-fault", "data-hop": hop, "data-protocol": protocol },
    el("legend", {}, t(`journey.custom.hop.${hop}`), " ", el("span", { class: "tag" }, protocol.toUpperCase())),
    el("div", { class: "field" }, el("label", { for: id("stage") }, t("journey.custom.stage")),
      el("select", { id: id("stage"), "data-part": "stage" },
        stages.map((s) => el("option", { value: s, selected: s === "RCPT" || s === "PASS" || s === "LOGIN" }, s)))),
    el("div", { class: "field" }, el("label", { for: id("action") }, t("journey.custom.action")),
      el("select", { id: id("action"), "data-part": "action" },
        el("option", { value: "" }, t("journey.custom.none")),
        codes.map((c) => el("option", { value: `reply:${c}` }, t("journey.custom.reply", { code: c }))),
        el("option", { value: "silent" }, t("journey.custom.silent")),
        el("option", { value: "disconnect" }, t("journey.custom.disconnect")))),
    el("div", { class: "field" }, el("label", { for: id("times") }, t("journey.custom.times")), timesSelect(id("times"))));
}

function dnsFieldset() {
  return el("fieldset", { class: "jr-fault", "data-hop": "dns", "data-protocol": "dns" },
    el("legend", {}, t("journey.custom.hop.dns"), " ", el("span", { class: "tag" }, "DNS")),
    el("div", { class: "field" }, el("label", { for: "jr-f-dns-answer" }, t("journey.custom.answer")),
      el("select", { id: "jr-f-dns-answer", "data-part": "answer" },
        el("option", { value: "" }, t("journey.custom.dns_ok")),
        ["nxdomain", "servfail", "timeout"].map((a) => el("option", { value: a }, t(`journey.custom.dns_${a}`))))),
    el("div", { class: "field" }, el("label", { for: "jr-f-dns-times" }, t("journey.custom.times")), timesSelect("jr-f-dns-times")));
}

/** The free-form faults as the server takes them: {hop: plan}. */
function customFaults() {
  const faults = {};
  for (const fs of customGrid.querySelectorAll("fieldset[data-hop]")) {
    const hop = fs.dataset.hop;
    const part = (name) => fs.querySelector(`[data-part="${name}"]`);
    const times = part("times").value ? Number(part("times").value) : undefined;
    if (hop === "dns") {
      const answer = part("answer").value;
      if (answer) faults.dns = times ? { answer, times } : { answer };
      continue;
    }
    const action = part("action").value;
    if (!action) continue;
    const rule = { stage: part("stage").value };
    if (action.startsWith("reply:")) {
      const code = action.slice(6);
      rule.reply = fs.dataset.protocol === "smtp" ? Number(code) : code;
    } else {
      rule[action] = true;
    }
    if (times) rule.times = times;
    faults[hop] = { rules: [rule] };
  }
  return faults;
}

function showError(message) {
  errorBox.textContent = message || "";
  errorBox.hidden = !message;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError("");
  const payload = { read: readProtocol() };
  if (presetSelect.value === CUSTOM) payload.faults = customFaults();
  else payload.preset = presetSelect.value;
  sendButton.disabled = true;
  $("jr-status").textContent = t("journey.run.sending");
  const answer = await api.call("journey.run", payload, 30000);
  sendButton.disabled = false;
  if (!answer.ok) {
    $("jr-status").textContent = "";
    showError(answer.error.message);
    return;
  }
  load(answer.journey);
  setPlaying(true);
});

// ------------------------------------------------------------------ the map
const map = $("jr-map");
const envelope = $("jr-envelope");
const marks = $("jr-marks");
const routes = {};
for (const path of map.querySelectorAll(".jr-routes path")) routes[path.dataset.kind] = path;

function routeOf(hop) {
  if (hop.kind === "submit" && hop.to === "receiver_mta") return routes.submit_mx;
  return routes[hop.kind] || null;
}

function svg(name, attrs, parent, text) {
  const node = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

/** Where the envelope is on a hop's route at fraction f: a refused hop goes out and comes back. */
function along(hop, f) {
  if (hop.kind === "dns" || hop.outcome === "ok") return f;
  if (hop.kind === "read") return f < 0.5 ? f * 0.6 : (1 - f) * 0.6;
  return f < 0.6 ? (f / 0.6) * 0.92 : 0.92 * (1 - (f - 0.6) / 0.4);
}

function placeEnvelope(hop, f) {
  const route = routeOf(hop);
  if (!route) {
    envelope.setAttribute("visibility", "hidden");
    return;
  }
  const length = route.getTotalLength();
  const p = route.getPointAtLength(length * Math.max(0, Math.min(1, along(hop, f))));
  envelope.setAttribute("transform", `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`);
  envelope.setAttribute("visibility", "visible");
  envelope.classList.toggle("jr-envelope-bounce", hop.kind === "bounce");
}

/** The mark at the end of a hop's route: ✔, ⟳ or ✖. */
function drawMark(hop, cls = "") {
  const route = routeOf(hop);
  if (!route) return;
  const length = route.getTotalLength();
  const at = hop.kind === "dns" ? 0.5 : hop.kind === "read" && hop.outcome !== "ok" ? 0.3
    : hop.outcome === "ok" ? 1 : 0.9;
  const p = route.getPointAtLength(length * at);
  const g = svg("g", { class: `jr-mark jr-mark-${hop.outcome} ${cls}`.trim(), transform: `translate(${p.x},${p.y - 26})` }, marks);
  svg("circle", { r: 13 }, g);
  svg("text", { y: 5, "text-anchor": "middle" }, g, MARK[hop.outcome] || "•");
}

function showRoutes(current) {
  for (const path of Object.values(routes)) path.removeAttribute("class");
  const done = new Map();
  for (let i = 0; i < Math.min(current, steps.length); i++) {
    if (steps[i].type === "hop") done.set(routeOf(steps[i].hop), steps[i].hop.outcome);
  }
  for (const [route, outcome] of done) if (route) route.setAttribute("class", `jr-route-done jr-route-${outcome}`);
  const step = steps[current];
  if (step && step.type === "hop" && routeOf(step.hop)) routeOf(step.hop).setAttribute("class", "jr-route-active");
  for (const g of map.querySelectorAll("[data-party]")) {
    const active = step && step.type === "hop" && [step.hop.from, step.hop.to].includes(g.dataset.party);
    g.classList.toggle("jr-party-active", Boolean(active));
  }
}

// ------------------------------------------------------------------ steps
function buildSteps(j) {
  const out = [];
  j.hops.forEach((hop, index) => {
    const prev = j.hops[index - 1];
    const prevEnd = prev ? prev.sim_time + prev.duration : 0;
    if (hop.sim_time - prevEnd > 1) out.push({ type: "wait", from: prevEnd, to: hop.sim_time, next: hop });
    out.push({ type: "hop", hop, index });
  });
  return out;
}

function waitText(step) {
  const wait = duration(step.to - step.from);
  const next = step.next;
  if (next.kind === "read") return t("journey.wait.read", { wait });
  if (next.kind === "bounce") return t("journey.wait.expire", { wait });
  return t("journey.wait.retry", { wait, n: next.attempt });
}

function clockAt(position) {
  if (!steps.length) return 0;
  const i = Math.min(Math.floor(position), steps.length - 1);
  const f = Math.min(1, position - i);
  const step = steps[i];
  if (step.type === "wait") return step.from + (step.to - step.from) * easeInOut(f);
  return step.hop.sim_time + step.hop.duration * f;
}

const easeInOut = (f) => (f < 0.5 ? 2 * f * f : 1 - (-2 * f + 2) ** 2 / 2);

// ------------------------------------------------------------------ rendering
function render() {
  if (!journey) return;
  const n = steps.length;
  pos = Math.max(0, Math.min(n, pos));
  // Exactly between two steps (after a step or a seek), the step just finished is shown, complete.
  const whole = pos > 0 && pos === Math.floor(pos);
  const i = whole ? pos - 1 : Math.max(0, Math.min(Math.floor(pos), n - 1));
  let f = whole ? 1 : pos - Math.floor(pos);
  if (reduced.matches && f > 0) f = 1;
  const step = steps[i];
  showRoutes(pos >= n ? n : i);
  const note = $("jr-clock-note");
  if (step.type === "hop") {
    placeEnvelope(step.hop, easeInOut(f));
    note.textContent = hopTitle(step.hop);
  } else {
    // Waiting: in mail.example.net's queue, or (before Bob reads) in Bob's mailbox.
    const at = step.next.kind === "read" ? PARK.mailbox : PARK.queue;
    envelope.setAttribute("transform", `translate(${at})`);
    envelope.setAttribute("visibility", "visible");
    envelope.classList.remove("jr-envelope-bounce");
    note.textContent = waitText(step);
  }
  $("jr-clock").textContent = clockText(clockAt(Math.min(pos, n)));
  // Steps that have arrived: completed when the position passed them.
  const arrived = f >= 1 ? i : i - 1;
  if (arrived !== shownStep) showArrived(arrived);
  syncPlayer();
}

function showArrived(last) {
  shownStep = last;
  replace(marks);
  let lastHop = null;
  for (let k = 0; k <= last; k++) if (steps[k].type === "hop") lastHop = steps[k].hop;
  if (lastHop) drawMark(lastHop);
  const ended = last >= steps.length - 1;
  if (ended && journey.stopped) {
    const stop = journey.hops.find((h) => h.id === journey.stopped.hop);
    if (stop && stop !== lastHop) drawMark(stop, "jr-mark-stop");
  }
  // The hop list and the timeline show what has happened by now.
  const now = clockAt(last + 1);
  const reached = new Set();
  for (let k = 0; k <= last; k++) if (steps[k].type === "hop") reached.add(steps[k].hop.id);
  for (const li of $("jr-hops").children) {
    li.hidden = !reached.has(li.dataset.hop);
  }
  $("jr-hops-empty").hidden = reached.size > 0;
  for (const li of $("jr-timeline").children) li.hidden = Number(li.dataset.time) > now + 0.0005 && !ended;
  showBoxes(reached, ended);
  const step = steps[last];
  if (step && step.type === "hop") {
    announce($("jr-live"), `${hopTitle(step.hop)}: ${pick(step.hop.explain)}`);
  }
  $("jr-status").textContent = ended ? endText() : "";
  // Where the journey stopped, and why (the stopping hop's own explanation).
  const stopBox = $("jr-stop");
  const stop = ended && journey.stopped ? journey.hops.find((h) => h.id === journey.stopped.hop) : null;
  stopBox.hidden = !stop;
  if (stop) {
    replace(stopBox, el("strong", {}, t("journey.stop.at", { n: journey.hops.indexOf(stop) + 1, name: hopTitle(stop) })),
      " ", pick(journey.stopped.explain));
  }
}

function endText() {
  const end = journey.timeline.find((e) => e.kind === "end");
  return end ? pick(end.text) : "";
}

// ------------------------------------------------------------------ lists
function fillHops() {
  replace($("jr-hops"), journey.hops.map((hop, i) => {
    const reply = replyText(hop);
    return el("li", { "data-hop": hop.id, class: `jr-hop-item jr-${hop.outcome}`, hidden: true },
      el("button", { type: "button", class: "jr-hop-btn", "data-hop": hop.id, "aria-controls": "jr-hop",
        onclick: () => openHop(hop.id) },
      el("span", { class: "jr-hop-n" }, `${i + 1}`),
      el("span", { class: "jr-hop-main" },
        el("span", { class: "jr-hop-name" }, hopTitle(hop)),
        el("span", { class: "jr-hop-route" }, routeText(hop))),
      el("span", { class: "jr-hop-out" },
        el("span", { class: "jr-sym", "aria-hidden": "true" }, MARK[hop.outcome] || "•"),
        el("span", { class: "sr-only" }, t(`journey.outcome.${hop.outcome}`)),
        reply ? el("code", {}, reply.length > 42 ? `${reply.slice(0, 41)}…` : reply) : null),
      el("span", { class: "jr-hop-time" }, clockText(hop.sim_time))));
  }));
}

/** "Carol's mail server → Bob's mail server · SMTP"; a delivery ends in a mailbox, by no protocol. */
function routeText(hop) {
  if (hop.kind === "deliver" || hop.kind === "bounce") {
    const user = hop.kind === "deliver" ? (journey.mailbox || {}).user || "bob" : journey.message.from.split("@")[0];
    const how = hop.kind === "deliver" ? t("journey.hop.local_short") : "SMTP";
    return `${partyName(hop.from)} → ${t("journey.hop.inbox", { user })} · ${how}`;
  }
  return `${partyName(hop.from)} → ${partyName(hop.to)} · ${hop.protocol.toUpperCase()}`;
}

function fillTimeline() {
  replace($("jr-timeline"), journey.timeline.map((ev) =>
    el("li", { class: `jr-ev jr-ev-${ev.kind}`, "data-time": String(ev.sim_time), hidden: true },
      el("span", { class: "jr-ev-time" }, clockText(ev.sim_time)), " ",
      el("span", {}, pick(ev.text)))));
}

function showBoxes(reached, ended) {
  const bounceHop = journey.hops.find((h) => h.kind === "bounce");
  const bounce = $("jr-bounce");
  const carolEmpty = $("jr-carol-empty");
  if (journey.bounce && bounceHop && reached.has(bounceHop.id)) {
    if (bounce.hidden) {
      const b = journey.bounce;
      replace(bounce,
        el("p", { class: "jr-bounce-head" }, el("strong", {}, t("journey.carol_box.arrived")), " ",
          t("journey.carol_box.status", { status: b.status })),
        b.parts.map((part) => el("section", { class: "jr-part" },
          el("h3", {}, part.description || part.type, " ", el("code", {}, part.type)),
          el("pre", { tabindex: "0" }, part.text))),
        el("details", { class: "jr-raw" }, el("summary", {}, t("journey.carol_box.raw")),
          el("pre", { tabindex: "0" }, b.text)));
      bounce.hidden = false;
    }
    carolEmpty.hidden = true;
  } else {
    bounce.hidden = true;
    carolEmpty.hidden = false;
    carolEmpty.textContent = ended && journey.outcome === "queued" ? t("journey.carol_box.outbox")
      : ended && journey.outcome === "refused" ? t("journey.carol_box.refused") : t("journey.carol_box.empty");
  }
  const deliver = journey.hops.find((h) => h.kind === "deliver");
  const bob = $("jr-bob-state");
  if (deliver && reached.has(deliver.id) && journey.mailbox) {
    bob.textContent = t("journey.bob_box.delivered", { user: journey.mailbox.user, uid: journey.mailbox.uid });
    const read = journey.hops.find((h) => h.kind === "read");
    if (read && reached.has(read.id)) {
      bob.textContent += " " + t(read.outcome === "ok" ? "journey.bob_box.read_ok" : "journey.bob_box.read_failed");
    }
  } else {
    bob.textContent = t(ended && journey.outcome === "bounced" ? "journey.bob_box.bounced" : "journey.bob_box.empty");
  }
}

// ------------------------------------------------------------------ one hop's diagram
let view = null;
let explainer = null;

/* Presenter mode (P or the button): large type, the hop's diagram in presenter metrics. */
let presenting = 0; // the presenter scale while on, else 0
if ($("btn-presenter")) {
  createPresenter({
    button: $("btn-presenter"),
    focusTarget: () => $("jr-map"),
    onChange(on, scale) {
      presenting = on ? scale : 0;
      if (view) view.diagram.setPresenter(on, scale);
    },
  });
}

function ensureView() {
  if (view) return;
  view = createSessionView($("jr-diagram"), {
    t, lang, keyboard: false, title: t("journey.hop.diagram"),
    onSelect: (ex) => explainExchange(ex),
  });
  if (presenting) view.diagram.setPresenter(true, presenting);
  explainer = createExplainer($("jr-explain"), { catalogue: catalogue("smtp"), context, protocol: "smtp" });
}

function context(ex) {
  const hop = selectedHop;
  const plan = hop && journey.faults[HOP_FAULT[hop.kind]];
  const rule = ex.fault && plan && plan.rules ? plan.rules[ex.fault.rule] || null : null;
  const exchanges = view ? view.timeline.exchanges : [];
  return { command: answeredCommand(exchanges, ex, hop ? hop.protocol : "smtp"), rule, exchanges };
}

function explainExchange(ex) {
  if (!selectedHop || selectedHop.protocol === "dns") {
    const body = $("jr-explain").querySelector('[data-part="body"]');
    const key = ex.kind === "command" ? "journey.dns.query" : ex.kind === "silence" ? "journey.dns.silence"
      : `journey.dns.${String(ex.key || "dns.mx").replace("dns.", "")}`;
    replace(body, el("article", { class: "explain" },
      el("h3", { class: "explain-title" }, el("span", { class: "explain-code" }, "DNS")),
      ex.text ? el("pre", { class: "explain-wire" }, ex.text) : null,
      el("p", {}, t(key)),
      ex.fault ? el("p", { class: "explain-muted" }, t("journey.dns.fault")) : null));
    return;
  }
  explainer.show(ex);
}

function openHop(id) {
  const hop = journey && journey.hops.find((h) => h.id === id);
  if (!hop) return;
  selectedHop = hop;
  const panel = $("jr-hop");
  panel.hidden = false;
  ensureView();
  for (const b of document.querySelectorAll(".jr-hop-btn")) {
    b.setAttribute("aria-pressed", b.dataset.hop === id ? "true" : "false");
  }
  const index = journey.hops.indexOf(hop) + 1;
  $("jr-hop-title").textContent = t("journey.hop.heading", { n: index, name: hopTitle(hop),
    from: partyName(hop.from), to: partyName(hop.to) });
  $("jr-hop-explain").textContent = pick(hop.explain);
  const note = $("jr-hop-note");
  note.hidden = hop.exchanges.length > 0;
  note.textContent = hop.kind === "deliver" ? t("journey.hop.local") : t("journey.hop.no_exchanges");
  const tl = new Timeline({ ...(hop.meta || {}), session: `${journey.message.message_id}-${hop.id}` });
  for (const ex of hop.exchanges) tl.add(ex);
  view.load(tl, { at: "end" });
  if (["smtp", "pop3", "imap"].includes(hop.protocol)) {
    catalogue(hop.protocol).then((cat) => {
      if (typeof view.setClasses === "function") view.setClasses(classesFromCatalogue(cat));
    });
    if (typeof explainer.setSource === "function") {
      explainer.setSource({ protocol: hop.protocol, catalogue: catalogue(hop.protocol) });
    }
  }
  explainer.clear();
  $("jr-hop-title").focus({ preventScroll: true });
  panel.scrollIntoView({ behavior: reduced.matches ? "auto" : "smooth", block: "start" });
}

// ------------------------------------------------------------------ the player
const playerBox = $("jr-player");

// The player's icons as paths (some fonts lack ⏮ and ⏭).
const ICONS = {
  restart: "M5 5h2.5v14H5z M19 5v14L8.5 12z",
  back: "M17.5 5h2.5v14h-2.5z M16 5v14L5 12z",
  forward: "M4 5h2.5v14H4z M8 5v14l11-7z",
  end: "M16.5 5H19v14h-2.5z M5 5v14l10.5-7z",
};

function icon(name) {
  const box = svg("svg", { viewBox: "0 0 24 24", width: "18", height: "18", "aria-hidden": "true", focusable: "false" });
  svg("path", { d: ICONS[name], fill: "currentColor" }, box);
  return box;
}

const ui = buildPlayer();

function buildPlayer() {
  const button = (key, name, fn) => el("button", { type: "button", class: "btn btn-small jr-pbtn",
    "aria-label": t(key), title: t(key), onclick: fn, disabled: true }, icon(name));
  const restart = button("journey.player.restart", "restart", () => seek(0));
  const back = button("journey.player.back", "back", () => step(-1));
  const play = el("button", { type: "button", class: "btn btn-small btn-primary jr-play", onclick: () => setPlaying(!playing),
    disabled: true }, t("journey.player.play"));
  const fwd = button("journey.player.forward", "forward", () => step(+1));
  const end = button("journey.player.end", "end", () => seek(steps.length));
  const speedSel = el("select", { id: "jr-speed", onchange: () => { speed = Number(speedSel.value) || 1; } },
    SPEEDS.map((s) => el("option", { value: String(s), selected: s === 1 }, `${s.toLocaleString(lang)}×`)));
  const range = el("input", { type: "range", min: "0", max: "0", step: "1", value: "0", class: "jr-range",
    "aria-label": t("journey.player.position"), disabled: true, oninput: () => seek(Number(range.value)) });
  replace(playerBox, restart, back, play, fwd, end,
    el("label", { class: "jr-speed", for: "jr-speed" }, t("journey.player.speed")), speedSel, range);
  return { restart, back, play, fwd, end, range, speedSel };
}

function syncPlayer() {
  const has = steps.length > 0;
  for (const b of [ui.restart, ui.back, ui.play, ui.fwd, ui.end, ui.range]) b.disabled = !has;
  ui.play.textContent = t(playing ? "journey.player.pause" : (pos >= steps.length && has ? "journey.player.replay" : "journey.player.play"));
  ui.play.setAttribute("aria-pressed", playing ? "true" : "false");
  ui.range.max = String(steps.length);
  ui.range.value = String(Math.floor(pos));
}

function setPlaying(on) {
  if (!steps.length) return;
  if (on && pos >= steps.length) pos = 0;
  playing = on;
  cancelAnimationFrame(raf);
  if (playing) {
    lastFrame = performance.now();
    raf = requestAnimationFrame(frame);
  }
  render();
}

function frame(now) {
  const dt = Math.max(0, Math.min(200, now - lastFrame)); // a frame's time may precede the call that asked for it
  lastFrame = now;
  pos = Math.min(steps.length, pos + (dt * speed) / STEP_MS);
  if (pos >= steps.length) playing = false;
  render();
  if (playing) raf = requestAnimationFrame(frame);
}

function seek(to) {
  pos = Math.max(0, Math.min(steps.length, to));
  if (pos >= steps.length) playing = false;
  if (!playing) cancelAnimationFrame(raf);
  render();
}

function step(delta) {
  setPlaying(false);
  seek(delta > 0 ? Math.floor(pos) + 1 : Math.ceil(pos) - 1);
}

// ------------------------------------------------------------------ loading a journey
function load(j) {
  journey = j;
  steps = buildSteps(j);
  pos = 0;
  shownStep = -2;
  selectedHop = null;
  $("jr-hop").hidden = true;
  $("jr-bounce").hidden = true;
  fillHops();
  fillTimeline();
  map.classList.toggle("jr-misrouted", j.parties.some((p) => p.unused));
  render();
}

// Clicking a route on the map opens the hop that used it last (the list is the keyboard way).
map.addEventListener("click", (ev) => {
  const path = ev.target.closest && ev.target.closest(".jr-routes path");
  if (!path || !journey) return;
  const hops = journey.hops.filter((h, i) => routeOf(h) === path && steps.some((s, k) => s.hop === h && k <= shownStep));
  if (hops.length) openHop(hops[hops.length - 1].id);
});
reduced.addEventListener && reduced.addEventListener("change", render);

// ?at=run (a lesson's journey widget): open at the part its caption talks about. Only this page's own
// scroll moves (window.scrollTo, not scrollIntoView, which would scroll the lesson around the frame too).
const AT_PARTS = { figures: ".jr-arch", run: ".jr-run" };
const atPart = AT_PARTS[new URLSearchParams(location.search).get("at")];
if (atPart) {
  const scrollToPart = () => {
    const target = document.querySelector(atPart);
    if (target) window.scrollTo({ top: Math.max(0, target.getBoundingClientRect().top + window.scrollY - 8), behavior: "instant" });
  };
  if (document.readyState === "complete") requestAnimationFrame(scrollToPart);
  else window.addEventListener("load", () => requestAnimationFrame(scrollToPart), { once: true });
  info.then(() => requestAnimationFrame(scrollToPart)); // again once the presets have filled the form
}
