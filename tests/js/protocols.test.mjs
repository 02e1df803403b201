// Unit tests for static/js/core/protocols.js and what the diagram and exports make of POP3 and IMAP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { translator } from "../../static/js/lib/i18n.js";
import {
  normaliseProtocol, bandOf, phaseNumber, phaseFigure, codeClass, classesFromCatalogue, protocolOfCode,
  imapTag, imapVerb, imapResponses, imapReply, nextImapTag, answeredIndex, tagPartners, pop3Reply, pop3Mode, replyLine,
} from "../../static/js/core/protocols.js";
import { Timeline, TranscriptError, labelOf, narrate, phaseSpans } from "../../static/js/core/timeline.js";
import { toMermaid, toText } from "../../static/js/core/export.js";
import { pop3Session, imapSession } from "./fixtures.mjs";

const EN = JSON.parse(readFileSync(new URL("../../simulator/i18n/diagram.en.json", import.meta.url)));
const RU = JSON.parse(readFileSync(new URL("../../simulator/i18n/diagram.ru.json", import.meta.url)));
// The page's own translator (lib/i18n.js): plural forms and numbers as in the browser.
const tOf = (strings) => translator(strings, strings === RU ? "ru" : "en");
const t = tOf(EN);
const timelineOf = (protocol, exchanges) => {
  const tl = new Timeline({ protocol, session: "x" });
  for (const ex of exchanges) tl.add(ex);
  return tl;
};

test("protocol names are checked; unknown ones are null", () => {
  assert.equal(normaliseProtocol("POP3"), "pop3");
  assert.equal(normaliseProtocol(" imap "), "imap");
  for (const bad of ["", null, undefined, "http", "smtp2"]) assert.equal(normaliseProtocol(bad), null);
});

test("each protocol has its bands in order; the connect and greeting open the first state's", () => {
  assert.equal(bandOf("smtp", "establishment"), "establishment");
  assert.equal(bandOf("pop3", "establishment"), "authorization");
  assert.equal(bandOf("imap", "establishment"), "not_authenticated");
  assert.equal(bandOf("pop3", "transaction"), "transaction");
  assert.equal(bandOf("imap", null), null);
  assert.deepEqual(["authorization", "transaction", "update", "termination"].map((p) => phaseNumber("pop3", p)), [1, 2, 3, 4]);
  assert.deepEqual(["not_authenticated", "authenticated", "selected", "logout", "termination"].map((p) => phaseNumber("imap", p)),
    [1, 2, 3, 4, 5]);
  assert.equal(phaseNumber("pop3", "transfer"), null);
  assert.equal(phaseFigure("smtp", "transfer"), "14.7");
  assert.equal(phaseFigure("pop3", "transaction"), null);
  const spans = phaseSpans(pop3Session(), "pop3").map((s) => s.phase);
  assert.deepEqual(spans, ["authorization", "transaction", "update", "termination"]);
});

test("a code's colour class comes from the catalogue, then from its digits or the built-in table", () => {
  const catalogue = { codes: { "+OK": { class: 2 }, "-ERR": { class: 5 }, NO: { class: 4 }, X: { class: "odd" } } };
  const classes = classesFromCatalogue(catalogue);
  assert.deepEqual(classes, { "+OK": 2, "-ERR": 5, NO: 4 });
  assert.equal(codeClass("-ERR", classes), 5);
  assert.equal(codeClass("NO", { NO: 5 }), 5, "the catalogue wins over the built-in table");
  for (const [code, cls] of [["+OK", 2], ["-ERR", 5], ["OK", 2], ["PREAUTH", 2], ["+", 3], ["NO", 4], ["BYE", 4], ["BAD", 5],
    [250, 2], ["354", 3], [421, 4], [550, 5]]) assert.equal(codeClass(code), cls, String(code));
  for (const bad of [null, undefined, "", "OKAY", 150, 600]) assert.equal(codeClass(bad), null, String(bad));
  assert.equal(protocolOfCode(250), "smtp");
  assert.equal(protocolOfCode("+OK"), "pop3");
  assert.equal(protocolOfCode("BAD"), "imap");
});

test("IMAP tags and verbs are read from a command line", () => {
  assert.equal(imapTag("a1 LOGIN bob bob"), "a1");
  assert.equal(imapTag("A0042 SELECT INBOX"), "A0042");
  assert.equal(imapTag("LOGOUT"), null);
  assert.equal(imapTag("* OK ready"), null);
  assert.equal(imapTag("+ Ready"), null);
  assert.equal(imapVerb("a1 uid fetch 1:* FLAGS"), "UID FETCH");
  assert.equal(imapVerb("a2 select INBOX"), "SELECT");
  assert.equal(nextImapTag([]), "a1");
  assert.equal(nextImapTag(["a1", "a2"]), "a3");
  assert.equal(nextImapTag(["x7"]), "x8");
  assert.equal(nextImapTag(["a1", "a3", "a2"]), "a4", "never a tag already used");
  assert.equal(nextImapTag(["tag"]), "a1");
});

