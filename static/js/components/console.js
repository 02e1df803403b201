/**
 * console.js: the learner's SMTP, POP3 or IMAP client, typed by hand.
 *
 * One command line at a time goes to the server through `send(line)` (the lab
 * wires it to `lab.send`); the server's replies come back as exchanges and
 * are written under the prompt, so the console reads like a telnet session.
 * While the session is in the `data` state the prompt becomes a textarea for
 * the whole message, sent line by line and ended with ".".
 *
 * Keys: Enter sends, Up/Down walk the history, Tab completes verbs, the
 * `MAIL FROM:<` / `RCPT TO:<` forms and the world's addresses, which come
 * from the server (GET /api/world; core/completion.js does the completing).
 * Tab is only taken when there is something to complete, so it still moves focus.
 *
 * IMAP commands start with a tag the client chooses: the console fills in
 * the next one ("a3 ") so the learner need not invent tags, re-tags a line
 * recalled from the history, and completes the verb after a tag. After the
 * server's "+" (send the rest) the line goes without a tag.
 */
import { el, replace, announce } from "../lib/dom.js";
import { t, has } from "../lib/i18n.js";
import { getCached } from "../lib/http.js";
import { wireLines } from "./transcript.js";
import { normaliseProtocol, protocolInfo, codeClass, imapTag, imapReply, nextImapTag } from "../core/protocols.js";
import { formFromSyntax, complete } from "../core/completion.js";
import { worldAddresses, draftParties } from "../core/world.js";

/** Forms offered by Tab when the catalogue has not arrived. */
const DEFAULT_FORMS = {
  smtp: [
    "HELO ", "EHLO ", "MAIL FROM:<", "RCPT TO:<", "DATA", "RSET", "VRFY ", "EXPN ",
    "HELP", "NOOP", "QUIT", "TURN", "SEND FROM:<", "SOML FROM:<", "SAML FROM:<",
  ],
  pop3: ["USER ", "PASS ", "APOP ", "STAT", "LIST", "RETR ", "DELE ", "NOOP", "RSET", "QUIT", "TOP ", "UIDL", "CAPA"],
  imap: ["CAPABILITY", "NOOP", "LOGOUT", "LOGIN ", "SELECT ", "EXAMINE ", "CREATE ", "DELETE ", "RENAME ", "LIST ",
    "STATUS ", "APPEND ", "IDLE", "CLOSE", "EXPUNGE", "SEARCH ", "FETCH ", "STORE ", "COPY ", "UID "],
};
const HISTORY_KEY = "mailsim.console.history";
const HISTORY_MAX = 100;

const CLASS_SYMBOL = { 2: "✔", 3: "➜", 4: "⟳", 5: "✖" };

/** One console line for one exchange; `classOf(code)` gives its colour class. */
function renderExchange(ex, classOf) {
  if (ex.kind === "tcp") {
    const key = `ui.tcp.${ex.text}`;
    return el("div", { class: "log-line log-tcp" },
      el("span", { class: "log-who", "aria-hidden": "true" }, "··"),
      el("span", { class: "log-text" }, t(key === "ui.tcp." ? "ui.tcp.unknown" : key)));
  }
  if (ex.kind === "silence") {
    return el("div", { class: "log-line log-note" },
      el("span", { class: "log-who", "aria-hidden": "true" }, "··"),
      el("span", { class: "log-text" }, t("ui.transcript.silence")), faultBadge(ex));
  }
  const text = wireLines(ex).join("\n");
  if (ex.from === "client") {
    return el("div", { class: `log-line log-client log-${ex.kind}` },
      el("span", { class: "log-who" }, el("span", { class: "sr-only" }, t("ui.console.you")), el("span", { "aria-hidden": "true" }, "C:")),
      el("span", { class: "log-text" }, text), faultBadge(ex));
  }
  const digit = classOf(ex.code) || "";
  return el("div", { class: `log-line log-server log-reply reply-${digit}xx` },
    el("span", { class: "log-who" }, el("span", { class: "sr-only" }, t("ui.console.server")), el("span", { "aria-hidden": "true" }, "S:")),
    el("span", { class: "log-symbol", "aria-hidden": "true" }, CLASS_SYMBOL[digit] || "•"),
    el("span", { class: "log-text" }, text), faultBadge(ex));
}

function faultBadge(ex) {
  if (!ex.fault) return null;
  return el("span", { class: "fault-badge", title: t("ui.fault.badge_title") },
    t("ui.fault.badge", { n: ex.fault.rule + 1 }));
}

/** The world's public facts (GET /api/world, fetched once per page); null when the server could not say. */
function fetchWorld() {
  return getCached("/api/world").then((answer) => (answer.ok ? answer.data : null), () => null);
}

/**
 * Wire the console inside `root` (the template's markup with data-part
 * attributes). `send(line)` resolves to the server's acknowledgement;
 * `protocol` is the session's; `classOf(code)` the colour class of a reply
 * code (the catalogue's, see protocols.js codeClass); `world` a promise of
 * the world's facts (GET /api/world by default): its addresses are what Tab
 * completes after "<" and its first users the draft message's From and To.
 * Until it comes, or when it fails, there are just no address completions.
 */
