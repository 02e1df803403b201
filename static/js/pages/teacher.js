/**
 * teacher.js: the teacher's quiz pages (templates/teacher_quizzes.html, teacher_results.html).
 *
 * - Compose (#teacher-quizzes): the form goes as JSON to /api/teacher/quizzes
 *   (the teacher cookie rides along); the answer's share link is shown in a
 *   read-only box with a copy button and a link to the results, and the new
 *   quiz joins the top of the list. Codes left unchecked mean every code of
 *   the chosen protocols; an empty seed lets the server choose one; an empty
 *   time limit means none. "Shuffle" (on by default) and "require a name" go
 *   with it as true/false.
 * - Results (#teacher-results): GET /api/teacher/quizzes/<id>/results fills
 *   the learners' table (best and last score), the hardest codes (bars with
 *   their rate in words) and each question's success rate with how many chose
 *   each choice; it is fetched again every few seconds while the page is
 *   visible (and at once when it becomes visible again). "Close" POSTs
 *   .../close {closed}; "Delete" asks for confirmation, then DELETEs the quiz
 *   and goes back to the list. The CSVs and the GIFT/XML exports are plain
 *   links the template draws.
 *
 * Learners' names and quiz titles are other people's text: textContent only.
 */
import { t } from "../lib/i18n.js";
import { el, replace, copyText } from "../lib/dom.js";
import { sendJSON, checkConnection, percent, when, label, richText } from "../components/quizkit.js";

const $ = (id) => document.getElementById(id);

function showError(box, message) {
  box.textContent = message || "";
  box.hidden = !message;
}

function wireCopy(button, input, status) {
  button.addEventListener("click", async () => {
    input.select();
    const ok = await copyText(input.value);
    status.textContent = ok ? t("quiz.teacher.copied") : t("quiz.teacher.copy_failed");
  });
}

// ---------------------------------------------------------------- compose

function initCompose() {
  checkConnection();
  const form = $("compose-form");
  const error = $("compose-error");
  const share = $("quiz-share");
  const url = $("quiz-share-url");
  wireCopy($("quiz-share-copy"), url, $("quiz-share-status"));

  const values = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const invalid = (input, key) => {
    input.setAttribute("aria-invalid", "true");
    showError(error, t(key));
    input.focus();
    return null;
  };

  function read() {
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const title = form.elements.title.value.trim();
    if (!title) return invalid(form.elements.title, "quiz.teacher.need_title");
    const protocols = values("protocols");
    if (!protocols.length) return invalid(form.querySelector('input[name="protocols"]'), "quiz.home.need_protocol");
    const types = values("types");
    if (!types.length) return invalid(form.querySelector('input[name="types"]'), "quiz.home.need_type");
    const count = Number(form.elements.count.value);
    if (!Number.isInteger(count) || count < 1 || count > 50) return invalid(form.elements.count, "quiz.teacher.bad_count");
    const body = { title, mode: values("mode")[0] || "test", protocols, types, count,
      shuffle: form.elements.shuffle.checked, require_name: form.elements.require_name.checked };
    // Codes of the chosen protocols only; none checked means every code.
    const codes = [...form.querySelectorAll('input[name="codes"]:checked')]
      .filter((i) => protocols.includes(i.dataset.protocol))
      .map((i) => (/^\d+$/.test(i.value) ? Number(i.value) : i.value));
    if (codes.length) body.codes = codes;
    const seed = form.elements.seed.value.trim();
    if (seed !== "") {
      if (!/^\d+$/.test(seed)) return invalid(form.elements.seed, "quiz.teacher.bad_seed");
      body.seed = Number(seed);
    }
    const minutes = form.elements.minutes.value.trim();
    if (minutes !== "") {
      const m = Number(minutes);
      if (!(m >= 1 && m <= 120)) return invalid(form.elements.minutes, "quiz.home.bad_minutes");
      body.time_limit_s = Math.round(m * 60);
    } else {
      body.time_limit_s = null;
    }
    return body;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, "");
    const body = read();
    if (!body) return;
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    const answer = await sendJSON("/api/teacher/quizzes", body);
    button.disabled = false;
    if (!answer.ok) {
      if (answer.status === 401 || answer.status === 403) {
        showError(error, t("quiz.teacher.session_over"));
      } else {
        showError(error, answer.error.message);
      }
      return;
    }
    const quiz = answer.data.quiz || {};
    const link = new URL(quiz.link || `/quizzes/q/${quiz.id}`, window.location.origin).href;
    url.value = link;
    $("quiz-share-results").href = `/teacher/quizzes/${encodeURIComponent(quiz.id)}`;
    $("quiz-share-status").textContent = "";
    share.hidden = false;
    addToList({ ...body, ...quiz, link });
    $("share-title").focus();
    url.select();
  });
}

