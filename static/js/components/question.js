/**
 * question.js: a quiz question's answer inputs (pages/quiz.js mounts it on #q-form).
 *
 * Single-choice questions are radio buttons; ordering questions a list
 * reordered with "up"/"down" buttons or Alt+Arrow keys (no dragging needed),
 * each move announced in `live`. Once graded (`lock()`) the inputs are
 * disabled for good; `mark(right)` then shows which choice was right, or
 * where each item belongs. Every text goes in with textContent (richText).
 */
import { t } from "../lib/i18n.js";
import { el, replace, announce } from "../lib/dom.js";
import { richText } from "./quizkit.js";

/**
 * Wire the inputs inside `form`; `live` is the polite region that announces
 * moves. Returns {show(question, position), response(), lock(), mark(right),
 * graded}. `response()` is the picked choice's key (null when none) or, for
 * an ordering, the keys in their current order.
 */
export function createQuestionForm(form, { live }) {
  let question = null;
  let position = 0;
  let graded = false; // the question has been answered (its inputs are locked)

  function singleInputs(q) {
    const name = `q-${position}`;
    const set = el("fieldset", { class: "qz-choices", "aria-labelledby": "q-prompt q-choose" },
      el("legend", { id: "q-choose", class: "qz-legend" }, t("quiz.take.choose_one")));
    q.choices.forEach((choice, i) => {
      const id = `${name}-${i}`;
      set.append(el("div", { class: "qz-choice", dataset: { key: choice.key } },
        el("input", { type: "radio", id, name, value: choice.key }),
        el("label", { for: id }, el("span", { class: "qz-choice-text" }, richText(choice.text)),
          el("span", { class: "qz-mark", "aria-hidden": "true" }),
          el("span", { class: "qz-verdict" }))));
    });
    return set;
  }

  function orderInputs(q) {
    const help = el("p", { class: "hint", id: "q-order-help" }, t("quiz.take.order_help"));
    const list = el("ol", { class: "qz-order", "aria-labelledby": "q-prompt", "aria-describedby": "q-order-help" });
    for (const choice of q.choices) list.append(orderItem(choice));
    renumber(list);
    return [help, list];
  }

  function orderItem(choice) {
    const text = el("span", { class: "qz-order-text" }, richText(choice.text));
    const up = el("button", { type: "button", class: "btn btn-small qz-move", dataset: { move: "-1" } },
      el("span", { "aria-hidden": "true" }, "↑"), el("span", { class: "qz-move-label" }, t("quiz.take.up")));
    const down = el("button", { type: "button", class: "btn btn-small qz-move", dataset: { move: "1" } },
      el("span", { "aria-hidden": "true" }, "↓"), el("span", { class: "qz-move-label" }, t("quiz.take.down")));
    const item = el("li", { class: "qz-order-item", tabindex: "0", dataset: { key: choice.key, text: choice.text } },
      el("span", { class: "qz-order-n", "aria-hidden": "true" }), text,
      el("span", { class: "qz-verdict" }),
      el("span", { class: "qz-order-tools" }, up, down));
    up.addEventListener("click", () => move(item, -1, up));
    down.addEventListener("click", () => move(item, 1, down));
    item.addEventListener("keydown", (event) => {
      if (graded || !event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
      event.preventDefault();
      move(item, event.key === "ArrowUp" ? -1 : 1, item);
    });
    return item;
  }

  function move(item, delta, focusAfter) {
    if (graded) return;
    const list = item.parentElement;
    const items = [...list.children];
    const from = items.indexOf(item);
    const to = from + delta;
    if (to < 0 || to >= items.length) return;
    if (delta < 0) list.insertBefore(item, items[to]);
    else list.insertBefore(item, items[to].nextSibling);
    renumber(list);
    // Keep the keyboard where it was; a button that just became useless hands focus to its twin.
    let target = focusAfter;
    if (target && target.disabled) target = item.querySelector(`[data-move="${-delta}"]`);
    if (target) target.focus();
    announce(live, t("quiz.take.moved", { text: item.dataset.text, n: to + 1, total: items.length }));
  }

  function renumber(list) {
    const items = [...list.children];
    items.forEach((item, i) => {
      item.querySelector(".qz-order-n").textContent = String(i + 1);
      const name = item.dataset.text;
      const up = item.querySelector('[data-move="-1"]');
      const down = item.querySelector('[data-move="1"]');
      up.disabled = graded || i === 0;
      down.disabled = graded || i === items.length - 1;
      up.setAttribute("aria-label", t("quiz.take.move_up", { text: name, n: i + 1, total: items.length }));
      down.setAttribute("aria-label", t("quiz.take.move_down", { text: name, n: i + 1, total: items.length }));
    });
  }

  function response() {
    if (question.kind === "order") return [...form.querySelectorAll(".qz-order-item")].map((li) => li.dataset.key);
    const picked = form.querySelector("input[type=radio]:checked");
    return picked ? picked.value : null;
  }

  function lock() {
    graded = true;
    for (const input of form.querySelectorAll("input, button")) input.disabled = true;
    for (const item of form.querySelectorAll(".qz-order-item")) item.removeAttribute("tabindex");
    form.classList.add("is-locked");
  }

  function markSingle(right) {
    const picked = response();
    for (const row of form.querySelectorAll(".qz-choice")) {
      const key = row.dataset.key;
      const isRight = key === right;
      const isPicked = key === picked;
      row.classList.toggle("is-right", isRight);
      row.classList.toggle("is-wrong", isPicked && !isRight);
      row.querySelector(".qz-mark").textContent = isRight ? "✔" : isPicked ? "✖" : "";
      row.querySelector(".qz-verdict").textContent = isRight ? t("quiz.take.is_right")
        : isPicked ? t("quiz.take.your_wrong") : "";
    }
  }

  function markOrder(right) {
    if (!Array.isArray(right)) return;
    form.querySelectorAll(".qz-order-item").forEach((item, i) => {
      const ok = right[i] === item.dataset.key;
      item.classList.toggle("is-right", ok);
      item.classList.toggle("is-wrong", !ok);
      item.querySelector(".qz-verdict").textContent = ok ? t("quiz.take.in_place")
        : t("quiz.take.belongs_at", { n: right.indexOf(item.dataset.key) + 1 });
    });
  }

  return {
    /** Shows the inputs of question `q`, the attempt's question number `pos` (names the radios). */
    show(q, pos) {
      question = q;
      position = pos;
      graded = false;
      form.classList.remove("is-locked");
      replace(form, q.kind === "order" ? orderInputs(q) : singleInputs(q));
    },
    response,
    lock,
    /** Marks the answer: `right` is the right key, or for an ordering the keys in the right order. */
    mark(right) {
      if (question.kind === "order") markOrder(right);
      else markSingle(right);
    },
    get graded() { return graded; },
  };
}
