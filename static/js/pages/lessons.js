/**
 * lessons.js: the course page, a lesson's step and the glossary (templates/lessons.html,
 * lesson.html, glossary.html; the routes are simulator/web/lessonsview.py).
 *
 * - Course: the optional display name, saved with a JSON POST (shown back with
 *   textContent, never as markup).
 * - Lesson step: on load the step is marked seen (POST .../seen) and the
 *   progress bar follows; each task has progressive hints, a question, a
 *   "Check" (POST {answer} to its check_url; the feedback says what is missing)
 *   and a "Show me" that plays the reference solution in the task's lab
 *   (which does not count) or reveals the lines for a real client. ArrowLeft
 *   and ArrowRight (or k and j) go to the previous and next step when the
 *   keyboard is not busy in a field; the step is in the URL.
 * - Glossary: a filter box over the terms; #id links straight to a term.
 *
 * Every request resolves to {ok, data} or {ok: false, error: {message}}, never
 * rejects, so a failure is shown, not thrown.
 */
import { t } from "../lib/i18n.js";
import { el, replace, announce, keyIsFree } from "../lib/dom.js";
import { fold, stepKey } from "../core/lessons.js";
import { rest, checkConnection } from "../lib/http.js";

const $ = (id) => document.getElementById(id);

/**
 * Inline HTML the server rendered from a lesson's Markdown (markdown-it with raw
 * HTML off, the same as hints): parsed inertly into nodes. Only the server's
 * rendering of lesson texts comes here, never anything a learner typed.
 */
function rendered(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  return [...doc.body.childNodes];
}

/** `el(tag, attrs)` holding the server's rendered HTML if there is any, else the plain text. */
function textOrHtml(tag, attrs, text, html) {
  return html ? el(tag, attrs, rendered(html)) : el(tag, attrs, text);
}

// ---------------------------------------------------------------- requests

/** Send JSON (POST by default); resolves to {ok, status, data, error}. */
function sendJSON(url, body, { method = "POST" } = {}) {
  return rest(url, { method, body, indicate: true });
}

// ---------------------------------------------------------------- progress

/** Set a <progress> bar and its text twin. */
function setProgress(bar, text, percent) {
  if (!bar) return;
  const value = Math.max(0, Math.min(100, Math.round(Number(percent) || 0)));
  bar.value = value;
  if (text) text.textContent = t("lessons.course.percent", { percent: value });
}

// ---------------------------------------------------------------- course page

function initCourse(root) {
  checkConnection();
  const form = $("name-form");
  if (!form) return;
  const input = $("learner-name");
  const status = $("name-status");
  const error = $("name-error");
  const hello = $("learner-hello");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const answer = await sendJSON(form.dataset.url, { name: input.value });
    button.disabled = false;
    if (!answer.ok) {
      error.textContent = answer.error.message;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    const name = answer.data.name || "";
    input.value = name;
    // The learner's own text: set as text, never parsed as markup.
    hello.textContent = name ? t("lessons.learner.hello", { name }) : "";
    hello.hidden = !name;
    announce(status, name ? t("lessons.learner.saved") : t("lessons.learner.cleared"));
  });
  return root;
}

// ---------------------------------------------------------------- glossary

function initGlossary(root) {
  checkConnection();
  const input = $("glossary-filter");
  const count = $("glossary-count");
  const none = $("glossary-none");
  const terms = [...root.querySelectorAll(".gl-term")];
  const haystack = new Map(terms.map((term) => [term, fold(term.dataset.search || term.textContent)]));
  let timer = 0;

  function apply() {
    const words = fold(input.value).split(" ").filter(Boolean);
    let shown = 0;
    for (const term of terms) {
      const text = haystack.get(term);
      const match = words.every((word) => text.includes(word));
      term.hidden = !match;
      if (match) shown += 1;
    }
    none.hidden = shown > 0;
    none.textContent = shown ? "" : t("lessons.glossary.none", { q: input.value.trim() });
    window.clearTimeout(timer);
    // Announced after a pause in typing, not at every key.
    timer = window.setTimeout(() => {
      count.textContent = t("lessons.glossary.count", { n: shown, total: terms.length });
    }, 400);
  }

  input.addEventListener("input", apply);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && input.value) {
      input.value = "";
      apply();
    }
  });

  // A deep link (#id) to a term the filter hides: clear the filter and show it.
  function reveal() {
    const id = decodeURIComponent(location.hash.slice(1));
    const term = id && document.getElementById(id);
    if (!term || !term.classList.contains("gl-term")) return;
    if (term.hidden) {
      input.value = "";
      apply();
    }
    term.scrollIntoView({ block: "start" });
  }
  window.addEventListener("hashchange", reveal);
  if (location.hash) reveal();
}