function addToList(quiz) {
  $("quiz-list-empty").hidden = true;
  const id = encodeURIComponent(quiz.id);
  const count = quiz.question_ids ? quiz.question_ids.length : quiz.count;
  const minutes = quiz.time_limit_s ? Math.round((quiz.time_limit_s / 60) * 10) / 10 : null;
  $("quiz-list").prepend(el("li", { class: "qz-quiz-item is-new", dataset: { quiz: quiz.id } },
    el("h3", {}, el("a", { href: `/teacher/quizzes/${id}` }, quiz.title)),
    el("p", { class: "qz-quiz-meta" }, el("span", { class: "tag" }, label("quiz.mode", quiz.mode)), " ",
      t("quiz.teacher.n_questions", { n: count }),
      minutes ? ` · ${t("quiz.shared.minutes", { n: minutes })}` : null),
    el("p", { class: "qz-quiz-links" }, el("a", { href: quiz.link }, t("quiz.teacher.share_link")), " · ",
      el("a", { href: `/teacher/quizzes/${id}` }, t("quiz.teacher.results")), " · ",
      el("a", { href: `/teacher/quizzes/${id}/preview` }, t("quiz.teacher.preview")))));
}

// ---------------------------------------------------------------- results

function scoreText(s, total) {
  if (s === null || s === undefined) return "—";
  if (typeof s === "object") {
    const n = s.score ?? s.correct ?? 0;
    const tot = s.total ?? total;
    return t("quiz.me.score", { n, total: tot, percent: percent(n, tot) });
  }
  return t("quiz.me.score", { n: s, total, percent: percent(s, total) });
}

function pickText(value) {
  if (value && typeof value === "object") return value[document.documentElement.lang] ?? value.en ?? "";
  return String(value ?? "");
}

function rateOf(q) {
  if (typeof q.rate === "number") return q.rate;
  if (typeof q.success === "number") return q.success;
  const n = q.answers ?? q.answered ?? q.seen ?? 0;
  return n ? (q.correct ?? 0) / n : null;
}

function rateText(q) {
  const n = q.answers ?? q.answered ?? q.seen;
  const rate = rateOf(q);
  if (rate === null) return t("quiz.results.no_answers_short");
  if (typeof n === "number" && typeof q.correct === "number") {
    return t("quiz.results.rate", { correct: q.correct, n, percent: percent(rate, 1) });
  }
  return percent(rate, 1);
}

function bar(rate) {
  return el("span", { class: "qz-bar-track", "aria-hidden": "true" },
    el("span", { class: "qz-bar-fill", style: `width: ${rate === null ? 0 : Math.max(2, Math.round(rate * 100))}%` }));
}

function levelOfRate(rate) {
  if (rate === null) return "unseen";
  return rate >= 0.8 ? "known" : rate >= 0.5 ? "shaky" : "unknown";
}

