// Mermaid's own parser must accept toMermaid's output and read back every
// message exactly. Needs the dev dependency: npm ci --prefix tests/js
// (skipped with a note when it is missing, failed under CI=true).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { translator } from "../../static/js/lib/i18n.js";
import { Timeline } from "../../static/js/core/timeline.js";
import { toMermaid } from "../../static/js/core/export.js";
import { smtpSession } from "./fixtures.mjs";

const MERMAID = new URL("./node_modules/mermaid/dist/mermaid.core.mjs", import.meta.url);
const have = existsSync(MERMAID);
const EN = JSON.parse(readFileSync(new URL("../../simulator/i18n/diagram.en.json", import.meta.url)));
const RU = JSON.parse(readFileSync(new URL("../../simulator/i18n/diagram.ru.json", import.meta.url)));
// The page's own translator (lib/i18n.js): plural forms and numbers as in the browser.
const tOf = (strings) => translator(strings, strings === RU ? "ru" : "en");

/** A session with every character that gives Mermaid trouble. */
function nastySession() {
  const tl = new Timeline({ protocol: "smtp", session: "nasty" });
  for (const ex of smtpSession({ transactions: 3 })) tl.add(ex);
  const extra = [
    ["client", "command", "VRFY <alice@example.org>; then: #1 & %%comment {x} \"q\" `b` \\n"],
    ["server", "reply", "252 Cannot VRFY user: but will accept message; try RCPT", 252],
    ["client", "command", "wrap end note over Client,Server: x"],
    ["server", "reply", "500 5.5.1 Unrecognized command: \"wrap\" -->> Client", 500],
    ["client", "command", "HELP ÄÖ привет"],
    ["server", "reply", "214-Commands:\n214-  HELO EHLO MAIL RCPT DATA\n214 End of HELP info", 214],
    ["client", "command", ""],
    ["server", "reply", "421 4.4.2 mx.example.org Error: timeout exceeded", 421],
    ["client", "command", "RSET"],
    ["server", "silence", "", null, { rule: 1, action: "silent", natural: { code: 250, key: "250.ok", text: "250 OK" } }],
  ];
  const at = tl.exchanges.length - 3;
  const base = tl.exchanges.slice(0, at);
  const tail = tl.exchanges.slice(at);
  const out = new Timeline(tl.meta);
  for (const e of base) out.add(e);
  for (const [from, kind, text, code, fault] of extra) out.add({ from, kind, text, code: code ?? null, phase: "transfer", fault: fault ?? null });
  for (const e of tail) out.add(e);
  return out;
}

async function parsed(text) {
  const mermaid = (await import(MERMAID.href)).default;
  assert.deepEqual(await mermaid.parse(text), { diagramType: "sequence", config: {} });
  const d = await mermaid.mermaidAPI.getDiagramFromText(text);
  const named = { lt: "<", gt: ">", amp: "&", quot: '"' };
  return d.db.getMessages().filter((m) => m.from).map((m) => ({
    from: m.from,
    to: m.to,
    note: m.type === 2,
    text: m.message
      .replace(/ﬂ°°(\d+)¶ß/g, (x, n) => String.fromCharCode(Number(n)))
      .replace(/ﬂ°(\w+)¶ß/g, (x, n) => named[n] ?? x)
      .replace(/<br\/>/g, "\n"),
  }));
}

const expectLine = (s) => s.split(/\r?\n/).map((l) => l.replace(/[\x00-\x1f\x7f]/g, " ").trim()).join("\n");

for (const [lang, t] of [["en", tOf(EN)], ["ru", tOf(RU)]]) {
  test(`mermaid.parse accepts toMermaid output and reads every message back (${lang})`, { skip: !have && !process.env.CI && "mermaid not installed: npm ci --prefix tests/js" }, async () => {
    assert.ok(have, "mermaid is missing: run npm ci --prefix tests/js");
    const tl = nastySession();
    const msgs = await parsed(toMermaid(tl, t));
    const arrows = msgs.filter((m) => !m.note);
    const wanted = tl.exchanges.filter((e) => e.kind !== "tcp" && e.kind !== "silence");
    assert.equal(arrows.length, wanted.length);
    wanted.forEach((ex, i) => {
      const m = arrows[i];
      assert.equal(m.from, ex.from === "server" ? "Server" : "Client");
      assert.equal(m.to, ex.from === "server" ? "Client" : "Server");
      let want = ex.text === "" ? "\u00a0" : expectLine(ex.text);
      if (ex.fault) want += " " + t("diagram.fault_badge", { n: ex.fault.rule + 1 });
      assert.equal(m.text, want, `exchange ${i}`);
    });
    const notes = msgs.filter((m) => m.note).map((m) => m.text);
    assert.ok(notes.includes(lang === "en" ? "1 · Connection establishment (fig. 14.6)" : "1 · Установление соединения (рис. 14.6)"));
    assert.ok(notes.some((n) => n.startsWith("TCP")));
    // A silence is a note over the server alone: nothing reaches the client.
    const quiet = msgs.filter((m) => m.note && m.from === "Server" && m.to === "Server").map((m) => m.text);
    assert.deepEqual(quiet, [t("diagram.mermaid.silence", { n: 2 })]);
  });
}
