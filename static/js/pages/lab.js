/**
 * lab.js: the lab page, where a learner talks SMTP, POP3 or IMAP to a simulated server.
 *
 * Wires the pieces around the session view: the console types into the
 * current lab session, scenarios play into a fresh one, the fault panel
 * changes the server's behaviour, the explanation panel says what a clicked
 * arrow means, the transcript copies and exports, and a share link carries
 * the whole set-up (protocol, fault plan, scenario) to another screen.
 *
 * One session is current at a time. Its exchanges arrive as `exchange`
 * events, possibly before the acknowledgement that names the session, so
 * events of sessions not yet known are held until the answer comes.
 *
 * The protocol is part of the page's address (?protocol=pop3, SMTP when
 * absent): the template draws the switch, the console's examples and the
 * headings for it, and this script takes its catalogue, scenarios and
 * presets. Every learner's labs share one private copy of the world, so a
 * mail sent in the SMTP lab is there to read in the POP3 and IMAP labs.
 *
 * Embedded in a lesson (?embed=1, the template marks #lab-root) there is no
 * share box, presenter mode or protocol switch; `&focus=faults` brings the
 * fault panel into view; and a `#setup=` carrying `solution: "lesson/task"`
 * plays that task's reference solution (Socket.IO `lab.solution`), shown
 * with the fault plan it runs with.
 */
import { t, has, lang, pick } from "../lib/i18n.js";
import { connect, getCached } from "../lib/api.js";
import { el, replace, announce, copyText } from "../lib/dom.js";
import { createSessionView } from "../components/sessionview.js";
import { createConsole } from "../components/console.js";
import { createFaultPanel } from "../components/faults.js";
import { planProtocol } from "../core/faultplan.js";
import { readSetup, toBase64Url, canonical } from "../core/setup.js";
import { createExplainer, answeredCommand } from "../components/explain.js";
import { createTranscript } from "../components/transcript.js";
import { createPresenter } from "../components/presenter.js";
import { Timeline } from "../core/timeline.js";
import { normaliseProtocol, codeClass, classesFromCatalogue } from "../core/protocols.js";

const $ = (id) => document.getElementById(id);
/** The page's protocol, as the template chose it from ?protocol= (it checked the name). */
const PROTOCOL = normaliseProtocol($("lab-root") && $("lab-root").dataset.protocol) || "smtp";
/** In an iframe inside a lesson (?embed=1), and what the lesson wants in view (`faults`). */
const EMBEDDED = Boolean($("lab-root") && $("lab-root").dataset.embedded === "1");
const FOCUS = EMBEDDED ? $("lab-root").dataset.focus || "" : "";
if (EMBEDDED) {
  // A lesson page holds several labs: a script's focus() (a session that opens or
  // closes on its own) must not pull the keyboard and the scroll out of the lesson.
  // Inside the frame, once the learner works there, focus moves as usual.
  const focus = HTMLElement.prototype.focus;
  HTMLElement.prototype.focus = function focusWhenHere(options) {
    if (document.hasFocus()) focus.call(this, options);
  };
}
/** A string of this protocol when there is one (`key_pop3`), else the shared one. */
const tp = (key, params) => (PROTOCOL !== "smtp" && has(`${key}_${PROTOCOL}`) ? t(`${key}_${PROTOCOL}`, params) : t(key, params));

// Lab sessions belong to the Socket.IO connection: when it drops, they are gone.
const api = connect({
  onStatus(status) {
    if (status === "disconnected" && current && consoleUI.isOpen()) {
      handle("session.closed", { session: current, reason: "gone" });
    }
  },
});
const data = (url, fallback) => getCached(url).then((answer) => (answer.ok ? answer.data : fallback));
const catalogueOf = (protocol) => data(`/api/catalogue?protocol=${protocol}`, null);
const catalogue = catalogueOf(PROTOCOL);
const presets = data(`/api/presets?lang=${lang}`, []);
const scenarios = data(`/api/scenarios?lang=${lang}`, []);
/** A scenario's or preset's protocol: the field may be missing on SMTP's. */
const forThisProtocol = (item) => planProtocol(item) === PROTOCOL;
let classes = {}; // the catalogue's {code: class}: the reply colours
const classOf = (code) => codeClass(code, classes);

// ---------------------------------------------------------------- state