test("an IMAP reply splits into untagged responses and its final line, literals kept whole", () => {
  const body = "Subject: x\r\n* not a response\r\n\r\nHi\r\n";
  const text = `* 1 FETCH (BODY[] {${body.length}}\n${body.replace(/\r\n/g, "\n")})\n* 2 EXISTS\na3 OK FETCH completed`;
  const all = imapResponses(text);
  assert.deepEqual(all.map((r) => [r.kind, r.name, r.tag]), [["untagged", "FETCH", null], ["untagged", "EXISTS", null],
    ["tagged", null, "a3"]]);
  assert.match(all[0].text, /\* not a response/);
  const r = imapReply(text);
  assert.equal(r.final.first, "a3 OK FETCH completed");
  assert.equal(r.untagged.length, 2);
  assert.equal(r.tag, "a3");
  // A literal cut short in the transcript ends at its marker.
  const cut = imapReply("* 1 FETCH (BODY[] {99999}\nabc... (99996 more octets))\na4 OK done");
  assert.equal(cut.untagged.length, 1);
  assert.equal(cut.tag, "a4");
  // The greeting is a final untagged status; IDLE's updates are a batch with no final line.
  assert.equal(imapReply("* OK [CAPABILITY IMAP4rev1] ready").final.status, "OK");
  assert.equal(imapReply("* 4 EXISTS\n* 1 RECENT").final, null);
  assert.equal(imapReply("+ Ready for literal data").final.kind, "continuation");
  assert.equal(imapReply("* BYE autologout").final.status, "BYE");
});

test("a reply is paired with its command by tag; a literal and IDLE's DONE belong to theirs", () => {
  const exs = imapSession();
  const index = (seq) => exs.findIndex((x) => x.seq === seq);
  assert.equal(answeredIndex(exs, index(6), "imap"), index(5)); // a2 OK <- a2 SELECT
  assert.equal(answeredIndex(exs, index(14), "imap"), index(11)); // a5 OK <- a5 CREATE {7}
  assert.deepEqual(tagPartners(exs, index(6), "imap"), [index(5), index(6)]);
  assert.deepEqual(tagPartners(exs, index(12), "imap"), [index(11), index(12), index(13), index(14)]);
  assert.deepEqual(tagPartners(exs, index(13), "imap"), [index(11), index(12), index(13), index(14)]);
  assert.deepEqual(tagPartners(exs, index(2), "imap"), [], "the greeting answers nothing");
  assert.deepEqual(tagPartners(pop3Session(), 3, "pop3"), [], "POP3 has no tags");
  const idle = [
    { kind: "command", from: "client", text: "a6 IDLE" }, { kind: "reply", code: "+", text: "+ idling" },
    { kind: "reply", code: "OK", text: "* 9 EXISTS" }, { kind: "command", from: "client", text: "DONE" },
    { kind: "reply", code: "OK", text: "a6 OK IDLE terminated" }];
  assert.deepEqual(tagPartners(idle, 3, "imap"), [0, 1, 3, 4]);
  // Pipelined commands: the answers come back by tag, not in order.
  const piped = [
    { kind: "command", from: "client", text: "b1 NOOP" }, { kind: "command", from: "client", text: "b2 CHECK" },
    { kind: "reply", code: "OK", text: "b1 OK NOOP completed" }, { kind: "reply", code: "OK", text: "b2 OK CHECK completed" }];
  assert.equal(answeredIndex(piped, 2, "imap"), 0);
  assert.equal(answeredIndex(piped, 3, "imap"), 1);
  assert.equal(answeredIndex(piped, 2, "smtp"), 1, "other protocols answer the last command");
});

test("a POP3 multi-line reply gives its body without the final dot, unstuffed; the mode follows DELE", () => {
  const r = pop3Reply("+OK 417 octets\nSubject: x\n\n..dot\n.");
  assert.equal(r.status, "+OK 417 octets");
  assert.ok(r.multiline);
  assert.deepEqual(r.body, ["Subject: x", "", ".dot"]);
  assert.equal(pop3Reply("+OK 2 980").multiline, false);
  const session = pop3Session();
  assert.equal(pop3Mode(session), "delete");
  assert.equal(pop3Mode(session.filter((x) => !/DELE/.test(x.text))), "keep");
  assert.equal(pop3Mode(session.slice(0, 8)), null);
  assert.equal(replyLine("+OK 2 messages\n1 1\n2 2\n.", "+OK"), "+OK 2 messages");
  assert.equal(replyLine("* 3 EXISTS\na2 OK done", "OK", "imap", (n) => `[${n}]`), "a2 OK done [1]");
});

