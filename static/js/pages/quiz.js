/**
 * quiz.js: the learner's quiz pages (templates/quizzes.html, quiz_shared.html,
 * quiz_take.html; routes in simulator/web/quizview.py, flow in simulator/quizzes.py).
 *
 * - Home (#quiz-home): three forms start an attempt with a JSON POST to
 *   /api/quizzes/attempts (practice with protocols, question types and a count;
 *   a test with a count and an optional time limit; spaced review) and go to
 *   the attempt's page. A shared quiz's page (#quiz-shared) starts the
 *   teacher's quiz the same way, with the name the learner typed (required
 *   when the teacher asks for one; prefilled from the name saved on /lessons).
 * - Taking a quiz (#quiz-take): one question at a time, fetched from
 *   GET /api/quizzes/attempts/<id>, which sends only the current question's
 *   public form (never its answer). Single-choice questions are radio
 *   buttons; ordering questions a list reordered with "up"/"down" buttons or
 *   Alt+Arrow keys (no dragging needed); predict-the-reply questions show
 *   their replay as the lab's sequence diagram, stopped before the reply. The
 *   answer goes to .../answer; once graded the inputs are disabled for good
 *   (the server refuses a second answer anyway). Practice and review show the
 *   verdict, the right answer and the explanation at once (predict: the real
 *   reply lands on the diagram); a test says nothing until the end. A time
 *   limit shows a countdown, announced politely at 5 and 1 minute left; at
 *   zero the attempt finishes. The end shows the score and a review of every
 *   question (from .../finish).
 *
 * Every text from the server or from a learner goes in with textContent.
 * The parts other pages share are components/quizkit.js (requests, rich
 * text, formats), components/question.js (the answer inputs) and core/quiz.js
 * (the replay's exchanges, answers as text); this module is only the page.
 */
import { t, lang } from "../lib/i18n.js";
import { el, replace, announce } from "../lib/dom.js";
import { sendJSON, serverSkew, checkConnection, richText, percent, label } from "../components/quizkit.js";
import { createQuestionForm } from "../components/question.js";
import { cleanExchange, textOf, pickText } from "../core/quiz.js";

const $ = (id) => document.getElementById(id);

function showError(box, message) {
  if (!box) return;
  box.textContent = message || "";
  box.hidden = !message;
}

const reducedMotion = () => typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;

// ---------------------------------------------------------------- home and shared quiz

/** The checked values of the named checkboxes inside `form`. */
function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

/** Start an attempt and open it; errors land in `errorBox`. */
async function startAttempt(body, button, errorBox) {
  showError(errorBox, "");
  if (button) button.disabled = true;
  const answer = await sendJSON("/api/quizzes/attempts", body);
  if (answer.ok && answer.data.attempt && answer.data.attempt.url) {
    window.location.assign(answer.data.attempt.url);
    return;
  }
  if (button) button.disabled = false;
  showError(errorBox, answer.ok ? t("quiz.error.start") : answer.error.message);
}

function initHome(root) {
  checkConnection();
  const practice = $("practice-form");
  if (practice) {
    practice.addEventListener("submit", (event) => {
      event.preventDefault();
      const protocols = checked(practice, "protocols");
      const types = checked(practice, "types");
      const error = $("practice-error");
      if (!protocols.length || !types.length) {
        showError(error, t(protocols.length ? "quiz.home.need_type" : "quiz.home.need_protocol"));
        return;
      }
      const count = Number($("practice-count").value) || 10;
      startAttempt({ mode: "practice", protocols, types, count }, practice.querySelector("[type=submit]"), error);
    });
  }
  const test = $("test-form");
  if (test) {
    const limitOn = $("test-limit-on");
    const minutes = $("test-minutes");
    const sync = () => { minutes.disabled = !limitOn.checked; };
    limitOn.addEventListener("change", sync);
    sync();
    test.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { mode: "test", count: Number($("test-count").value) || 10 };
      const protocols = checked(test, "protocols");
      if (protocols.length) body.protocols = protocols;
      if (limitOn.checked) {
        const m = Number(minutes.value);
        if (!(m >= 1 && m <= 120)) {
          minutes.setAttribute("aria-invalid", "true");
          showError($("test-error"), t("quiz.home.bad_minutes"));
          minutes.focus();
          return;
        }
        minutes.removeAttribute("aria-invalid");
        body.time_limit_s = Math.round(m * 60);
      }
      startAttempt(body, test.querySelector("[type=submit]"), $("test-error"));
    });
  }
  const review = $("review-form");
  if (review) {
    review.addEventListener("submit", (event) => {
      event.preventDefault();
      startAttempt({ mode: "review" }, review.querySelector("[type=submit]"), $("review-error"));
    });
  }
  void root;
}

