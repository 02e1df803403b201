/**
 * transcript.js: the session as the classic C:/S: transcript, and its files.
 *
 * Shows every exchange as wire lines (C: for the client, S: for the server),
 * copies them, downloads the diagram's exports (text, JSON, SVG, Mermaid;
 * the session view makes and saves them) and imports a JSON export, which the session
 * view replays as the identical diagram.
 */
import { el, append, replace, copyText, announce } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { codeClass } from "../core/protocols.js";

/**
 * The lines of an exchange's text as they went on the wire. A message's
 * content is shown with the "." that ended it, which the exchange leaves out.
 */
export function wireLines(ex) {
  const lines = String(ex.text ?? "").split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  if (ex.kind === "data" && lines[lines.length - 1] !== ".") lines.push(".");
  return lines;
}

/** The transcript lines of one exchange: [{who, text}], who = "C", "S" or "*". */
export function transcriptLines(ex) {
  if (ex.kind === "tcp") return [{ who: "*", text: t(`ui.tcp.${ex.text}`) }];
  if (ex.kind === "silence") return [{ who: "*", text: t("ui.transcript.silence") }];
  const who = ex.from === "server" ? "S" : "C";
  return wireLines(ex).map((text) => ({ who, text }));
}

/**
 * Wire the transcript panel in `root`. `getView()` returns the session view
 * (for exports); `onImport(text)` replays a JSON file and returns the
 * exchanges now shown, or throws an Error whose message is shown;
 * `classOf(code)` is a reply code's colour class.
 */
export function createTranscript(root, { getView, onImport, classOf = (c) => codeClass(c) }) {
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  const list = part("lines");
  const status = part("status");
  const error = part("error");
  const empty = part("empty");
  let exchanges = [];

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  function lineNode(ex) {
    const cls = ex.kind === "reply" ? classOf(ex.code) : null;
    const nodes = transcriptLines(ex).map(({ who, text }) => el("span", {
      class: `tline tline-${who === "C" ? "client" : who === "S" ? "server" : "note"}${cls ? ` reply-${cls}xx` : ""}`,
    }, el("span", { class: "tline-who" }, who === "*" ? "*" : `${who}:`), " ", el("span", { class: "tline-text" }, text)));
    if (ex.fault && nodes.length) {
      append(nodes[nodes.length - 1], [el("span", { class: "fault-badge", title: t("ui.fault.badge_title") },
        t("ui.fault.badge", { n: ex.fault.rule + 1 }))]);
    }
    return nodes;
  }

  function refresh() {
    empty.hidden = exchanges.length > 0;
    list.hidden = exchanges.length === 0;
  }

  function asText() {
    return exchanges.flatMap(transcriptLines)
      .map(({ who, text }) => (who === "*" ? `* ${text}` : `${who}: ${text}`)).join("\n");
  }

  part("copy").addEventListener("click", async () => {
    const ok = await copyText(asText());
    announce(status, ok ? t("ui.transcript.copied") : t("ui.transcript.copy_failed"));
  });

  root.querySelectorAll("[data-export]").forEach((button) => {
    button.addEventListener("click", () => {
      showError("");
      try {
        getView().exportAs(button.dataset.export); // the session view names and downloads the file
        announce(status, t("ui.transcript.exported", { format: button.textContent.trim() }));
      } catch (exc) {
        showError(t("ui.transcript.export_failed", { detail: exc.message }));
      }
    });
  });

  const fileInput = part("import");
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    showError("");
    try {
      const text = await file.text();
      const shown = onImport(text);
      exchanges = [...shown];
      replace(list, exchanges.flatMap(lineNode));
      refresh();
      announce(status, t("ui.transcript.imported", { n: exchanges.length, name: file.name }));
    } catch (exc) {
      showError(t("ui.transcript.import_failed", { detail: exc.message }));
    } finally {
      fileInput.value = "";
    }
  });

  refresh();
  return {
    add(ex) {
      exchanges.push(ex);
      append(list, lineNode(ex));
      list.scrollTop = list.scrollHeight;
      refresh();
    },
    clear() {
      exchanges = [];
      replace(list);
      showError("");
      refresh();
    },
    text: asText,
  };
}
