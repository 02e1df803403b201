// Unit tests for static/js/lib/i18n.js: plural forms (CLDR, Intl.PluralRules) and numbers
// (Intl.NumberFormat) with the real catalogues, as the browser gets them merged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as i18n from "../../static/js/lib/i18n.js";

const DIR = new URL("../../simulator/i18n/", import.meta.url);
/** Every `*.<lang>.json` merged, as /i18n/<lang>.<hash>.json serves it. */
const catalogue = (lang) => Object.assign({}, ...readdirSync(DIR).filter((f) => f.endsWith(`.${lang}.json`)).sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, DIR), "utf8"))));
const EN = catalogue("en");
const RU = catalogue("ru");
const en = i18n.translator(EN, "en");
const ru = i18n.translator(RU, "ru");

test("Russian picks one / few / many / other by CLDR: 1, 2, 5, 21, 1.5", () => {
  assert.equal(ru("ui.rule.times", { n: 1 }), "не больше 1 раза");
  assert.equal(ru("ui.rule.times", { n: 2 }), "не больше 2 раз");
  assert.equal(ru("ui.rule.times", { n: 5 }), "не больше 5 раз");
  assert.equal(ru("ui.rule.times", { n: 11 }), "не больше 11 раз");
  assert.equal(ru("ui.rule.times", { n: 21 }), "не больше 21 раза");
  assert.equal(ru("ui.rule.times", { n: 1.5 }), "не больше 1,5 раза");
  assert.equal(ru("ui.faults.applied", { n: 1 }), "Применено: действует 1 правило.");
  assert.equal(ru("ui.faults.applied", { n: 3 }), "Применено: действуют 3 правила.");
  assert.equal(ru("ui.faults.applied", { n: 25 }), "Применено: действуют 25 правил.");
  assert.equal(ru("diagram.lines", { n: 22 }), "22 строки");
  assert.equal(ru("ui.explain.literal_data", { n: "5" }).includes("ровно 5 октетов"), true, "a numeric string counts too");
});

test("English picks one / other; no (s) left", () => {
  assert.equal(en("ui.rule.times", { n: 1 }), "at most 1 time");
  assert.equal(en("ui.rule.times", { n: 2 }), "at most 2 times");
  assert.equal(en("ui.rule.after", { n: 1 }), "after 1 match");
  assert.equal(en("ui.share.restored_plan", { n: 1 }), "Restored from the link: 1 rule in force.");
  assert.equal(en("ui.share.restored_plan", { n: 0 }), "Restored from the link: 0 rules in force.");
  for (const [key, value] of Object.entries(EN)) {
    for (const text of typeof value === "string" ? [value] : Object.values(value)) {
      assert.ok(!String(text).includes("(s)"), `${key}: ${text}`);
    }
  }
});

test("a plural object may name its count (_count) and use ordinal rules (_type)", () => {
  assert.match(en("web.error.line_too_long", { limit: 1000 }), /\(1,000 octets with CR LF\)/);
  assert.match(ru("web.error.line_too_long", { limit: 1000 }), /\(1\u00a0000 октетов вместе с CR LF\)/);
  assert.match(ru("web.error.line_too_long", { limit: 1 }), /\(1 октет вместе/);
  assert.equal(en("quizapi.predict.only_nth_time", { n: 3 }), "only the 3rd time");
  assert.equal(en("quizapi.predict.only_nth_time", { n: 11 }), "only the 11th time");
  assert.equal(en("quizapi.predict.only_nth_time", { n: 22 }), "only the 22nd time");
  assert.equal(en("quizapi.predict.from_nth_time", { n: 21 }), "from the 21st time on");
  assert.equal(ru("quizapi.predict.only_nth_time", { n: 3 }), "только в 3-й раз");
});

test("numbers are written the language's way; identifiers are not", () => {
  assert.equal(i18n.formatNumber(1.5, "ru"), "1,5");
  assert.equal(i18n.formatNumber(1.5, "en"), "1.5");
  assert.equal(i18n.formatNumber(1500, "ru"), "1\u00a0500");
  assert.equal(i18n.formatNumber(1500, "en"), "1,500");
  assert.equal(ru("quiz.shared.minutes", { n: 1.5 }), "1,5 мин");
  assert.equal(en("quiz.shared.minutes", { n: 1.5 }), "1.5 min");
  assert.match(ru("mail.error.unknown_message", { uid: 12345 }), /UID 12345 /);
  assert.equal(ru("ui.live.port", { host: "127.0.0.1", port: 2525 }), "Настоящий порт SMTP: 127.0.0.1:2525");
  assert.equal(en("mail.list.where", { user: "bob", folder: "INBOX", n: "3 messages" }), "bob · INBOX · 3 messages");
});

test("a missing key shows itself, filled; the page's t uses the catalogue it was given", () => {
  const missing = [];
  const tr = i18n.translator({}, "en", (key) => missing.push(key));
  assert.equal(tr("no.such.{n}", { n: 2 }), "no.such.2");
  assert.deepEqual(missing, ["no.such.{n}"]);
  assert.equal(i18n.pluralCategory("x", "ru"), "other");
  i18n.useCatalogue(RU, "ru");
  assert.equal(i18n.lang, "ru");
  assert.equal(i18n.t("ui.rule.times", { n: 2 }), "не больше 2 раз");
  assert.ok(i18n.has("ui.rule.times") && i18n.has("ui.app.name") && !i18n.has("no.such.key"));
  assert.equal(i18n.format("{n} / {uid}", { n: 1500, uid: 1500 }), "1\u00a0500 / 1500");
  i18n.useCatalogue(EN, "en");
  assert.equal(i18n.t("ui.rule.times", { n: 2 }), "at most 2 times");
});
