// Unit tests for the small pure modules of static/js/core: the world's facts and the console's
// completion, fault rules in words, the lab's share link, mastery levels, the quiz replay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { worldAddresses, draftParties } from "../../static/js/core/world.js";
import { complete, formFromSyntax } from "../../static/js/core/completion.js";
import { describeRule, planProtocol, cleanPlan, faultPath } from "../../static/js/core/faultplan.js";
import { readSetup, toBase64Url, canonical } from "../../static/js/core/setup.js";
import { levelOf, protocolOf } from "../../static/js/core/mastery.js";
import { cleanExchange, textOf, pickText } from "../../static/js/core/quiz.js";
import { fold, stepKey } from "../../static/js/core/lessons.js";

// What GET /api/world answers (simulator/web/routes.py world()).
const WORLD = {
  domain: "example.org", hostname: "mx.example.org",
  users: [{ login: "alice", address: "alice@example.org", name: "Alice" }, { login: "bob", address: "Bob@Example.org", name: "Bob" }],
  lists: [{ login: "staff", address: "staff@example.org", name: "Staff", members: ["alice@example.org"] }],
  moved: [{ login: "carol", address: "carol@example.org", name: "Carol", forward: "carol@example.net" }],
  left: [{ login: "dave", address: "dave@example.org", name: "Dave", forward: "dave@example.com" }],
};
const KEYS = (key, params) => `${key}${params ? JSON.stringify(params) : ""}`;

test("the world's addresses: users, lists, moved and departed, once each, lower case", () => {
  assert.deepEqual(worldAddresses(WORLD),
    ["alice@example.org", "bob@example.org", "staff@example.org", "carol@example.org", "dave@example.org"]);
  assert.deepEqual(draftParties(WORLD), { from: "alice@example.org", to: "bob@example.org" });
  assert.deepEqual(draftParties({ users: [WORLD.users[0]] }), { from: "alice@example.org", to: "alice@example.org" });
  for (const broken of [null, undefined, "nope", {}, { users: "x" }, { users: [null, { address: 7 }] }]) {
    assert.deepEqual(worldAddresses(broken), [], "a failed or odd answer gives no completions");
    assert.deepEqual(draftParties(broken), { from: "", to: "" });
  }
});

test("Tab completes forms and the world's addresses", () => {
  const forms = ["MAIL FROM:<", "RCPT TO:<", "RSET", "DATA"];
  const addresses = worldAddresses(WORLD);
  assert.deepEqual(complete("RC", forms, addresses), { text: "RCPT TO:<", choices: ["RCPT TO:<"] });
  assert.equal(complete("RCPT TO:<b", forms, addresses).text, "RCPT TO:<bob@example.org>");
  assert.deepEqual(complete("RCPT TO:<b", forms, []), { text: null, choices: [] }, "no world, no completion");
  assert.deepEqual(complete("R", forms, addresses).choices, ["RCPT TO:<", "RSET"]);
  assert.equal(formFromSyntax("MAIL", "MAIL FROM:<reverse-path>"), "MAIL FROM:<");
  assert.equal(formFromSyntax("SELECT", "tag SELECT mailbox"), "SELECT ");
});

test("a fault rule in words, in the page's language (t is passed in)", () => {
  assert.equal(describeRule({ stage: "RCPT", match: "*@example.net", reply: 450, times: 1 }, KEYS),
    'ui.rule.at{"stage":"RCPT"} ui.rule.matching{"match":"*@example.net"}: ui.rule.reply{"code":450}, ui.rule.times{"n":1}');
  assert.equal(describeRule({ stage: "DATA", silent: true }, KEYS), 'ui.rule.at{"stage":"DATA"}: ui.rule.silent');
  assert.equal(describeRule(null, KEYS), "");
  assert.equal(planProtocol({ protocol: "IMAP" }), "imap");
  assert.equal(planProtocol({}), "smtp");
  assert.deepEqual(cleanPlan({ rules: [{ stage: "RCPT", reply: 550, text: "", delay_ms: 0 }] }), { seed: 0, rules: [{ stage: "RCPT", reply: 550 }] });
  assert.deepEqual(faultPath("rules[2].reply: not a code"), { rule: 2, field: "reply" });
});

test("the share link round-trips a set-up and refuses bad ones with the page's words", () => {
  const setup = { v: 1, protocol: "pop3", faults: { rules: [{ stage: "PASS", reply: "-ERR" }] }, scenario: "лекция" };
  assert.deepEqual(readSetup(`#setup=${toBase64Url(JSON.stringify(setup))}`, KEYS),
    { protocol: "pop3", faults: setup.faults, scenario: "лекция", solution: null });
  assert.equal(readSetup("#other", KEYS), null);
  assert.throws(() => readSetup("#setup=***", KEYS), /ui\.share\.bad_encoding/);
  assert.throws(() => readSetup(`#setup=${toBase64Url("[1]")}`, KEYS), /ui\.share\.bad_shape/);
  assert.throws(() => readSetup(`#setup=${toBase64Url('{"protocol":"x400"}')}`, KEYS), /ui\.share\.bad_protocol/);
  assert.equal(canonical({ b: 1, a: [{ d: 2, c: 3 }] }), canonical({ a: [{ c: 3, d: 2 }], b: 1 }));
});

test("mastery levels, the quiz replay and the lesson keys", () => {
  assert.equal(levelOf({ seen: 0 }), "unseen");
  assert.equal(levelOf({ seen: 5, correct: 5 }), "known");
  assert.equal(levelOf({ seen: 4, correct: 2 }), "shaky");
  assert.equal(levelOf({ seen: 4, correct: 1 }), "unknown");
  assert.equal(levelOf({ seen: 4, correct: 4, level: "shaky" }), "shaky", "the server's word stands");
  assert.deepEqual(["250", "+OK", "NO"].map(protocolOf), ["smtp", "pop3", "imap"]);
  const ex = cleanExchange({ from: "server", kind: "reply", text: "250 OK", code: 250, fault: { rule: -1, action: "boom" } }, 2);
  assert.deepEqual(ex, { seq: 3, from: "server", kind: "reply", text: "250 OK", phase: null, verb: null, code: 250,
    fault: { rule: 0, action: "reply" } });
  assert.equal(textOf([{ en: "one", ru: "один" }, { text: "two" }], "ru"), "1. один  2. two");
  assert.equal(pickText({ en: "hi" }, "ru"), "hi");
  assert.equal(fold("  Ёлка  Отклик "), "елка отклик");
  assert.equal(stepKey({ key: "ArrowRight" }), "next");
  assert.equal(stepKey({ key: "л", code: "KeyK" }), "prev");
  assert.equal(stepKey({ key: "ArrowLeft", ctrlKey: true }), null);
});