export function createConsole(root, { send, protocol: proto = "smtp", classOf = (c) => codeClass(c), world = fetchWorld() }) {
  const protocol = normaliseProtocol(proto) || "smtp";
  const tagged = protocol === "imap";
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  const log = part("log");
  const form = part("form");
  const input = part("input");
  const hint = part("hint");
  const dataForm = part("data-form");
  const dataInput = part("data-input");
  const dataSend = part("data-send");
  const error = part("error");
  const stateChip = part("state");

  let forms = DEFAULT_FORMS[protocol];
  let addresses = []; // the world's, once known
  let parties = { from: "", to: "" }; // the draft's sender and recipient when the envelope has none
  Promise.resolve(world).then((facts) => {
    addresses = worldAddresses(facts);
    parties = draftParties(facts);
  }, () => {});
  const usedTags = []; // IMAP: the tags of the commands sent in this session
  let awaitingRest = false; // IMAP: the server's "+" asked for the rest of a command
  let prefill = ""; // IMAP: the tag the console put in the empty box

  /** The tag the next IMAP command gets, unless the learner types another. */
  const suggestedTag = () => nextImapTag(usedTags);

  /** IMAP: put the next tag in the box when it is empty (or holds an old suggestion). */
  function offerTag() {
    if (!tagged) return;
    const next = open && !awaitingRest ? `${suggestedTag()} ` : "";
    if (input.value === "" || input.value === prefill) {
      input.value = next;
      if (document.activeElement === input) input.setSelectionRange(next.length, next.length);
    }
    prefill = next;
  }

  /** IMAP: a line from the history or an example, given the tag this command should have. */
  function retag(line) {
    if (!tagged || awaitingRest) return line;
    const tag = imapTag(line);
    // "SELECT INBOX" has no tag yet: its first word is a verb.
    const isVerb = tag && forms.some((form) => form.trim() === tag.toUpperCase());
    const rest = tag && !isVerb ? line.slice(tag.length).trimStart() : line;
    return `${suggestedTag()} ${rest}`;
  }
  let history = [];
  try {
    history = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
  } catch {
    history = [];
  }
  let historyIndex = history.length;
  let draft = "";
  let state = null;
  let open = false;
  let busy = false;
  const envelope = { from: "", to: [] };
  let pendingRcpt = null; // a RCPT waiting for its reply: only accepted ones go in the To: line

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  function remember(line) {
    if (line && history[history.length - 1] !== line) history.push(line);
    history = history.slice(-HISTORY_MAX);
    historyIndex = history.length;
    try {
      sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    } catch {
      // private mode: history lives for this page only
    }
  }

  function updateControls() {
    const inData = open && state === "data";
    form.hidden = inData;
    dataForm.hidden = !inData;
    input.disabled = !open || busy;
    root.querySelectorAll("[data-needs-open]").forEach((button) => { button.disabled = !open; });
    form.querySelector("button[type=submit]").disabled = !open || busy;
    dataInput.disabled = busy;
    dataSend.disabled = busy;
    if (!open) hint.textContent = t("ui.console.closed_hint");
  }

  /** A first draft of the message from the envelope typed so far. */
  function messageTemplate() {
    const from = envelope.from || parties.from;
    const to = envelope.to.length ? envelope.to.join(", ") : parties.to;
    return [`From: ${from}`, `To: ${to}`, `Subject: ${t("ui.console.sample_subject")}`, "",
      t("ui.console.sample_body"), ""].join("\n");
  }

  async function sendLine(line) {
    const answer = await send(line);
    if (!answer.ok) showError(answer.error.message);
    return answer.ok;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || !open) return;
    const line = input.value;
    showError("");
    remember(line);
    busy = true;
    updateControls();
    const ok = await sendLine(line);
    busy = false;
    if (ok) input.value = "";
    hint.textContent = "";
    updateControls();
    offerTag();
    // The reply may already have switched the console to the message box.
    (dataForm.hidden ? input : dataInput).focus();
  });

  async function sendMessage() {
    if (busy) return;
    showError("");
    const lines = dataInput.value.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
    busy = true;
    updateControls();
    let ok = true;
    for (const line of [...lines, "."]) {
      ok = await sendLine(line);
      if (!ok) break;
    }
    busy = false;
    if (ok) dataInput.value = "";
    updateControls();
    (dataForm.hidden ? input : dataInput).focus();
  }

  dataForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });
  dataInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      sendMessage();
    }
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      if (!history.length) return;
      event.preventDefault();
      if (historyIndex === history.length) draft = input.value;
      historyIndex += event.key === "ArrowUp" ? -1 : 1;
      historyIndex = Math.max(0, Math.min(history.length, historyIndex));
      input.value = historyIndex === history.length ? draft : retag(history[historyIndex]);
      input.setSelectionRange(input.value.length, input.value.length);
    } else if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey) {
      // IMAP: complete the verb after the tag ("a3 sel" gives "a3 SELECT ").
      const head = tagged ? (/^\S+\s+/.exec(input.value) || [""])[0] : "";
      const result = complete(input.value.slice(head.length), forms, addresses);
      if (result.text === null && result.choices.length === 0) return;
      event.preventDefault();
      if (result.text !== null) input.value = head + result.text;
      announce(hint, result.choices.length > 1
        ? t("ui.console.choices", { choices: result.choices.join("  ·  ") })
        : "");
    } else if (event.key === "Escape" && input.value) {
      input.value = "";
      hint.textContent = "";
      offerTag();
    }
  });

  // Examples: a click puts the line in the box (with the next tag in IMAP), ready to send or change.
  const examples = part("examples");
  if (examples) {
    replace(examples, protocolInfo(protocol).examples.map((line) => el("button", {
      type: "button", class: "chip", "data-example": line, "data-needs-open": true }, line)));
  }
  root.querySelectorAll("[data-example]").forEach((button) => {
    button.addEventListener("click", () => {
      if (input.disabled) return;
      const line = button.dataset.example;
      input.value = tagged ? retag(line) : line;
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    });
  });

  return {
    /** Teach Tab the verbs of the catalogue: {VERB: {syntax}}. */
    setCommands(commands) {
      const fromCatalogue = Object.entries(commands || {}).map(([verb, c]) => formFromSyntax(verb, c && c.syntax));
      if (fromCatalogue.length) forms = [...new Set([...fromCatalogue, ...DEFAULT_FORMS[protocol]])];
    },
    addExchange(ex) {
      if (tagged && ex.kind === "command" && !awaitingRest) {
        const tag = imapTag(ex.text);
        if (tag) usedTags.push(tag);
      }
      // Untagged news (new mail during IDLE) leaves the server waiting as it was.
      const news = ex.kind === "reply" && !imapReply(ex.text).final;
      if (tagged && (ex.kind === "reply" || ex.kind === "command") && !news) {
        const was = awaitingRest;
        awaitingRest = ex.kind === "reply" && String(ex.code) === "+";
        if (awaitingRest && !was) announce(hint, t("ui.console.imap_continue"));
      }
      if (ex.kind === "command" && ex.verb === "MAIL") {
        envelope.from = (/<([^>]*)>/.exec(ex.text) || [])[1] || "";
        envelope.to = [];
      }
      if (ex.kind === "command") {
        pendingRcpt = ex.verb === "RCPT" ? (/<([^>]*)>/.exec(ex.text) || [])[1] || null : null;
      }
      if (ex.kind === "reply" && pendingRcpt) {
        if (String(ex.code).startsWith("25")) envelope.to.push(pendingRcpt);
        pendingRcpt = null;
      }
      log.append(renderExchange(ex, classOf));
      log.scrollTop = log.scrollHeight;
      if (ex.state) this.setState(ex.state);
      offerTag();
    },
    setState(next) {
      const entering = next === "data" && state !== "data";
      state = next;
      stateChip.textContent = has(`ui.state.${next}`) ? t(`ui.state.${next}`) : next;
      stateChip.dataset.state = next;
      if (entering) {
        if (!dataInput.value) dataInput.value = messageTemplate();
        updateControls();
        dataInput.focus();
      } else {
        updateControls();
      }
    },
    /** A fresh session is open (or none when `isOpen` is false). */
    reset(isOpen) {
      replace(log);
      envelope.from = "";
      envelope.to = [];
      usedTags.length = 0;
      awaitingRest = false;
      if (input.value === prefill) input.value = "";
      prefill = "";
      state = null;
      open = isOpen;
      dataInput.value = "";
      showError("");
      hint.textContent = "";
      stateChip.textContent = isOpen ? t("ui.state.connecting") : t("ui.state.none");
      stateChip.dataset.state = isOpen ? "connecting" : "none";
      updateControls();
      offerTag();
    },
    setClosed(reason) {
      const hadFocus = document.activeElement === input || document.activeElement === document.body;
      open = false;
      stateChip.textContent = t("ui.state.closed");
      stateChip.dataset.state = "closed";
      const key = `ui.closed.${reason}`;
      const own = `${key}_${protocol}`;
      log.append(el("div", { class: "log-line log-note" }, t(reason ? (has(own) ? own : key) : "ui.closed.client")));
      log.scrollTop = log.scrollHeight;
      updateControls();
      if (tagged && input.value === prefill) input.value = "";
      prefill = "";
      // Typing had nowhere left to go: offer the way on.
      if (hadFocus && part("new")) part("new").focus();
    },
    isOpen: () => open,
    /** IMAP: the tag the next command gets (null in other protocols). */
    nextTag: () => (tagged ? suggestedTag() : null),
    showError,
    focus() {
      (dataForm.hidden ? input : dataInput).focus();
    },
  };
}