let current = null; // the session the page shows and types into
let opening = false; // an open/scenario request is on its way
let lastSeq = 0;
let appliedPlan = null; // the fault plan in force in the current session
let scenarioName = null; // the scenario played into it, for Share
let solutionPlaying = null; // "lesson/task" whose reference solution the current session plays
const held = new Map(); // session -> [type, event] that came before its acknowledgement
const ruleOf = new Map(); // seq -> the fault rule in force when that exchange came

// ---------------------------------------------------------------- pieces

const alertBox = $("lab-alert");
function showAlert(message) {
  alertBox.textContent = message || "";
  alertBox.hidden = !message;
}

/** The command a reply answers, the fault rule behind a fault-made exchange, and the session so far. */
function context(ex) {
  const exchanges = view.timeline.exchanges;
  return { command: answeredCommand(exchanges, ex, explainer.protocol), rule: ruleOf.get(ex.seq) || null, exchanges };
}

const explainer = createExplainer($("explain-panel"), { catalogue, context, protocol: PROTOCOL });

const view = createSessionView($("session-view"), {
  t,
  title: t("ui.lab.diagram_title"),
  meta: { protocol: PROTOCOL },
  onSelect: (ex) => { explainer.show(ex); reveal($("explain-panel")); },
});

const smooth = () => (matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth");
/**
 * Brings `element` into view when it is not: the explanation after an arrow is
 * picked (from 1200 px it is sticky beside the diagram, so this does nothing;
 * narrower, it is below), the diagram after a scenario is picked.
 */
function reveal(element, block = "nearest") {
  if (!element || EMBEDDED) return;
  const r = element.getBoundingClientRect();
  const seen = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
  if (seen >= Math.min(r.height, innerHeight) * 0.6) return;
  element.scrollIntoView({ block, behavior: smooth() });
}

const consoleUI = createConsole($("console"), {
  protocol: PROTOCOL,
  classOf,
  send: (line) => (current
    ? api.call("lab.send", { session: current, line })
    : Promise.resolve({ ok: false, error: { code: "unknown_session", message: t("ui.console.no_session") } })),
});
catalogue.then((c) => {
  if (!c) return;
  consoleUI.setCommands(c.commands);
  classes = classesFromCatalogue(c);
  view.setClasses(classes);
});

const transcript = createTranscript($("transcript"), {
  getView: () => view,
  classOf,
  onImport(text) {
    view.importJSON(text); // throws an Error with a message on bad input
    detach();
    // A transcript of another protocol is explained from that protocol's catalogue.
    const theirs = normaliseProtocol(view.timeline.meta.protocol) || "smtp";
    if (theirs !== explainer.protocol) explainer.setSource({ protocol: theirs, catalogue: catalogueOf(theirs) });
    explainer.clear();
    setSessionLabel(t("ui.lab.session_imported"));
    return view.timeline.exchanges;
  },
});

const faults = createFaultPanel($("faults-panel"), {
  protocol: PROTOCOL,
  catalogue,
  presets,
  async apply(plan) {
    if (current && consoleUI.isOpen()) {
      const answer = await api.call("lab.faults", { session: current, faults: plan });
      if (answer.ok) appliedPlan = answer.faults || plan;
      return answer;
    }
    // No open session: the plan is checked by opening one with it.
    const answer = await openSession({ plan: isEmpty(plan) ? null : plan });
    return answer.ok ? { ok: true, faults: appliedPlan || plan } : answer;
  },
});

if (!EMBEDDED) {
  createPresenter({
    button: $("btn-presenter"),
    // The diagram's own box (the session view's wrapper steps aside in presenter mode).
    focusTarget: () => document.querySelector("#session-view .dg-region"),
    onChange: (on, scale) => view.diagram.setPresenter(on, scale),
  });
}

// ---------------------------------------------------------------- sessions

/** A plan with no rules (one whose rules are not even a list is not empty: the server says why). */
function isEmpty(plan) {
  return !plan || (Array.isArray(plan.rules) && plan.rules.length === 0);
}

function shortId(session) {
  return String(session).replace(/^lab-/, "").slice(0, 8);
}

function setSessionLabel(text) {
  $("session-label").textContent = text;
}

function accept(ex) {
  if (typeof ex.seq === "number") {
    if (ex.seq <= lastSeq) return; // already shown
    lastSeq = ex.seq;
  }
  if (ex.fault && appliedPlan && Array.isArray(appliedPlan.rules)) {
    ruleOf.set(ex.seq, appliedPlan.rules[ex.fault.rule] || null);
  }
  view.addExchange(ex);
  consoleUI.addExchange(ex);
  transcript.add(ex);
}

/** Apply one server event of the current session to the page. */
function handle(type, msg) {
  if (type === "exchange") accept(msg);
  else if (type === "session.state") consoleUI.setState(msg.state);
  else if (type === "session.closed") {
    consoleUI.setClosed(msg.reason);
    setSessionLabel(t("ui.lab.session_closed", { reason: tp(`ui.closed.${msg.reason}`) }));
  }
}

for (const type of ["exchange", "session.state", "session.closed"]) {
  api.on(type, (msg) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.session === current) handle(type, msg);
    else if (opening) {
      // Events may come before the acknowledgement that names their session.
      if (!held.has(msg.session)) held.set(msg.session, []);
      held.get(msg.session).push([type, msg]);
    }
  });
}

