// Unit tests for static/js/core/timeline.js: the pure model under the diagram.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Timeline, TranscriptError, phaseSpans, replyClass, textLines, dataSummary, tr, trn }
  from "../../static/js/core/timeline.js";
import { translator } from "../../static/js/lib/i18n.js";
import { smtpSession, transcriptOf, silentSession } from "./fixtures.mjs";

test("replyClass gives the first digit of 2yz..5yz codes and null otherwise", () => {
  assert.equal(replyClass(220), 2);
  assert.equal(replyClass(354), 3);
  assert.equal(replyClass(451), 4);
  assert.equal(replyClass(550), 5);
  assert.equal(replyClass("250"), 2);
  for (const bad of [null, undefined, "", 150, 600, 99, 25, "abc", 250.5]) assert.equal(replyClass(bad), null, String(bad));
});

test("phaseSpans groups runs of the same phase with inclusive bounds", () => {
  const exs = ["establishment", "establishment", "transfer", "transfer", "transfer", "termination"].map((phase) => ({ phase }));
  assert.deepEqual(phaseSpans(exs), [
    { phase: "establishment", from: 0, to: 1 },
    { phase: "transfer", from: 2, to: 4 },
    { phase: "termination", from: 5, to: 5 },
  ]);
  assert.deepEqual(phaseSpans([]), []);
  assert.deepEqual(phaseSpans([{ phase: "transfer" }, { phase: "termination" }, { phase: "transfer" }]).map((s) => s.from), [0, 1, 2]);
});

test("a timeline round-trips through its JSON file format", () => {
  const tl = new Timeline({ protocol: "smtp", session: "abc", title: "Demo" });
  for (const ex of smtpSession({ transactions: 3 })) tl.add(ex);
  const json = JSON.parse(JSON.stringify(tl.toJSON()));
  assert.equal(json.format, "mailsim-transcript");
  assert.equal(json.version, 1);
  assert.deepEqual(json.meta, { protocol: "smtp", session: "abc", title: "Demo" });
  const back = Timeline.fromJSON(json);
  assert.equal(back.length, tl.length);
  assert.deepEqual(back.exchanges, tl.exchanges);
  assert.deepEqual(back.meta, tl.meta);
  assert.equal(back.at(-1).text, "close");
  assert.equal(back.indexOfSeq(5), 4);
});

test("add copies the exchange and numbers seq when missing", () => {
  const tl = new Timeline();
  const ex = { from: "client", kind: "command", text: "NOOP", code: null, phase: "transfer", fault: null };
  tl.add(ex);
  ex.text = "changed";
  assert.equal(tl.at(0).text, "NOOP");
  assert.equal(tl.at(0).seq, 1);
  assert.throws(() => tl.add(null), TypeError);
});

function badFile(mutate) {
  const obj = transcriptOf(15);
  mutate(obj);
  try {
    Timeline.fromJSON(obj);
  } catch (e) {
    assert.ok(e instanceof TranscriptError, "a TranscriptError");
    assert.ok(e.message.length > 10);
    return e;
  }
  assert.fail("the bad file was accepted");
}