// ---------------------------------------------------------------- a lesson step

function initLesson(root) {
  const progressBar = $("lesson-progress");
  const progressText = $("lesson-progress-text");
  const stepNumber = Number(root.dataset.step);
  const stepItem = (n) => root.querySelector(`.ls-step-item[data-step="${n}"]`);

  /** Redraw the sidebar mark of step `n` from its data-* attributes. */
  function drawStep(n, { seen, done } = {}) {
    const item = stepItem(n);
    if (!item) return;
    if (seen) item.classList.add("is-seen");
    if (typeof done === "number") item.dataset.done = String(done);
    const tasks = Number(item.dataset.tasks || 0);
    const finished = item.classList.contains("is-seen") && Number(item.dataset.done || 0) >= tasks;
    item.classList.toggle("is-finished", finished);
    const mark = item.querySelector(".ls-step-n");
    if (mark) mark.textContent = finished ? "✓" : String(n);
    const seenText = item.querySelector("[data-part=seen]");
    if (seenText) seenText.textContent = item.classList.contains("is-seen") ? t("lessons.lesson.seen") : t("lessons.lesson.not_seen");
    const taskText = item.querySelector("[data-part=tasks]");
    if (taskText) taskText.textContent = t("lessons.lesson.tasks_done", { done: Number(item.dataset.done || 0), total: tasks });
  }

  function lessonState(state) {
    if (state && typeof state.percent === "number") setProgress(progressBar, progressText, state.percent);
  }

  // Seen: saved (committed on the server) before the bar moves.
  sendJSON(root.dataset.seenUrl, {}).then((answer) => {
    if (!answer.ok) return;
    lessonState(answer.data.lesson);
    drawStep(stepNumber, { seen: true });
  });

  root.querySelectorAll(".ls-task").forEach((task) => initTask(task, {
    onResult(data) {
      lessonState(data.lesson);
      if (data.done) {
        const done = root.querySelectorAll(".ls-task.is-done").length;
        drawStep(stepNumber, { seen: true, done });
      }
    },
  }));

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || !keyIsFree(event.target)) return;
    const where = stepKey(event);
    if (!where) return;
    const url = where === "prev" ? root.dataset.prevUrl : root.dataset.nextUrl;
    if (!url) return;
    event.preventDefault();
    location.assign(url);
  });

  // Coming back with the browser's Back: the page may be restored from the cache, stale.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });
}

