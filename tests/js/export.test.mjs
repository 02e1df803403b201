// Unit tests for static/js/core/export.js and the diagram labels of core/timeline.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Timeline, TranscriptError, labelOf, narrate, clip, delayOf } from "../../static/js/core/timeline.js";
import { toText, toJSON, fromJSONText, toMermaid, mermaidText, mermaidAlias } from "../../static/js/core/export.js";
import { smtpSession, transcriptOf, silentSession } from "./fixtures.mjs";
import { readFileSync } from "node:fs";
import { translator } from "../../static/js/lib/i18n.js";

const EN = JSON.parse(readFileSync(new URL("../../simulator/i18n/diagram.en.json", import.meta.url)));
const RU = JSON.parse(readFileSync(new URL("../../simulator/i18n/diagram.ru.json", import.meta.url)));
// The page's own translator (lib/i18n.js): plural forms and numbers as in the browser.
const tOf = (strings) => translator(strings, strings === RU ? "ru" : "en");
const t = tOf(EN);
const session = (n = 1) => {
  const tl = new Timeline({ protocol: "smtp", session: "s1" });
  for (const ex of smtpSession({ transactions: n })) tl.add(ex);
  return tl;
};

test("toText writes one C:/S: line per wire line, TCP events as comments", () => {
  const lines = toText(session(1)).trimEnd().split("\n");
  assert.equal(lines[0], "-- tcp connect");
  assert.equal(lines[1], "S: 220 mx.example.org ESMTP MailSim ready");
  assert.equal(lines[2], "C: EHLO c.example");
  assert.deepEqual(lines.slice(3, 7), ["S: 250-mx.example.org greets c.example", "S: 250-SIZE 10240000", "S: 250-8BITMIME", "S: 250 HELP"]);
  assert.ok(lines.includes("C: Subject: Lab report #0; draft"));
  assert.ok(lines.includes("C: "), "the blank line between header and body stays");
  assert.ok(lines.includes("C: ..this line was dot-stuffed"));
  assert.ok(lines.includes("C: ."));
  assert.equal(lines.at(-1), "-- tcp close (server)");
  assert.equal(toText(new Timeline()), "");
});

test("toJSON and fromJSONText round-trip; bad text throws a TranscriptError", () => {
  const tl = session(2);
  const back = fromJSONText(toJSON(tl));
  assert.deepEqual(back.exchanges, tl.exchanges);
  assert.deepEqual(fromJSONText("\uFEFF" + toJSON(tl)).meta, tl.meta);
  assert.throws(() => fromJSONText("{nope"), (e) => e instanceof TranscriptError && e.key === "diagram.import.not_json");
  assert.throws(() => fromJSONText("[]"), (e) => e.key === "diagram.import.not_transcript");
});