/** Stop following the current session (closing it on the server if still open). */
function detach() {
  if (current && consoleUI.isOpen()) api.call("lab.close", { session: current });
  current = null;
  consoleUI.reset(false);
}

function resetView() {
  view.load(new Timeline({ protocol: PROTOCOL }));
  if (explainer.protocol !== PROTOCOL) explainer.setSource({ protocol: PROTOCOL, catalogue });
  transcript.clear();
  explainer.clear();
  lastSeq = 0;
  ruleOf.clear();
}

/**
 * Open a fresh session with `plan` as its fault plan and, when `scenario` is
 * given, play that scenario into it. With `usePreset` the server opens the
 * session itself, with the scenario's own preset. With `solution`
 * ("lesson/task") the server opens it and plays that task's reference
 * solution, with the solution's own faults. Resolves to the server's answer.
 * A later call supersedes an earlier one still waiting (two quick clicks):
 * the earlier one's session is closed and it resolves as superseded.
 */
let openings = 0;
async function openSession({ plan = appliedPlan, scenario = null, usePreset = false, solution = null,
  focus = true } = {}) {
  const mine = ++openings;
  const superseded = (answer) => {
    if (answer.ok && answer.session && answer.session !== current) api.call("lab.close", { session: answer.session });
    return { ok: false, error: { code: "superseded", message: "" } };
  };
  detach();
  resetView();
  consoleUI.reset(true);
  showAlert("");
  opening = true;
  held.clear();
  setSessionLabel(t("ui.lab.session_opening"));

  solutionPlaying = null;
  let answer;
  if (solution) {
    const [lesson, task] = solution.split("/");
    answer = await api.call("lab.solution", { lesson, task });
    if (mine !== openings) return superseded(answer);
  } else if (scenario && usePreset) {
    answer = await api.call("lab.scenario", { name: scenario });
    if (mine !== openings) return superseded(answer);
  } else {
    answer = await api.call("lab.open", { protocol: PROTOCOL, faults: plan || null });
    if (mine !== openings) return superseded(answer);
    if (answer.ok && scenario) {
      adopt(answer.session, plan);
      answer = await api.call("lab.scenario", { name: scenario, session: answer.session });
      if (mine !== openings) return superseded({ ok: false });
      if (answer.ok && !answer.session) answer.session = current;
    }
  }
  opening = false;
  if (!answer.ok) {
    held.clear();
    if (!current) consoleUI.reset(false);
    setSessionLabel(t("ui.lab.session_none"));
    return answer;
  }
  if (current !== answer.session) adopt(answer.session, answer.faults || plan);
  scenarioName = scenario;
  solutionPlaying = solution;
  held.clear();
  if (!scenario && !solution && focus) consoleUI.focus(); // after a scenario click, focus stays on the list

  return answer;
}

function adopt(session, plan) {
  current = session;
  appliedPlan = plan;
  setSessionLabel(tp("ui.lab.session_open", { id: shortId(session) }));
  for (const [type, msg] of held.get(session) || []) handle(type, msg);
  held.delete(session);
}

$("btn-new").addEventListener("click", async () => {
  const answer = await openSession();
  if (!answer.ok) consoleUI.showError(answer.error.message);
});

$("btn-close").addEventListener("click", async () => {
  if (!current || !consoleUI.isOpen()) return;
  const answer = await api.call("lab.close", { session: current });
  if (!answer.ok) consoleUI.showError(answer.error.message);
});

// ---------------------------------------------------------------- scenarios

const scenarioStatus = $("scenario-status");

/** The plan of a preset, by name (null when there is none). */
async function presetPlan(name) {
  if (!name) return null;
  const found = ((await presets) || []).find((p) => p.name === name);
  return found ? found.plan : null;
}

