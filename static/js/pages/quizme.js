/**
 * quizme.js: "my progress" (templates/quiz_me.html), from GET /api/quizzes/me.
 *
 * Mastery per reply code is drawn as horizontal bars grouped by protocol:
 * each row names the code, says in words how many answers were right and
 * which level that is (known, shaky, not yet known, not seen), and carries a
 * symbol as well as a colour, so colour is never the only cue; the bar itself
 * is decoration (aria-hidden). The same data is offered as a table. Levels:
 * a code is known once its Leitner box is 3 or more (right twice in a row),
 * shaky at box 2 or with at least half its answers right, otherwise not yet
 * known. The history lists every attempt with its score.
 */
import { t } from "../lib/i18n.js";
import { el, replace } from "../lib/dom.js";
import { sendJSON, percent, when, label } from "../components/quizkit.js";
import { protocolOf, levelOf } from "../core/mastery.js";

const $ = (id) => document.getElementById(id);
const SYMBOL = { known: "✔", shaky: "~", unknown: "✖", unseen: "·" };
const PROTOCOLS = ["smtp", "pop3", "imap"];

/** Mastery as a list of rows, whatever its shape: {code: {...}} or [{code, ...}]. */
function rowsOf(mastery) {
  const list = Array.isArray(mastery) ? mastery
    : Array.isArray(mastery && mastery.codes) ? mastery.codes
      : Object.entries(mastery || {}).map(([code, v]) => ({ code, ...(v || {}) }));
  return list.map((r) => {
    const seen = Number(r.seen) || 0;
    const correct = Number(r.correct) || 0;
    const box = typeof r.box === "number" ? r.box : null;
    const row = { code: String(r.code), protocol: r.protocol || protocolOf(r.code), seen, correct, box };
    row.level = levelOf({ ...row, level: typeof r.level === "string" ? r.level : null });
    return row;
  });
}

const codeOrder = (a, b) => {
  const na = Number(a.code), nb = Number(b.code);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a.code.localeCompare(b.code);
};

function rowSentence(r) {
  if (!r.seen) return t("quiz.level.unseen");
  return t("quiz.me.row", { correct: r.correct, seen: r.seen, percent: percent(r.correct, r.seen), level: t(`quiz.level.${r.level}`) });
}

function drawChart(rows) {
  const chart = $("mastery-chart");
  chart.replaceChildren();
  // SMTP's long list in one column, POP3 and IMAP stacked in the other.
  const side = el("div", { class: "qz-chart-side" });
  for (const protocol of PROTOCOLS) {
    const mine = rows.filter((r) => r.protocol === protocol).sort(codeOrder);
    if (!mine.length) continue;
    const id = `mastery-${protocol}`;
    const group = el("div", { class: "qz-chart-group", dataset: { protocol } },
      el("h3", { id }, protocol.toUpperCase()),
      el("ul", { class: "qz-bars", "aria-labelledby": id },
        mine.map((r) => el("li", { class: `qz-bar-row qz-level-${r.level}`, dataset: { code: r.code, level: r.level } },
          el("span", { class: "qz-bar-code" }, r.code),
          el("span", { class: "qz-bar-track", "aria-hidden": "true" },
            el("span", { class: "qz-bar-fill", style: `width: ${r.seen ? Math.max(3, Math.round((100 * r.correct) / r.seen)) : 0}%` })),
          el("span", { class: "qz-bar-text" },
            el("span", { class: "qz-swatch", "aria-hidden": "true" }, SYMBOL[r.level]), " ", rowSentence(r))))));
    (protocol === "smtp" ? chart : side).append(group);
  }
  if (side.children.length) chart.append(side);
}

function drawTable(rows) {
  const body = $("mastery-table").querySelector("tbody");
  replace(body, [...rows].sort((a, b) => PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol) || codeOrder(a, b))
    .map((r) => el("tr", { class: `qz-level-${r.level}` },
      el("th", { scope: "row" }, r.code),
      el("td", {}, r.protocol.toUpperCase()),
      el("td", { class: "num" }, String(r.seen)),
      el("td", { class: "num" }, String(r.correct)),
      el("td", { class: "num" }, r.seen ? percent(r.correct, r.seen) : "—"),
      el("td", { class: "num" }, r.box === null ? "—" : String(r.box)),
      el("td", {}, el("span", { class: "qz-swatch", "aria-hidden": "true" }, SYMBOL[r.level]), " ", t(`quiz.level.${r.level}`)))));
}

function drawHistory(history) {
  const table = $("history-table");
  const list = Array.isArray(history) ? history : [];
  $("history-empty").hidden = list.length > 0;
  table.hidden = list.length === 0;
  replace(table.querySelector("tbody"), list.map((h) => {
    const total = h.total ?? (h.question_ids ? h.question_ids.length : 0);
    const score = h.score ?? h.correct ?? 0;
    const finished = Boolean(h.finished);
    const url = h.url || (h.id ? `/quizzes/attempt/${encodeURIComponent(h.id)}` : null);
    const link = !finished && url ? el("a", { href: url }, t("quiz.me.resume")) : null;
    const title = h.quiz && typeof h.quiz === "object" ? h.quiz.title : h.title;
    return el("tr", {},
      el("td", {}, when(h.started ?? h.finished)),
      el("td", {}, title || (h.quiz ? t("quiz.me.shared_quiz") : t("quiz.me.own_quiz"))),
      el("td", {}, label("quiz.mode", h.mode)),
      el("td", { class: "num" }, h.score === null && !finished ? "—"
        : t("quiz.me.score", { n: score, total, percent: percent(score, total) })),
      el("td", {}, finished ? t("quiz.me.finished") : [t("quiz.me.unfinished", { n: h.answered ?? 0, total }), link ? " · " : null, link]));
  }));
}

async function main() {
  const answer = await sendJSON("/api/quizzes/me");
  $("mastery-loading").hidden = true;
  if (!answer.ok) {
    const box = $("me-alert");
    box.textContent = answer.error.message;
    box.hidden = false;
    return;
  }
  const rows = rowsOf(answer.data.mastery);
  const any = rows.some((r) => r.seen);
  $("mastery-empty").hidden = any;
  $("mastery-table-box").hidden = !rows.length;
  drawChart(rows);
  drawTable(rows);
  drawHistory(answer.data.history);
}

if ($("quiz-me")) main();