function drawResults(data) {
  const total = data.total ?? (data.questions ? data.questions.length : 0);
  const learners = data.learners || [];
  $("learners-empty").hidden = learners.length > 0;
  $("learners-table").hidden = learners.length === 0;
  replace($("learners-table").querySelector("tbody"), learners.map((l) => el("tr", {},
    el("th", { scope: "row" }, l.name || l.display_name || t("quiz.results.anonymous")),
    el("td", { class: "num" }, String(l.attempts ?? 1)),
    el("td", { class: "num" }, scoreText(l.best, l.total ?? total)),
    el("td", { class: "num" }, [scoreText(l.last, l.total ?? total), l.last_finished === false ? ` (${t("quiz.results.in_progress")})` : null]),
    el("td", {}, when(l.last_finished_at ?? l.last_started)))));

  const hardest = data.hardest || data.hardest_codes || [];
  $("hardest-empty").hidden = hardest.length > 0;
  replace($("hardest-list"), hardest.map((h) => {
    const rate = rateOf(h);
    const level = levelOfRate(rate);
    return el("li", { class: `qz-bar-row qz-level-${level}` },
      el("span", { class: "qz-bar-code" }, h.protocol && h.protocol !== "smtp" ? `${h.protocol.toUpperCase()} ${h.code}` : String(h.code)),
      bar(rate),
      el("span", { class: "qz-bar-text" }, rateText(h)));
  }));

  const questions = data.questions || [];
  replace($("questions-table").querySelector("tbody"), questions.map((q, i) => {
    const rate = rateOf(q);
    return el("tr", { class: `qz-level-${levelOfRate(rate)}` },
      el("td", { class: "num" }, String(q.number ?? i + 1)),
      el("td", { class: "qz-q-prompt" }, richText(pickText(q.prompt))),
      el("td", {}, label("quiz.type", q.type)),
      el("td", {}, (q.codes || []).join(", ")),
      el("td", { class: "qz-rate-cell" }, bar(rate), el("span", {}, rateText(q))),
      el("td", { class: "qz-options" }, q.options ? el("ul", { class: "qz-option-counts" }, q.options.map((o) =>
        el("li", { class: o.right ? "is-right" : null, dataset: { count: String(o.count) } },
          t("quiz.results.choice_count", { text: o.text, count: o.count }),
          o.right ? ` ${t("quiz.results.right_mark")}` : null))) : "—"));
  }));
}

function initResults(root) {
  const quiz = root.dataset.quiz;
  wireCopy($("results-share-copy"), $("results-share-url"), $("results-share-status"));
  const status = $("results-status");
  async function load(announce = true) {
    if (announce) status.textContent = "";
    const answer = await sendJSON(`/api/teacher/quizzes/${encodeURIComponent(quiz)}/results`);
    const alert = $("results-alert");
    if (!answer.ok) {
      showError(alert, answer.error.message);
      return;
    }
    showError(alert, "");
    drawResults(answer.data.results || answer.data);
    if (announce) status.textContent = t("quiz.results.updated"); // the automatic refresh stays quiet
  }
  $("results-refresh").addEventListener("click", () => load());
  load();
  // While the page is visible, fetch the results again every few seconds; a hidden tab asks nothing.
  let busy = false;
  const tick = async () => {
    if (busy || document.visibilityState !== "visible") return;
    busy = true;
    try { await load(false); } finally { busy = false; }
  };
  window.setInterval(tick, REFRESH_MS);
  document.addEventListener("visibilitychange", tick);
  initManage(root, quiz);
}

const REFRESH_MS = 5000;

function initManage(root, quiz) {
  const closeButton = $("results-close");
  const base = `/api/teacher/quizzes/${encodeURIComponent(quiz)}`;
  const alert = $("results-alert");
  const show = (closed) => {
    root.dataset.closed = closed ? "true" : "false";
    $("results-closed").hidden = !closed;
    closeButton.textContent = closed ? closeButton.dataset.labelReopen : closeButton.dataset.labelClose;
  };
  closeButton.addEventListener("click", async () => {
    const closed = root.dataset.closed !== "true";
    closeButton.disabled = true;
    const answer = await sendJSON(`${base}/close`, { closed });
    closeButton.disabled = false;
    if (!answer.ok) { showError(alert, answer.error.message); return; }
    show(Boolean(answer.data.quiz && answer.data.quiz.closed));
  });
  $("results-delete").addEventListener("click", async () => {
    if (!window.confirm(t("quiz.results.delete_confirm"))) return;
    const answer = await sendJSON(base, undefined, { method: "DELETE" });
    if (!answer.ok) { showError(alert, answer.error.message); return; }
    window.location.assign("/teacher/quizzes");
  });
}

if ($("teacher-login")) checkConnection();
if ($("teacher-quizzes")) initCompose();
const results = $("teacher-results");
if (results) initResults(results);