async function playScenario(scenario, button) {
  const title = pick(scenario.title) || scenario.name;
  announce(scenarioStatus, t("ui.scenarios.playing", { title }));
  reveal(document.querySelector(".stage"), "start"); // the learner sees it play
  // The server opens a scenario's own session as SMTP; for POP3 and IMAP the page
  // opens the session itself, with the scenario's preset, and plays into it.
  const answer = PROTOCOL === "smtp"
    ? await openSession({ scenario: scenario.name, usePreset: true })
    : await openSession({ plan: await presetPlan(scenario.preset), scenario: scenario.name });
  if (!answer.ok) {
    announce(scenarioStatus, "");
    showAlert(answer.error.message);
    return;
  }
  document.querySelectorAll(".scenario[aria-current]").forEach((b) => b.removeAttribute("aria-current"));
  button.setAttribute("aria-current", "true");
  if (consoleUI.isOpen()) setSessionLabel(t("ui.lab.session_scenario", { title, id: shortId(current) }));
  // The scenario runs with its preset: show that plan in the fault panel.
  if (scenario.preset) faults.choosePreset(scenario.preset);
  else faults.setPlan(null);
  window.setTimeout(() => announce(scenarioStatus, ""), 4000);
}

function scenarioItem(scenario) {
  const title = pick(scenario.title) || scenario.name;
  const button = el("button", { type: "button", class: "scenario", "data-scenario": scenario.name,
    onclick: () => playScenario(scenario, button) },
  el("span", { class: "scenario-title" }, title),
  scenario.figure && !title.includes(scenario.figure)
    ? el("span", { class: "tag" }, t("ui.explain.figure", { n: scenario.figure })) : null,
  scenario.description ? el("span", { class: "scenario-desc" }, pick(scenario.description)) : null);
  return el("li", {}, button);
}

scenarios.then((list) => {
  const all = (Array.isArray(list) ? list : []).filter(forThisProtocol);
  // Two shelves: the lecture's conversations, and the failure stories (a preset makes them fail).
  const groups = [
    ["ui.scenarios.lecture", all.filter((s) => !s.preset)],
    ["ui.scenarios.stories", all.filter((s) => s.preset)],
  ].filter(([, items]) => items.length);
  const root = $("scenario-list");
  if (!groups.length) {
    replace(root, el("p", { class: "muted" }, t("ui.scenarios.none_protocol", { protocol: PROTOCOL.toUpperCase() })));
    return;
  }
  replace(root, groups.map(([key, items], i) => [
    el("h3", { class: "scenario-group", id: `scenario-group-${i}` }, t(key)),
    el("ul", { class: "scenario-items", "aria-labelledby": `scenario-group-${i}` }, items.map(scenarioItem)),
  ]));
});

// ---------------------------------------------------------------- sharing

/** The page's address for a protocol (the query says which; other parameters stay). */
function protocolUrl(protocol, hash = "") {
  const url = new URL(location.href);
  url.searchParams.set("protocol", protocol);
  url.hash = hash;
  return url.toString();
}

/**
 * The link to share: this page's set-up at MailSim's public address (the server's one resolver:
 * --public-url, a trusted proxy, the bound address), not the address this browser happened to use.
 */
function shareUrl() {
  const plan = faults.getPlan();
  const setup = { v: 1, protocol: PROTOCOL, faults: isEmpty(plan) ? null : plan, scenario: scenarioName };
  const here = new URL(protocolUrl(PROTOCOL, `setup=${toBase64Url(JSON.stringify(setup))}`));
  const base = $("share-box")?.dataset.publicUrl;
  if (!base) return here.toString();
  try {
    const pub = new URL(base);
    return new URL(here.pathname + here.search + here.hash, pub).toString();
  } catch {
    return here.toString();
  }
}

/** Keep the language links pointing at the same set-up (the hash survives the redirect). */
function syncLanguageLinks() {
  document.querySelectorAll("[data-lang-link]").forEach((link) => {
    const url = new URL(link.href, location.href);
    url.hash = location.hash;
    link.href = url.toString();
  });
}

if (!EMBEDDED) $("btn-share").addEventListener("click", async () => {
  const url = shareUrl();
  const box = $("share-box");
  const field = $("share-url");
  field.value = url;
  box.hidden = false;
  const local = new URL(url);
  history.replaceState(null, "", local.pathname + local.search + local.hash);
  syncLanguageLinks();
  field.focus();
  field.select();
  const copied = await copyText(url);
  announce($("share-status"), copied ? t("ui.share.copied") : t("ui.share.copy_manually"));
});