test("mermaidText escapes what Mermaid's grammar cannot take", () => {
  assert.equal(mermaidText("MAIL FROM:<bob@c.example>"), "MAIL FROM:#lt;bob@c.example#gt;");
  assert.equal(mermaidText("a;b#c"), "a#59;b#35;c");
  assert.equal(mermaidText("250-one\r\n250 two"), "250-one<br/>250 two");
  assert.equal(mermaidText("x & y %% z"), "x #amp; y #37;#37; z");
  assert.equal(mermaidText(""), "#160;");
  assert.equal(mermaidText("wrap this"), "#119;rap this");
  assert.equal(mermaidText("tab\there"), "tab here");
  assert.doesNotMatch(mermaidText("<<;;##\n>>").replace(/<br\/>|#\w+;/g, ""), /[;#<>]/);
  assert.equal(mermaidAlias("SMTP client: <x>; y"), "SMTP client x y");
});

test("toMermaid writes participants, phase rects with notes, and both arrow kinds", () => {
  const text = toMermaid(session(1), t);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "sequenceDiagram");
  assert.equal(lines[1], "    participant Client as SMTP client");
  assert.equal(lines[2], "    participant Server as SMTP server");
  assert.ok(lines.includes("    rect rgb(224, 242, 254)"));
  assert.ok(lines.includes("    Note over Client,Server: 1 · Connection establishment (fig. 14.6)"));
  assert.ok(lines.includes("    Note over Client,Server: TCP connection established (SYN · SYN-ACK · ACK)"));
  assert.ok(lines.includes("    Client->>Server: EHLO c.example"));
  assert.ok(lines.includes("    Server-->>Client: 250-mx.example.org greets c.example<br/>250-SIZE 10240000<br/>250-8BITMIME<br/>250 HELP"));
  assert.ok(lines.includes("    Client->>Server: MAIL FROM:#lt;bob0@c.example#gt;"));
  assert.equal(lines.filter((l) => l === "    end").length, 3);
  for (const l of lines.slice(3)) {
    assert.doesNotMatch(l.replace(/#\w+;/g, ""), /[;#]/, `unescaped ; or # in: ${l}`);
  }
  const ru = toMermaid(session(1), tOf(RU));
  assert.match(ru, /participant Client as SMTP-клиент/);
  assert.match(ru, /Note over Client,Server: 2 · Передача сообщения \(рис\. 14\.7\)/);
});

test("toMermaid marks fault-made replies", () => {
  const text = toMermaid(Timeline.fromJSON(transcriptOf(23)), t);
  assert.match(text, /Server-->>Client: 550 5\.1\.1 #lt;nobody@example\.org#gt;: no such user here#59; try again ⚡ fault rule 1/);
});

test("labels: reply symbol and class, (+N lines), truncation, data summary, Russian plurals", () => {
  const exs = smtpSession({ transactions: 2 });
  assert.equal(labelOf(exs[1], t).text, "✔ 220 mx.example.org ESMTP MailSim ready");
  assert.equal(labelOf(exs[3], t).text, "✔ 250-mx.example.org greets c.example (+3 lines)");
  assert.equal(labelOf(exs[3], tOf(RU), "ru").text, "✔ 250-mx.example.org greets c.example (ещё 3 строки)");
  assert.equal(labelOf(exs[9], t).text, "➜ 354 Start mail input; end with <CRLF>.<CRLF>");
  assert.equal(labelOf({ kind: "reply", code: 451, text: "451 later" }, t).text, "⟳ 451 later");
  assert.equal(labelOf({ kind: "reply", code: 550, text: "550 no" }, t).cls, 5);
  assert.equal(labelOf(exs[10], t).text, "✉ message “Lab report #0; draft”: 6 lines, 124 bytes");
  assert.equal(labelOf(exs[10], tOf(RU), "ru").text, "✉ письмо «Lab report #0; draft»: 6 строк, 124 байта");
  const long = labelOf({ kind: "command", text: "RCPT TO:<" + "x".repeat(200) + "@example.org>" }, t);
  assert.ok(long.text.length <= 54 && long.text.endsWith("…"));
  assert.equal(long.full.length, 222);
  assert.equal(labelOf({ kind: "command", text: "" }, t).text, "(empty line)");
  assert.equal(clip("a\u0000b", 10), "a·b");
});

test("narration reads an exchange as a sentence, with its fault", () => {
  const tl = Timeline.fromJSON(transcriptOf(39));
  const exs = tl.exchanges;
  assert.equal(narrate(exs[2], t), "Client sends: EHLO c.example");
  assert.equal(narrate(exs[1], t), "Server replies 220, positive completion: mx.example.org ESMTP MailSim ready");
  const faulted = exs.findIndex((e) => e.fault && e.fault.action === "reply");
  assert.match(narrate(exs[faulted], t, "en", exs, faulted),
    /^Server replies 550, permanent negative: .* Fault rule 1 replaced the server's reply\. Without it the server would have answered: 250 2\.1\.5 Recipient OK$/);
  const delayed = exs.findIndex((e) => e.fault && e.fault.action === "delay");
  assert.equal(delayOf(exs, delayed), 2512);
  assert.match(narrate(exs[delayed], t, "en", exs, delayed), /delayed this reply by 2\.51 s\.$/);
  assert.equal(narrate(exs[0], tOf(RU), "ru"), "TCP-соединение установлено (SYN · SYN-ACK · ACK)");
});

test("the two string files have the same keys, all prefixed diagram.", () => {
  const plural = /\.(one|few|many|other)$/;
  const base = (o) => new Set(Object.keys(o).map((k) => k.replace(plural, "")));
  assert.deepEqual([...base(EN)].sort(), [...base(RU)].sort());
  for (const k of [...Object.keys(EN), ...Object.keys(RU)]) assert.match(k, /^diagram\./);
  const same = new Set(["diagram.band_title", "diagram.player.speed_x", "diagram.fault_badge_short"]); // no words in them
  for (const k of Object.keys(RU)) if (!same.has(k)) assert.notEqual(RU[k], EN[k] ?? null, `untranslated ${k}`);
});

const silent = (rule = 0) => {
  const tl = new Timeline({ protocol: "smtp", session: "s-silent" });
  for (const ex of silentSession({ rule })) tl.add(ex);
  return tl;
};

test("a silence: label, title, narration (en and ru) name the fault rule and what the server would have said", () => {
  const tl = silent(0);
  const i = tl.exchanges.findIndex((e) => e.kind === "silence");
  const ex = tl.exchanges[i];
  assert.deepEqual(labelOf(ex, t), { text: "no reply: the server stays silent", full: EN["diagram.silence.full"], cls: null });
  assert.equal(labelOf(ex, t, "en", 16).text, "no reply", "a narrow column gets the short label");
  assert.equal(labelOf(ex, tOf(RU), "ru").text, "ответа нет: сервер молчит");
  assert.equal(narrate(ex, t, "en", tl.exchanges, i),
    "Server sends nothing (fault rule 1): the client waits and times out. Without it the server would have answered: 250 2.1.0 Sender OK");
  assert.equal(narrate(ex, tOf(RU), "ru", tl.exchanges, i),
    "Сервер ничего не отправляет (правило сбоя 1): клиент ждёт ответа и отключается по тайм-ауту. Без него сервер ответил бы: 250 2.1.0 Sender OK");
  assert.equal(narrate({ ...ex, fault: null }, t), "Server sends nothing: the client waits and times out.");
  assert.notEqual(labelOf(ex, t).text, t("diagram.empty_line"));
});

test("a silence in the exports: S: (no reply) in text, a note on the server's side in Mermaid", () => {
  const lines = toText(silent()).trimEnd().split("\n");
  assert.deepEqual(lines.slice(-3), ["C: MAIL FROM:<a@b>", "S: (no reply)", "-- tcp close (client)"]);
  const mmd = toMermaid(silent(3), t).split("\n");
  assert.ok(mmd.includes("    Note over Server: ⌛ no reply (fault rule 4)"), mmd.join("\n"));
  assert.ok(!mmd.some((l) => /Server-->>Client: #160;/.test(l)), "no empty arrow to the client");
  assert.ok(toMermaid(silent(), tOf(RU)).includes("    Note over Server: ⌛ ответа нет (правило сбоя 1)"));
  const back = fromJSONText(toJSON(silent()));
  assert.equal(back.at(5).kind, "silence");
  assert.equal(toText(back), toText(silent()));
});