test("POP3 arrows: the status line once, the body's lines counted, classes by code", () => {
  const labels = pop3Session({ badPassword: true }).map((ex) => labelOf(ex, t, "en", 60, { protocol: "pop3" }));
  const replies = labels.filter((l) => l.cls);
  assert.ok(replies.every((l) => !/\+OK \+OK|-ERR -ERR/.test(l.text)));
  assert.ok(labels.some((l) => l.text === "✔ +OK 2 messages (980 octets) (+2 lines)"));
  assert.ok(labels.some((l) => l.text === "✔ +OK 417 octets (+7 lines)"));
  assert.ok(labels.some((l) => l.text === "✖ -ERR [AUTH] invalid user name or password" && l.cls === 5));
  const ru = pop3Session().map((ex) => labelOf(ex, tOf(RU), "ru", 60, { protocol: "pop3" }).text);
  assert.ok(ru.includes("✔ +OK 417 octets (ещё 7 строк)"));
  const ex = pop3Session()[3];
  assert.equal(narrate(ex, t, "en", [], 0, { protocol: "pop3" }), "Server replies +OK, positive: +OK bob accepted, send PASS");
});

test("IMAP arrows: the final line labels the answer, untagged lines counted, the tag marked", () => {
  const exs = imapSession();
  const label = (seq, lang = "en") => labelOf(exs[seq - 1], lang === "en" ? t : tOf(RU), lang, 70, { protocol: "imap" });
  assert.equal(label(6).text, "✔ a2 OK [READ-WRITE] SELECT completed (+5 untagged)");
  assert.equal(label(6).tag, "a2");
  assert.equal(label(6, "ru").text, "✔ a2 OK [READ-WRITE] SELECT completed (+5 без метки)");
  assert.equal(label(5).tag, "a2");
  assert.equal(label(8).text, "✔ a3 OK FETCH completed (+1 untagged)");
  assert.equal(label(12).text, "➜ + Ready for literal data");
  assert.equal(label(12).cls, 3);
  assert.equal(label(16).cls, 4);
  assert.equal(label(2).tag, null, "the greeting is untagged");
  // The rest of a command sent after "+" is drawn as what went then: the literal.
  const rest = labelOf({ kind: "command", from: "client", text: "a5 CREATE {7}\nArchive" }, t, "en", 70, { protocol: "imap" });
  assert.deepEqual([rest.text, rest.tag], ["Archive", null]);
  const batch = labelOf({ kind: "reply", code: "OK", text: "* 4 EXISTS\n* 1 RECENT\n* 2 EXPUNGE" }, t, "en", 70, { protocol: "imap" });
  assert.equal(batch.text, "✔ * 4 EXISTS (+2 more untagged)");
  assert.match(narrate(exs[5], t, "en", exs, 5, { protocol: "imap" }), /^Server replies OK, done: a2 OK .*\(\+5 untagged\)$/);
});

test("transcripts of POP3 and IMAP sessions round-trip; their status codes are valid", () => {
  for (const [protocol, exs] of [["pop3", pop3Session({ badPassword: true })], ["imap", imapSession()]]) {
    const tl = timelineOf(protocol, exs);
    const back = Timeline.fromJSON(JSON.parse(JSON.stringify(tl.toJSON())));
    assert.deepEqual(back.exchanges, tl.exchanges);
  }
  const file = (code) => ({ format: "mailsim-transcript", version: 1, exchanges: [{ from: "server", kind: "reply", text: "x", code }] });
  for (const good of ["+OK", "-ERR", "OK", "NO", "BAD", "BYE", "PREAUTH", "+", 250]) assert.ok(Timeline.fromJSON(file(good)), String(good));
  for (const bad of ["", "<b>", "1 2", "A".repeat(20), 42, null, true]) {
    assert.throws(() => Timeline.fromJSON(file(bad)), (e) => e instanceof TranscriptError && e.key === "diagram.import.bad_code", String(bad));
  }
});

test("Mermaid and text exports of IMAP and POP3 sessions use their bands and keep long answers short", () => {
  const imap = toMermaid(timelineOf("imap", imapSession()), t);
  assert.match(imap, /participant Client as IMAP client/);
  assert.match(imap, /Note over Client,Server: 1 · Not authenticated: logging in/);
  assert.match(imap, /Note over Client,Server: 3 · Selected: working in a folder/);
  assert.match(imap, /Server-->>Client: \* FLAGS .*<br\/>a2 OK \[READ-WRITE\] SELECT completed/);
  assert.doesNotMatch(imap, /establishment/i);
  const retr = { kind: "reply", from: "server", code: "+OK", phase: "transaction",
    text: ["+OK 999 octets", ...Array.from({ length: 30 }, (_, i) => `line ${i}`), "."].join("\n") };
  const pop3 = toMermaid(timelineOf("pop3", [...pop3Session().slice(0, 4), retr]), t);
  assert.match(pop3, /Server-->>Client: \+OK mx\.example\.org POP3 server/);
  assert.match(pop3, /line 9<br\/>… \(\+21 more lines\)/);
  assert.match(pop3, /rect rgb\(224, 242, 254\)\n {4}Note over Client,Server: 1 · AUTHORIZATION: logging in/);
  const text = toText(timelineOf("pop3", pop3Session()));
  assert.match(text, /\nS: \+OK 417 octets\nS: From: alice@example.org\n/);
  assert.match(text, /\nS: \.\.a line that starts with a dot\n/);
});