if (!EMBEDDED) $("share-copy").addEventListener("click", async () => {
  const copied = await copyText($("share-url").value);
  announce($("share-status"), copied ? t("ui.share.copied") : t("ui.share.copy_manually"));
});

if (!EMBEDDED) $("share-dismiss").addEventListener("click", () => {
  $("share-box").hidden = true;
  $("btn-share").focus();
});

// ---------------------------------------------------------------- embedded

/**
 * Play a lesson task's reference solution ("show me"): the server opens the
 * session with the solution's faults, which the fault panel then shows.
 */
async function playSolution(solution) {
  const answer = await openSession({ solution });
  if (!answer.ok) return answer;
  // The panel shows the solution's plan, by its preset's name (and story) when it is one.
  const plan = answer.faults && !isEmpty(answer.faults) ? answer.faults : null;
  const preset = plan ? await presetMatching(plan) : null;
  if (preset) faults.choosePreset(preset.name);
  else faults.setPlan(plan);
  if (consoleUI.isOpen()) setSessionLabel(t("lessons.lab.solution_session", { id: shortId(current) }));
  showNotice(t("lessons.lab.solution_notice"));
  return answer;
}

/** The preset of this protocol whose rules are exactly `plan`'s, if there is one. */
async function presetMatching(plan) {
  const rules = canonical(plan.rules || []);
  return ((await presets) || []).find((p) => forThisProtocol(p) && p.plan && canonical(p.plan.rules || []) === rules) || null;
}

/** A quiet line under the heading (not an alert): what this embedded lab is showing. */
function showNotice(text) {
  let notice = $("lab-notice");
  if (!notice) {
    notice = el("p", { class: "lab-notice", id: "lab-notice", role: "status" });
    alertBox.before(notice);
  }
  notice.textContent = text || "";
  notice.hidden = !text;
}

/** `&focus=faults`: the fault panel scrolled into view in this frame only (never the lesson page). */
function focusFaults() {
  const panel = $("faults-panel");
  if (!panel) return;
  panel.classList.add("is-focus");
  const top = panel.getBoundingClientRect().top + window.scrollY - 8;
  window.scrollTo({ top: Math.max(0, top), behavior: "auto" });
}

// ---------------------------------------------------------------- start

async function start() {
  let setup = null;
  let problem = "";
  try {
    setup = readSetup(location.hash, t);
  } catch (exc) {
    problem = t("ui.share.invalid", { detail: exc.message });
  }
  if (setup && setup.protocol !== PROTOCOL) {
    // A link to another protocol's lab: go there, keeping the set-up.
    location.replace(protocolUrl(setup.protocol, location.hash.slice(1)));
    return;
  }
  const asked = new URLSearchParams(location.search).get("protocol");
  if (asked && normaliseProtocol(asked) !== PROTOCOL) {
    problem = t("ui.lab.unknown_protocol", { protocol: asked.slice(0, 20), fallback: PROTOCOL.toUpperCase() });
  }
  syncLanguageLinks();
  if (FOCUS === "faults") focusFaults();
  if (setup && setup.solution) {
    const answer = await playSolution(setup.solution);
    if (answer.ok || answer.error.code === "superseded") return;
    problem = t("lessons.lab.solution_failed", { detail: answer.error.message });
  } else if (setup) {
    faults.setPlan(setup.faults);
    // Not focused on arrival: P (presenter mode) and the player's keys work at once; a click or Tab reaches the console.
    const answer = await openSession({ plan: setup.faults, scenario: setup.scenario, focus: false });
    if (answer.ok) {
      const restored = EMBEDDED ? "lessons.lab.plan_in_force" : "ui.share.restored_plan";
      faults.setStatus(setup.faults ? t(restored, { n: setup.faults.rules?.length ?? 0 }) : "");
      return;
    }
    if (answer.error.code === "superseded") return; // the learner already chose something else
    // The shared plan or scenario was refused: say why, then open a plain session.
    problem = t("ui.share.invalid", { detail: answer.error.message });
    if (answer.error.code === "bad_faults") faults.showError(answer.error.message);
  }
  const answer = await openSession({ plan: null, focus: false });
  if (answer.ok || answer.error.code !== "superseded") showAlert(answer.ok ? problem : answer.error.message);
  if (FOCUS === "faults") focusFaults(); // the panel's presets have loaded by now: keep it in view
}

window.addEventListener("hashchange", () => {
  if (/setup=/.test(location.hash)) location.reload();
});

start();