function initShared(root) {
  checkConnection();
  const form = $("shared-form");
  if (!form) return; // a closed quiz: nothing to start
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("shared-name");
    const name = input ? input.value.trim() : "";
    if (input) input.removeAttribute("aria-invalid");
    if (!name && form.dataset.requireName === "true") {
      input.setAttribute("aria-invalid", "true");
      showError($("shared-error"), t("quiz.shared.need_name"));
      input.focus();
      return;
    }
    const body = { mode: root.dataset.mode || "test", quiz: root.dataset.quiz };
    if (name) body.name = name;
    startAttempt(body, form.querySelector("[type=submit]"), $("shared-error"));
  });
}

// ---------------------------------------------------------------- taking a quiz

function initTake(root) {
  const attemptId = root.dataset.attempt || decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop());
  const base = `/api/quizzes/attempts/${encodeURIComponent(attemptId)}`;
  const ui = {
    mode: $("quiz-mode"),
    count: $("quiz-count"),
    bar: $("quiz-bar"),
    score: $("quiz-score"),
    timer: $("quiz-timer"),
    timerText: $("quiz-timer-text"),
    timerLive: $("quiz-timer-live"),
    alert: $("quiz-alert"),
    card: $("quiz-question"),
    meta: $("q-meta"),
    prompt: $("q-prompt"),
    replay: $("q-replay"),
    form: $("q-form"),
    submit: $("q-submit"),
    next: $("q-next"),
    feedback: $("q-feedback"),
    live: $("quiz-live"),
    end: $("quiz-end"),
    loading: $("quiz-loading"),
  };
  let state = null; // the attempt: {mode, total, answered, deadline, finished}
  let question = null; // the current question's public form
  let position = null;
  const inputs = createQuestionForm(ui.form, { live: ui.live });
  let view = null; // the predict question's session view
  let timerId = 0;
  let warned = new Set();
  let finishing = false;
  let correctSoFar = 0;
  let endsAt = null; // when the time limit runs out, by this browser's clock (ms)
  let timedOut = false;
  const isTest = () => state && state.mode === "test";

  /** Keep what the server says of the attempt: the score so far (not in a test) and the time left. */
  function takeState(summary) {
    if (typeof summary.score === "number") correctSoFar = summary.score;
    if (typeof summary.time_left === "number") endsAt = Date.now() + summary.time_left * 1000;
    else if (typeof summary.deadline === "number") endsAt = summary.deadline * 1000 - serverSkew();
    else endsAt = null;
  }

  // ------------------------------------------------ loading a question
  async function load() {
    const answer = await sendJSON(base);
    ui.loading.hidden = true;
    if (!answer.ok) {
      showError(ui.alert, answer.error.message);
      return;
    }
    state = answer.data.attempt || {};
    takeState(state);
    ui.mode.textContent = label("quiz.mode", state.mode);
    startTimer();
    if (state.finished || !answer.data.question) {
      finish();
      return;
    }
    show(answer.data.question, answer.data.position);
  }

  function setProgress() {
    const total = state.total || 0;
    const done = Math.min(total, state.answered || 0);
    ui.count.textContent = t("quiz.take.progress", { n: Math.min(total, (position ?? done) + 1), total });
    ui.bar.max = total || 1;
    ui.bar.value = done;
    ui.bar.setAttribute("aria-valuetext", t("quiz.take.answered_of", { n: done, total }));
    if (!isTest() && done > 0) {
      ui.score.textContent = t("quiz.take.score_so_far", { n: correctSoFar, total: done });
      ui.score.hidden = false;
    } else {
      ui.score.hidden = true;
    }
  }

  function show(q, pos) {
    question = q;
    position = typeof pos === "number" ? pos : state.answered || 0;
    ui.card.hidden = false;
    ui.card.dataset.kind = q.kind;
    ui.card.dataset.type = q.type;
    setProgress();
    replace(ui.meta,
      el("span", { class: "tag" }, label("quiz.type", q.type)),
      q.protocol ? el("span", { class: "tag qz-proto" }, q.protocol.toUpperCase()) : null,
      q.topic && q.topic !== "replies" ? el("span", { class: "tag tag-quiet" }, label("quiz.topic", q.topic)) : null);
    replace(ui.prompt, richText(q.prompt));
    showReplay(q);
    inputs.show(q, position);
    replace(ui.feedback);
    ui.feedback.hidden = true;
    ui.submit.hidden = false;
    ui.submit.disabled = false;
    ui.submit.textContent = t(isTest() ? "quiz.take.save" : "quiz.take.check");
    ui.next.hidden = true;
    showError(ui.alert, "");
    ui.prompt.focus();
  }

  // ------------------------------------------------ the replay (predict, fill)
  async function showReplay(q) {
    if (view) { view.destroy(); view = null; }
    replace(ui.replay);
    ui.replay.hidden = !q.replay;
    if (!q.replay) return;
    if (q.type === "predict") {
      const title = el("h3", { class: "qz-replay-title", id: "q-replay-title" }, t("quiz.take.replay_title"));
      const hint = el("p", { class: "hint" }, t("quiz.take.replay_hint"));
      const host = el("div", { class: "session-view qz-diagram" });
      ui.replay.append(title, hint, host);
      const { createSessionView } = await import("../components/sessionview.js");
      if (question !== q) return; // moved on while the module loaded
      view = createSessionView(host, { t, lang, keyboard: false, title: t("quiz.take.replay_title"),
        meta: { protocol: q.protocol || "smtp" } });
      view.load({ format: "mailsim-transcript", version: 1, meta: { protocol: q.protocol || "smtp" },
        exchanges: q.replay.map((ex, i) => cleanExchange(ex, i)) }, reducedMotion() ? { at: "end" } : { play: true });
      return;
    }
    // fill (and any other replay): the transcript as lines, the missing one marked.
    ui.replay.append(el("h3", { class: "qz-replay-title" }, t("quiz.take.transcript_title")));
    const list = el("ol", { class: "qz-transcript", "aria-label": t("quiz.take.transcript_title") });
    for (const ex of q.replay) {
      const who = ex.from === "server" ? "S" : "C";
      const missing = ex.text === "?";
      const text = ex.kind === "tcp" ? t(`quiz.take.tcp_${ex.text === "connect" ? "connect" : "close"}`) : ex.text;
      list.append(el("li", { class: `qz-line qz-from-${ex.from === "server" ? "server" : "client"}${missing ? " qz-missing" : ""}` },
        el("span", { class: "qz-who", "aria-label": t(`quiz.take.from_${who === "S" ? "server" : "client"}`) }, `${who}:`),
        " ",
        missing ? el("span", { class: "qz-gap" }, el("span", { "aria-hidden": "true" }, "?"),
          el("span", { class: "sr-only" }, t("quiz.take.missing_line"))) : el("span", { class: "qz-text" }, text)));
    }
    ui.replay.append(list);
  }

  // ------------------------------------------------ answering
  ui.form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  ui.submit.addEventListener("click", () => submit());
  ui.next.addEventListener("click", () => advance());

  async function submit() {
    if (inputs.graded || !question) return;
    const value = inputs.response();
    if (value === null) {
      showError(ui.alert, t("quiz.take.pick_first"));
      const first = ui.form.querySelector("input[type=radio]");
      if (first) first.focus();
      return;
    }
    showError(ui.alert, "");
    ui.submit.disabled = true;
    const answer = await sendJSON(`${base}/answer`, { position, response: value });
    if (!answer.ok) {
      const code = answer.error.code;
      if (code === "time_up" || code === "finished") { timedOut = code === "time_up"; inputs.lock(); finish(); return; }
      if (code === "already_answered" || code === "not_current") { load(); return; }
      ui.submit.disabled = false;
      showError(ui.alert, answer.error.message);
      return;
    }
    inputs.lock();
    const data = answer.data;
    state.answered = Math.max(state.answered || 0, position + 1);
    if (data.correct) correctSoFar += 1;
    if (data.attempt) { state = { ...state, ...data.attempt }; takeState(data.attempt); }
    const more = data.next !== false && state.answered < state.total;
    if (isTest() || data.recorded && data.correct === undefined) {
      // A test tells nothing now: on to the next question, or to the score.
      announce(ui.live, t("quiz.take.recorded"));
      if (more) advance(); else finish();
      return;
    }
    setProgress();
    showFeedback(data, more);
  }

  function showFeedback(data, more) {
    const right = data.right;
    inputs.mark(right);
    const verdict = data.correct ? t("quiz.take.correct") : t("quiz.take.wrong");
    ui.feedback.dataset.state = data.correct ? "right" : "wrong";
    const rightValue = data.right_text !== undefined && data.right_text !== null ? data.right_text
      : Array.isArray(right) ? right.map(choiceText) : choiceText(right);
    const rightText = textOf(rightValue, lang);
    if (view) {
      // The real reply lands on the diagram: the server's exchange when it came, else its code.
      const reply = data.replay_reply || (question.type === "predict" && rightText
        ? { from: "server", kind: "reply", text: rightText, code: /^\d{3}$/.test(rightText) ? Number(rightText) : rightText,
          phase: (view.timeline.at(-1) || {}).phase || null }
        : null);
      if (reply) view.addExchange(cleanExchange(reply, view.timeline.length));
    }
    replace(ui.feedback,
      el("p", { class: "qz-fb-verdict" }, el("span", { class: "qz-fb-icon", "aria-hidden": "true" }, data.correct ? "✔" : "✖"), " ", verdict),
      !data.correct && rightText ? el("div", { class: "qz-fb-right" }, el("strong", {}, t("quiz.take.right_answer")), " ",
        answerNodes(rightValue)) : null,
      data.replay_reply ? el("p", { class: "qz-fb-reply" }, el("strong", {}, t("quiz.take.real_reply")), " ",
        el("code", {}, String(data.replay_reply.text || "").split(/\r?\n/)[0])) : null,
      data.explanation ? el("p", { class: "qz-fb-why" }, richText(pickText(data.explanation, lang))) : null);
    ui.feedback.hidden = false;
    ui.submit.hidden = true;
    ui.next.hidden = false;
    ui.next.textContent = t(more ? "quiz.take.next" : "quiz.take.see_score");
    ui.next.dataset.more = more ? "1" : "0";
    ui.next.focus();
  }


  function choiceText(key) {
    const choice = question.choices.find((c) => c.key === key);
    return choice ? choice.text : "";
  }

  /** An answer for the page: a text (with code spans), or for an order a numbered list. */
  function answerNodes(value) {
    if (Array.isArray(value)) return el("ol", { class: "qz-answer-list" }, value.map((v) => el("li", {}, richText(textOf(v, lang)))));
    return richText(textOf(value, lang));
  }

  async function advance() {
    if (ui.next.dataset.more === "0") { finish(); return; }
    ui.next.disabled = true;
    const answer = await sendJSON(base);
    ui.next.disabled = false;
    if (!answer.ok) { showError(ui.alert, answer.error.message); return; }
    state = { ...state, ...(answer.data.attempt || {}) };
    takeState(state);
    if (state.finished || !answer.data.question) { finish(); return; }
    show(answer.data.question, answer.data.position);
  }

  // ------------------------------------------------ the end
  async function finish() {
    if (finishing) return;
    finishing = true;
    stopTimer();
    const answer = await sendJSON(`${base}/finish`, {});
    if (!answer.ok) {
      finishing = false;
      showError(ui.alert, answer.error.message);
      return;
    }
    const data = answer.data;
    if (view) { view.destroy(); view = null; }
    ui.card.hidden = true;
    ui.timer.hidden = true;
    ui.score.hidden = true;
    state.answered = state.total;
    ui.count.textContent = t("quiz.take.done");
    ui.bar.max = state.total || 1;
    ui.bar.value = state.total || 0;
    renderEnd(data);
  }

  function renderEnd(data) {
    const score = data.score ?? 0;
    const total = data.total ?? (data.results || []).length;
    const heading = $("quiz-end-title");
    $("quiz-end-score").textContent = t("quiz.end.score", { n: score, total, percent: percent(score, total) });
    $("quiz-end-note").textContent = timedOut ? t("quiz.end.time_up") : "";
    const list = $("quiz-review");
    list.replaceChildren();
    (data.results || []).forEach((r, i) => list.append(reviewItem(r, i)));
    ui.end.hidden = false;
    heading.focus();
  }

  function reviewItem(r, i) {
    const correct = Boolean(r.correct);
    const answered = r.response !== null && r.response !== undefined && r.answered !== false;
    const status = !answered ? "skipped" : correct ? "right" : "wrong";
    const sym = { right: "✔", wrong: "✖", skipped: "–" }[status];
    const mine = r.response_text ?? r.response;
    const right = r.right_text ?? r.right;
    return el("li", { class: `qz-review-item is-${status}` },
      el("h3", { class: "qz-review-q" },
        el("span", { class: "qz-review-sym", "aria-hidden": "true" }, sym), " ",
        el("span", { class: "sr-only" }, `${t(`quiz.end.${status}`)}: `),
        t("quiz.end.question_n", { n: i + 1 }), " · ", richText(pickText(r.prompt, lang))),
      el("dl", { class: "qz-review-facts" },
        el("dt", {}, t("quiz.end.your_answer")), el("dd", {}, answered ? answerNodes(mine) : t("quiz.end.no_answer")),
        correct ? null : [el("dt", {}, t("quiz.end.right_answer")), el("dd", {}, answerNodes(right))]),
      r.explanation ? el("p", { class: "qz-review-why" }, richText(pickText(r.explanation, lang))) : null);
  }


  // ------------------------------------------------ the countdown
  function startTimer() {
    stopTimer();
    if (!state || endsAt === null || state.finished) { ui.timer.hidden = true; return; }
    ui.timer.hidden = false;
    // Only a crossing is announced: a 1-minute test does not start by saying "one minute left".
    const first = Math.ceil((endsAt - Date.now()) / 1000);
    for (const mark of [300, 60]) if (first <= mark) warned.add(mark);
    const tick = () => {
      const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      const m = Math.floor(left / 60);
      const s = left % 60;
      ui.timerText.textContent = `${m}:${String(s).padStart(2, "0")}`;
      ui.timer.dataset.urgency = left <= 60 ? "high" : left <= 300 ? "low" : "none";
      for (const mark of [300, 60]) {
        if (left <= mark && !warned.has(mark)) {
          warned.add(mark);
          if (left > mark - 30) announce(ui.timerLive, t(mark === 300 ? "quiz.take.five_minutes" : "quiz.take.one_minute"));
        }
      }
      if (left <= 0) {
        stopTimer();
        timedOut = true;
        announce(ui.timerLive, t("quiz.take.time_up"));
        inputs.lock();
        finish();
      }
    };
    tick();
    timerId = window.setInterval(tick, 1000);
  }

  function stopTimer() {
    if (timerId) window.clearInterval(timerId);
    timerId = 0;
  }

  load();
}

// ---------------------------------------------------------------- start

const home = $("quiz-home");
if (home) initHome(home);
const shared = $("quiz-shared");
if (shared) initShared(shared);
const take = $("quiz-take");
if (take) initTake(take);
