// The front end's layers (static/js): pages → components → lib → core.
//
//   core/        pure: model, layout, text; no DOM, no fetch, no socket; imports only core/
//   lib/         the page's services (DOM helpers, i18n, HTTP, Socket.IO); imports lib/ and core/
//   components/  widgets mounted by pages; imports components/, lib/ and core/
//   pages/       one entry per page (templates/*.html load them); exports nothing, imported by nothing
//
// Every import statement of every module is read (static, re-export and dynamic import()),
// so a move that breaks a path or a name fails here, before a browser sees it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative, dirname, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const JS = join(ROOT, "static/js");
const LAYERS = ["core", "lib", "components", "pages"];
/** Which layers each layer may import from. */
const ALLOWED = {
  core: ["core"],
  lib: ["lib", "core"],
  components: ["components", "lib", "core"],
  pages: ["components", "lib", "core"],
};

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The code without comments (strings are kept as they are; good enough for import lines). */
function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** {specifier, names, dynamic} for every import and re-export of a module. */
function importsOf(src) {
  const code = stripComments(src);
  const out = [];
  const stmt = /^\s*(import|export)\s+((?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+))\s*from\s*["']([^"']+)["']/gm;
  for (const m of code.matchAll(stmt)) {
    const clause = m[2];
    const names = [];
    const braces = /\{([\s\S]*?)\}/.exec(clause);
    if (braces) {
      for (const part of braces[1].split(",")) {
        const name = part.trim().split(/\s+as\s+/)[0].trim();
        if (name) names.push(name);
      }
    }
    out.push({ specifier: m[3], names, star: /\*/.test(clause) && !braces, dynamic: false });
  }
  for (const m of code.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) out.push({ specifier: m[1], names: [], dynamic: false });
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push({ specifier: m[1], names: [], dynamic: true });
  return out;
}

/** The names a module exports (declarations, export lists and re-exports). */
function exportsOf(src) {
  const code = stripComments(src);
  const names = new Set();
  for (const m of code.matchAll(/^export\s+(?:async\s+)?(?:function\*?|class)\s+([\w$]+)/gm)) names.add(m[1]);
  for (const m of code.matchAll(/^export\s+(?:const|let|var)\s+([^\n]*)/gm)) {
    // `export const A = 1, B = 2;` declares A and B (first line of the statement).
    for (const d of m[1].matchAll(/(?:^|,)\s*([\w$]+)\s*=/g)) names.add(d[1]);
  }
  for (const m of code.matchAll(/^export\s*\{([\s\S]*?)\}/gm)) {
    for (const part of m[1].split(",")) {
      const bits = part.trim().split(/\s+as\s+/);
      const name = (bits[1] || bits[0]).trim();
      if (name) names.add(name);
    }
  }
  if (/^export\s+default\b/m.test(code)) names.add("default");
  return names;
}

const layerOf = (file) => relative(JS, file).split(sep)[0];

const files = walk(JS).filter((f) => f.endsWith(".js"));
const modules = new Map(files.map((file) => {
  const src = readFileSync(file, "utf8");
  return [file, { file, src, layer: layerOf(file), imports: importsOf(src), exports: exportsOf(src) }];
}));
const name = (file) => relative(JS, file).split(sep).join("/");

test("every module of static/js lives in one of the four layers", () => {
  assert.ok(files.length > 20, "the modules were found");
  const stray = files.filter((f) => !LAYERS.includes(layerOf(f)) || relative(JS, f).split(sep).length !== 2);
  assert.deepEqual(stray.map(name), [], "modules outside core/, lib/, components/ and pages/ (or nested deeper)");
});

test("every import resolves to a module that exports the imported names", () => {
  const problems = [];
  for (const m of modules.values()) {
    for (const imp of m.imports) {
      const target = resolve(dirname(m.file), imp.specifier);
      if (!existsSync(target)) { problems.push(`${name(m.file)}: ${imp.specifier} does not exist`); continue; }
      const other = modules.get(target);
      if (!other) continue; // vendor code
      for (const n of imp.names) {
        if (n !== "default" && !other.exports.has(n)) problems.push(`${name(m.file)}: ${name(target)} does not export ${n}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("a module imports only its own layer or a lower one, and nothing imports a page", () => {
  const bad = [];
  for (const m of modules.values()) {
    for (const imp of m.imports) {
      const target = resolve(dirname(m.file), imp.specifier);
      if (!target.startsWith(JS + sep)) {
        // Outside static/js: only lib/ may reach a vendor library (Socket.IO).
        if (m.layer !== "lib") bad.push(`${name(m.file)} imports ${imp.specifier} (vendor code is lib/'s)`);
        continue;
      }
      const to = layerOf(target);
      if (!ALLOWED[m.layer] || !ALLOWED[m.layer].includes(to)) bad.push(`${name(m.file)} (${m.layer}) imports ${name(target)} (${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

test("pages export nothing", () => {
  const exporting = [...modules.values()].filter((m) => m.layer === "pages" && (m.exports.size || /^\s*export\b/m.test(stripComments(m.src))));
  assert.deepEqual(exporting.map((m) => `${name(m.file)}: ${[...m.exports].join(", ")}`), []);
});

test("every page is loaded by a template, and every template's script is a page", () => {
  const templates = join(ROOT, "templates");
  const loaded = new Set();
  for (const file of readdirSync(templates).filter((f) => f.endsWith(".html"))) {
    const html = readFileSync(join(templates, file), "utf8");
    for (const m of html.matchAll(/<script[^>]*type="module"[^>]*filename='js\/([^']+)'/g)) {
      loaded.add(m[1]);
      assert.ok(m[1].startsWith("pages/"), `${file} loads ${m[1]}, not a page`);
      assert.ok(existsSync(join(JS, m[1])), `${file} loads ${m[1]}, which does not exist`);
    }
  }
  const pages = [...modules.values()].filter((m) => m.layer === "pages").map((m) => name(m.file));
  assert.deepEqual(pages.filter((p) => !loaded.has(p)), [], "pages no template loads");
});

test("there is no import cycle", () => {
  const state = new Map(); // file -> "visiting" | "done"
  const cycles = [];
  const visit = (file, path) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(" → "));
      return;
    }
    state.set(file, "visiting");
    for (const imp of modules.get(file).imports) {
      const target = resolve(dirname(file), imp.specifier);
      if (modules.has(target)) visit(target, [...path, file]);
    }
    state.set(file, "done");
  };
  for (const file of modules.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("core modules are pure: they load without a page and name no browser API", async () => {
  const browser = /(?<![.\w$])(document|window|navigator|location|sessionStorage|localStorage|fetch|XMLSerializer|getComputedStyle|requestAnimationFrame|matchMedia|ResizeObserver|io)\s*[.(]/;
  for (const m of modules.values()) {
    if (m.layer !== "core") continue;
    await import(pathToFileURL(m.file).href); // throws if it touches the DOM at load
    const code = stripComments(m.src).split("\n");
    const hits = code.filter((line) => browser.test(line.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""')));
    assert.deepEqual(hits, [], `${name(m.file)} uses a browser API`);
  }
});