function initTask(task, { onResult }) {
  const part = (name) => task.querySelector(`[data-part="${name}"]`);
  const feedback = part("feedback");
  const chip = part("chip");
  const attempts = part("attempts");
  const checkButton = part("check");
  const question = part("question");

  // Hints: one more at each press.
  const hintButton = part("hint");
  if (hintButton) {
    const hints = [...part("hints").children];
    const total = hints.length;
    hintButton.addEventListener("click", () => {
      const next = hints.find((hint) => hint.hidden);
      if (!next) return;
      next.hidden = false;
      const shown = hints.filter((hint) => !hint.hidden).length;
      if (shown >= total) {
        hintButton.disabled = true;
        hintButton.textContent = t("lessons.task.no_more_hints");
      } else {
        hintButton.textContent = t("lessons.task.hint_n", { n: shown + 1, total });
      }
    });
  }

  function chosen() {
    const picked = question && question.querySelector("input[type=radio]:checked");
    return picked ? Number(picked.value) : null;
  }

  function markDone(done) {
    task.classList.toggle("is-done", done);
    chip.textContent = done ? `✓ ${t("lessons.task.done")}` : t("lessons.task.todo");
  }

  function showFeedback({ done, feedback: lines = [], linesHtml = null, explain = null, explainHtml = null,
    praise = null, praiseHtml = null, heading = "missing", error = null }) {
    const items = [];
    if (error) items.push(el("p", { class: "ls-fb-error" }, error));
    if (done) items.push(el("p", { class: "ls-fb-done" }, `✓ ${t("lessons.task.now_done")}`));
    if (praise) items.push(textOrHtml("p", { class: "ls-fb-praise" }, praise, praiseHtml));
    if (explain) items.push(textOrHtml("p", { class: "ls-fb-explain" }, explain, explainHtml));
    if (lines.length) {
      // A lab task lists what is missing; a question says why the choice is not right.
      const head = done ? t("lessons.task.notes") : heading === "answer" ? t("lessons.task.not_quite")
        : heading === "revealed" ? null : t("lessons.task.not_yet");
      if (head) items.push(el("p", { class: "ls-fb-head" }, head));
      const html = Array.isArray(linesHtml) && linesHtml.length === lines.length ? linesHtml : null;
      items.push(el("ul", { class: "ls-fb-list" }, lines.map((line, i) => textOrHtml("li", {}, line, html && html[i]))));
    }
    replace(feedback, items);
    feedback.dataset.state = error ? "error" : done ? "done" : "missing";
  }

  checkButton.addEventListener("click", async () => {
    const answer = chosen();
    if (question && answer === null) {
      showFeedback({ error: t("lessons.task.choose") });
      const first = question.querySelector("input[type=radio]");
      if (first) first.focus();
      return;
    }
    checkButton.disabled = true;
    checkButton.textContent = t("lessons.task.checking");
    const result = await sendJSON(task.dataset.checkUrl, { answer });
    checkButton.disabled = false;
    checkButton.textContent = t("lessons.task.check");
    if (!result.ok) {
      showFeedback({ error: t("lessons.task.error", { message: result.error.message }) });
      return;
    }
    const data = result.data;
    if (typeof data.attempts === "number") {
      attempts.textContent = t("lessons.task.attempts", { n: data.attempts });
      attempts.hidden = false;
    }
    if (data.done) markDone(true);
    showFeedback({ done: Boolean(data.done), feedback: Array.isArray(data.feedback) ? data.feedback : [],
      linesHtml: data.feedback_html || null, explain: data.explain || null, explainHtml: data.explain_html || null,
      praise: data.praise || null, praiseHtml: data.praise_html || null, heading: data.heading || "missing" });
    onResult(data);
  });

  // Show me: the reference solution plays in the task's lab (it does not count), or its lines appear.
  const showButton = part("show");
  if (showButton) {
    const lab = part("lab");
    const note = part("solution-note");
    const lines = part("solution");
    let showing = false;
    const revealUrl = showButton.dataset.revealUrl;
    let revealed = false;
    showButton.addEventListener("click", async () => {
      if (revealUrl && !revealed && !showing) {
        // A question's answer is never in the page: ask for it (and why) only now.
        showButton.disabled = true;
        const result = await sendJSON(revealUrl, {});
        showButton.disabled = false;
        if (!result.ok) {
          showFeedback({ error: t("lessons.task.error", { message: result.error.message }) });
          return;
        }
        replace(lines, [el("p", { class: "ls-reveal-answer" }, t("lessons.task.reveal_answer", { choice: result.data.choice })),
          textOrHtml("p", { class: "ls-fb-explain" }, result.data.explain, result.data.explain_html)]);
        revealed = true;
      }
      showing = !showing;
      showButton.setAttribute("aria-expanded", String(showing));
      showButton.textContent = showing ? (lab ? t("lessons.task.back_to_lab") : t("lessons.task.hide_solution"))
        : t("lessons.task.show_me");
      if (lab && task.dataset.solutionSrc) {
        lab.src = showing ? task.dataset.solutionSrc : task.dataset.labSrc;
        note.textContent = showing ? t("lessons.task.solution_note") : "";
        if (showing) lab.scrollIntoView({ block: "nearest" });
      } else if (lines) {
        lines.hidden = !showing;
      }
    });
  }
}

// ---------------------------------------------------------------- start

const lessonRoot = $("lesson-root");
const courseRoot = $("lessons-course");
const glossaryRoot = $("lessons-glossary");
if (lessonRoot) initLesson(lessonRoot);
else if (courseRoot) initCourse(courseRoot);
else if (glossaryRoot) initGlossary(glossaryRoot);