test("fromJSON rejects bad files with a clear message and an i18n key", () => {
  assert.equal(badFile((o) => { o.format = "other"; }).key, "diagram.import.not_transcript");
  assert.equal(badFile((o) => { o.version = 2; }).key, "diagram.import.bad_version");
  assert.equal(badFile((o) => { delete o.exchanges; }).key, "diagram.import.no_exchanges");
  assert.equal(badFile((o) => { o.meta = [1]; }).key, "diagram.import.bad_meta");
  let e = badFile((o) => { o.exchanges[3].from = "mallory"; });
  assert.equal(e.key, "diagram.import.bad_from");
  assert.equal(e.params.n, 4);
  assert.match(e.message, /exchange 4: "from"/);
  assert.equal(badFile((o) => { o.exchanges[1].code = "250"; }).key, "diagram.import.bad_code");
  assert.equal(badFile((o) => { o.exchanges[2].code = 250; }).key, "diagram.import.bad_code");
  assert.equal(badFile((o) => { o.exchanges[2].kind = "packet"; }).key, "diagram.import.bad_kind");
  assert.equal(badFile((o) => { o.exchanges[2].text = 5; }).key, "diagram.import.bad_text");
  assert.equal(badFile((o) => { o.exchanges[2].fault = { rule: -1, action: "reply" }; }).key, "diagram.import.bad_fault");
  assert.equal(badFile((o) => { o.exchanges[2].fault = { rule: 0, action: "explode" }; }).key, "diagram.import.bad_fault");
  assert.equal(badFile((o) => { o.exchanges[2].seq = 0; }).key, "diagram.import.bad_seq");
  assert.equal(badFile((o) => { o.exchanges[2].t_ms = "soon"; }).key, "diagram.import.bad_time");
  assert.equal(badFile((o) => { o.exchanges[2] = "EHLO"; }).key, "diagram.import.bad_exchange");
  e = badFile((o) => { o.exchanges[2].verb = { x: 1 }; });
  assert.equal(e.params.field, "verb");
  for (const bad of [null, 42, "text", []]) assert.throws(() => Timeline.fromJSON(bad), TranscriptError);
});

test("textLines splits wire lines and dataSummary counts lines, bytes and the Subject", () => {
  assert.deepEqual(textLines("250-a\r\n250 b"), ["250-a", "250 b"]);
  assert.deepEqual(textLines("x\n"), ["x"]);
  assert.deepEqual(textLines(""), [""]);
  const s = dataSummary("From: a@b\nSubject: Hi there\n\nBody\n.");
  assert.equal(s.lines, 4);
  assert.equal(s.subject, "Hi there");
  assert.equal(s.bytes, "From: a@b\r\nSubject: Hi there\r\n\r\nBody\r\n.\r\n".length);
  assert.equal(dataSummary("Body only\n\nSubject: not a header\n.").subject, null);
});

test("tr falls back to the key and fills placeholders; trn picks plural forms", () => {
  assert.equal(tr(undefined, "diagram.x"), "diagram.x");
  assert.equal(tr((k) => k, "diagram.x", null, "fallback"), "fallback");
  assert.equal(tr(() => "{n} of {m}", "k", { n: 1, m: 2 }), "1 of 2");
  const t = translator({ "d.l": { one: "{n} строка", few: "{n} строки", many: "{n} строк", other: "{n} строки" } }, "ru");
  assert.equal(trn(t, "d.l", 1), "1 строка");
  assert.equal(trn(t, "d.l", 3), "3 строки");
  assert.equal(trn(t, "d.l", 11), "11 строк");
  const en = translator({ "d.l": { one: "{n} line", other: "{n} lines" } }, "en");
  assert.equal(trn(en, "d.l", 2), "2 lines");
  assert.equal(trn(en, "d.l", 1), "1 line");
});

test("a silence (the server sends nothing) is a kind of its own and survives the file format", () => {
  const tl = new Timeline({ protocol: "smtp", session: "s-silent" });
  for (const ex of silentSession({ rule: 2 })) tl.add(ex);
  const back = Timeline.fromJSON(JSON.parse(JSON.stringify(tl.toJSON())));
  assert.deepEqual(back.exchanges, tl.exchanges);
  const quiet = back.exchanges.find((e) => e.kind === "silence");
  assert.deepEqual(quiet.fault, { rule: 2, action: "silent", natural: { code: 250, key: "250.ok", text: "250 2.1.0 Sender OK" } });
  assert.equal(quiet.code, null);
  // Without a fault (an older or hand-made file) it is still a silence.
  const bare = transcriptOf(15);
  bare.exchanges[5] = { from: "server", kind: "silence", text: "" };
  assert.equal(Timeline.fromJSON(bare).at(5).kind, "silence");
  // Only the server can stay silent, and a silence has no reply code.
  const e = badFile((o) => { o.exchanges[5] = { from: "client", kind: "silence", text: "" }; });
  assert.equal(e.key, "diagram.import.bad_silence");
  assert.equal(e.params.n, 6);
  assert.equal(badFile((o) => { o.exchanges[5] = { from: "server", kind: "silence", text: "", code: 250 }; }).key,
    "diagram.import.bad_code");
});
