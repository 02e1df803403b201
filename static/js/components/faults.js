/**
 * faults.js: the fault panel, where a learner or teacher makes the server misbehave.
 *
 * The plan (docs/faults.md: `{seed, rules: [{stage, match, reply, text,
 * delay_ms, disconnect, silent, times, after, probability, note}]}`) is the
 * model; the rule editor and the JSON textarea are two views of it, kept in
 * step. Presets load a whole plan with its story. "Apply" hands the plan to
 * `apply(plan)` (a lab session, or the real port's PUT /api/faults) and shows
 * the server's verdict; a `bad_faults` error names a field such as
 * `rules[0].reply`, which is marked on the rule that has it.
 *
 * The panel speaks one protocol at a time (`setProtocol`): its stages are
 * that protocol's verbs and pseudo-stages, its codes that catalogue's codes
 * (SMTP's numbers, POP3's "+OK"/"-ERR", IMAP's "OK", "NO", "BAD"...), its
 * presets those written for it.
 */
import { el, replace } from "../lib/dom.js";
import { t, pick } from "../lib/i18n.js";
import { normaliseProtocol, protocolInfo } from "../core/protocols.js";
import { planProtocol, actionOf, cleanPlan, faultPath } from "../core/faultplan.js";

const ALL_PSEUDO = ["connect", "greeting", "DATA_END", "UNKNOWN", "*"];
const NO_ARGUMENT = new Set(["connect", "greeting", "DATA_END"]);
const FALLBACK_VERBS = {
  smtp: ["HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "TURN", "SEND", "SOML", "SAML"],
  pop3: ["USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT", "TOP", "UIDL", "CAPA"],
  imap: ["CAPABILITY", "NOOP", "LOGOUT", "LOGIN", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "LIST", "STATUS",
    "APPEND", "IDLE", "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY"],
};

/**
 * Wire the panel in `root` (template markup with data-part attributes).
 * `protocol` is the protocol the rules are for; `catalogue` a promise of its
 * /api/catalogue; `presets` a promise of /api/presets (every protocol's: the
 * panel shows those for its protocol); `apply(plan)` resolves to
 * `{ok, faults?, error?}`.
 */
export function createFaultPanel(root, { protocol: initial = "smtp", catalogue, presets, apply, onChange }) {
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  const presetSelect = part("preset");
  const story = part("story");
  const rulesList = part("rules");
  const seedInput = part("seed");
  const jsonArea = part("json");
  const jsonError = part("json-error");
  const error = part("error");
  const status = part("status");

  let plan = { seed: 0, rules: [] };
  let protocol = normaliseProtocol(initial) || "smtp";
  let info = protocolInfo(protocol);
  let codes = [];
  let greetingCodes = info.greetingCodes;
  let verbs = FALLBACK_VERBS[protocol];
  let allPresets = [];
  let presetList = [];
  let uid = 0;
  let loading = 0;
  const pseudoStages = () => ALL_PSEUDO.filter((stage) => info.pseudoStages.includes(stage));
  /** A code as the plan writes it: SMTP's a number, the others' a string. */
  const asCode = (value) => (info.numericCodes ? Number(value) : String(value));

  function showError(message, where) {
    error.textContent = message || "";
    error.hidden = !message;
    root.querySelectorAll("[aria-invalid=true]").forEach((node) => node.removeAttribute("aria-invalid"));
    if (!where) return;
    let target = null;
    if (where.rule !== null && where.rule !== undefined) {
      const item = rulesList.children[where.rule];
      target = item && (item.querySelector(`[data-field="${where.field}"]`) || item.querySelector("select"));
    } else if (where.field === "seed") {
      target = seedInput;
    } else if (where.field) {
      target = jsonArea; // the plan as a whole, its rules list, or its JSON
    }
    if (target) {
      const details = target.closest("details");
      if (details) details.open = true;
      target.setAttribute("aria-invalid", "true");
      target.setAttribute("aria-describedby", error.id);
      target.focus();
    }
  }

  function setStatus(text) {
    status.textContent = text || "";
  }

  function syncJson() {
    jsonArea.value = JSON.stringify(cleanPlan(plan), null, 2);
    jsonArea.removeAttribute("aria-invalid");
    jsonError.textContent = "";
    jsonError.hidden = true;
    if (onChange) onChange(cleanPlan(plan));
  }

  function field(labelText, control, extra = {}) {
    return el("div", { class: `field ${extra.class || ""}` },
      el("label", { for: control.id }, labelText), control);
  }

  function stageOptions(selected) {
    const stages = [...verbs, ...pseudoStages()];
    if (selected && !stages.includes(selected)) stages.push(selected);
    return stages.map((stage) => el("option", { value: stage, selected: stage === selected },
      ALL_PSEUDO.includes(stage) ? t(`ui.faults.stage.${stage === "*" ? "any" : stage}`) : stage));
  }

  function codeOptions(rule) {
    const allowed = rule.stage === "greeting" ? codes.filter(([code]) => greetingCodes.includes(code)) : codes;
    const current = rule.reply === undefined || rule.reply === null ? "" : String(rule.reply);
    const list = allowed.some(([code]) => code === current) || !current ? allowed : [[current, ""], ...allowed];
    return list.map(([code, meaning]) => el("option", { value: code, selected: code === current },
      meaning ? `${code} — ${meaning}` : code));
  }

  function renderRule(rule, index) {
    const id = (name) => `fr-${uid}-${index}-${name}`;
    const update = (patch) => {
      Object.assign(plan.rules[index], patch);
      for (const [name, value] of Object.entries(patch)) if (value === undefined) delete plan.rules[index][name];
      syncJson();
    };
    const action = actionOf(rule);
    const intOrUndefined = (value) => (value === "" ? undefined : Number(value));

    const stage = el("select", { id: id("stage"), "data-field": "stage",
      onchange: (e) => { update({ stage: e.target.value }); render(); } }, stageOptions(rule.stage));
    const match = el("input", { id: id("match"), "data-field": "match", type: "text", value: rule.match || "",
      placeholder: info.matchPlaceholder, disabled: NO_ARGUMENT.has(rule.stage), spellcheck: "false",
      oninput: (e) => update({ match: e.target.value || undefined }) });
    const actionSelect = el("select", { id: id("action"), "data-field": "action",
      onchange: (e) => {
        const next = e.target.value;
        const patch = { reply: undefined, text: undefined, disconnect: undefined, silent: undefined };
        if (next === "reply") patch.reply = asCode(rule.stage === "greeting" ? info.greetingRefusal : info.refusal);
        if (next === "disconnect") patch.disconnect = true;
        if (next === "silent") { patch.silent = true; patch.delay_ms = undefined; }
        if (next === "delay" && !rule.delay_ms) patch.delay_ms = 3000;
        update(patch);
        render();
      } },
    ["reply", "delay", "disconnect", "silent"].map((a) => el("option", { value: a, selected: a === action }, t(`ui.faults.action.${a}`))));
    const reply = el("select", { id: id("reply"), "data-field": "reply",
      onchange: (e) => update({ reply: asCode(e.target.value) }) }, codeOptions(rule));
    const text = el("input", { id: id("text"), "data-field": "text", type: "text", value: rule.text || "",
      maxlength: "200", placeholder: t("ui.faults.text_placeholder"),
      oninput: (e) => update({ text: e.target.value || undefined }) });
    const delay = el("input", { id: id("delay"), "data-field": "delay_ms", type: "number", min: "0", max: "60000",
      step: "100", value: rule.delay_ms ?? "", inputmode: "numeric",
      oninput: (e) => update({ delay_ms: intOrUndefined(e.target.value) }) });
    const times = el("input", { id: id("times"), "data-field": "times", type: "number", min: "0", step: "1",
      value: rule.times ?? "", placeholder: "∞", inputmode: "numeric",
      oninput: (e) => update({ times: intOrUndefined(e.target.value) }) });
    const after = el("input", { id: id("after"), "data-field": "after", type: "number", min: "0", step: "1",
      value: rule.after ?? "", placeholder: "0", inputmode: "numeric",
      oninput: (e) => update({ after: intOrUndefined(e.target.value) }) });
    const probability = el("input", { id: id("probability"), "data-field": "probability", type: "number",
      min: "0", max: "1", step: "0.05", value: rule.probability ?? "", placeholder: "1", inputmode: "decimal",
      oninput: (e) => update({ probability: e.target.value === "" ? undefined : Number(e.target.value) }) });

    return el("li", { class: "rule" },
      el("fieldset", {},
        el("legend", {}, t("ui.faults.rule_n", { n: index + 1 })),
        el("div", { class: "rule-grid" },
          field(t("ui.faults.stage"), stage),
          field(t("ui.faults.action"), actionSelect),
          field(t("ui.faults.match"), match, { class: "wide" }),
          // Only the fields the chosen action uses are shown.
          action === "reply" ? field(t("ui.faults.reply"), reply, { class: "wide" }) : null,
          action === "reply" ? field(t("ui.faults.text"), text, { class: "wide" }) : null,
          action !== "silent" ? field(t("ui.faults.delay"), delay) : null,
          field(t("ui.faults.times"), times),
          field(t("ui.faults.after"), after),
          field(t("ui.faults.probability"), probability)),
        rule.note ? el("p", { class: "rule-note" }, rule.note) : null,
        el("button", { type: "button", class: "btn btn-small btn-quiet",
          onclick: () => { plan.rules.splice(index, 1); syncJson(); render(); } },
        t("ui.faults.remove_rule", { n: index + 1 }))));
  }

  function render() {
    uid += 1;
    const rules = Array.isArray(plan.rules) ? plan.rules : [];
    // A rule that is not an object (typed in the JSON) keeps its place, so
    // the server's "rules[N]" still points at the right one.
    replace(rulesList, rules.map((rule, i) => (rule && typeof rule === "object" && !Array.isArray(rule)
      ? renderRule(rule, i)
      : el("li", { class: "rule" }, el("p", { class: "field-error" }, t("ui.faults.rule_not_object", { n: i + 1 }))))));
    rulesList.hidden = rules.length === 0;
    part("empty").hidden = rules.length !== 0;
    seedInput.value = plan.seed ?? 0;
  }

  /** Show `next` in the editor (not applied until Apply). */
  function setPlan(next) {
    const source = next && typeof next === "object" ? next : { seed: 0, rules: [] };
    plan = JSON.parse(JSON.stringify({ seed: source.seed ?? 0, rules: source.rules || [], ...(source.protocol ? { protocol: source.protocol } : {}) }));
    render();
    syncJson();
  }

  part("add").addEventListener("click", () => {
    if (!Array.isArray(plan.rules)) plan.rules = [];
    plan.rules.push({ stage: info.defaultStage, reply: asCode(info.refusal) });
    syncJson();
    render();
    const last = rulesList.lastElementChild;
    if (last) last.querySelector("select").focus();
  });

  seedInput.addEventListener("input", () => {
    const value = Number(seedInput.value);
    plan.seed = seedInput.value !== "" && Number.isInteger(value) ? value : seedInput.value;
    syncJson();
  });

  jsonArea.addEventListener("input", () => {
    try {
      const parsed = JSON.parse(jsonArea.value);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(t("ui.faults.json_object"));
      plan = { ...parsed, seed: parsed.seed ?? 0, rules: parsed.rules ?? [] };
      jsonArea.removeAttribute("aria-invalid");
      jsonError.hidden = true;
      jsonError.textContent = "";
      render();
      if (onChange) onChange(cleanPlan(plan));
    } catch (exc) {
      jsonArea.setAttribute("aria-invalid", "true");
      jsonError.hidden = false;
      jsonError.textContent = t("ui.faults.json_invalid", { detail: exc.message });
    }
  });

  presetSelect.addEventListener("change", () => {
    const preset = presetList.find((p) => p.name === presetSelect.value);
    story.textContent = preset ? pick(preset.story) : "";
    story.hidden = !preset;
    if (preset) setPlan(preset.plan);
  });

  async function doApply(planToApply) {
    if (jsonArea.getAttribute("aria-invalid") === "true") {
      showError(jsonError.textContent, { field: "json" });
      return { ok: false };
    }
    showError("");
    setStatus(t("ui.faults.applying"));
    const answer = await apply(planToApply);
    if (!answer.ok) {
      setStatus("");
      const { code, message } = answer.error || {};
      if (message) showError(message, code === "bad_faults" ? faultPath(message) || { field: "plan" } : null);
      return answer;
    }
    if (answer.faults) setPlan(answer.faults);
    const n = ((answer.faults || planToApply).rules || []).length;
    setStatus(n ? t("ui.faults.applied", { n }) : t("ui.faults.applied_none"));
    return answer;
  }

  part("form").addEventListener("submit", (event) => {
    event.preventDefault();
    doApply(cleanPlan(plan));
  });
  part("clear").addEventListener("click", () => {
    presetSelect.value = "";
    story.hidden = true;
    setPlan(null);
    doApply({ seed: 0, rules: [] });
  });

  /** The codes and verbs of the protocol's catalogue (until it comes, a built-in list). */
  function useCatalogue(promise) {
    const mine = ++loading;
    codes = [];
    greetingCodes = info.greetingCodes;
    verbs = FALLBACK_VERBS[protocol];
    Promise.resolve(promise).then((data) => {
      if (!data || mine !== loading) return;
      const entries = Object.entries(data.codes || {});
      codes = entries.map(([code, entry]) => [code, pick(entry.meaning)]);
      if (info.numericCodes) codes.sort(([a], [b]) => Number(a) - Number(b));
      else {
        // Status words by class (done, send more, refused, error), then in the protocol's own order.
        const order = Object.keys(info.classes);
        const rank = ([c]) => [(data.codes[c] || {}).class ?? 9, order.includes(c) ? order.indexOf(c) : 99];
        codes.sort((a, b) => { const [x, y] = [rank(a), rank(b)]; return x[0] - y[0] || x[1] - y[1]; });
      }
      // The catalogue marks the codes a greeting may have where it knows them.
      const marked = entries.filter(([, entry]) => entry && entry.greeting === true).map(([code]) => code);
      if (entries.some(([, entry]) => entry && "greeting" in entry)) greetingCodes = marked;
      // The engine's verbs when the server says which (a rule for any other would never fire).
      const catalogueVerbs = Array.isArray(data.stages) ? data.stages : Object.keys(data.commands || {});
      if (catalogueVerbs.length) verbs = catalogueVerbs;
      render();
    });
  }

  function showPresets() {
    presetList = allPresets.filter((p) => planProtocol(p) === protocol);
    presetSelect.replaceChildren(el("option", { value: "" }, t("ui.faults.preset_none")),
      ...presetList.map((p) => el("option", { value: p.name }, pick(p.title) || p.name)));
    presetSelect.value = "";
    story.hidden = true;
  }

  Promise.resolve(presets).then((list) => {
    allPresets = Array.isArray(list) ? list : [];
    showPresets();
  });

  /** Speak another protocol: its stages, codes and presets; the editor starts empty. */
  function setProtocol(next, nextCatalogue) {
    protocol = normaliseProtocol(next) || "smtp";
    info = protocolInfo(protocol);
    root.dataset.protocol = protocol;
    showError("");
    setStatus("");
    showPresets();
    useCatalogue(nextCatalogue);
    setPlan(null);
  }

  root.dataset.protocol = protocol;
  useCatalogue(catalogue);
  render();
  syncJson();
  return {
    setProtocol,
    get protocol() { return protocol; },
    setPlan,
    getPlan: () => cleanPlan(plan),
    apply: doApply,
    showError,
    setStatus,
    /** Select a preset by name and show its plan (not applied). */
    choosePreset(name) {
      presetSelect.value = name || "";
      presetSelect.dispatchEvent(new Event("change"));
    },
  };
}
