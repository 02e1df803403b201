/**
 * svgexport.js: the drawn diagram (components/diagram.js) as a standalone SVG
 * file: every exchange drawn in full, lifeline heads on top, computed styles
 * inlined so it renders outside the page. Needs the page (getComputedStyle,
 * XMLSerializer); the text exports are core/export.js.
 */
const STYLE_PROPS = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity",
  "stroke-linecap", "stroke-linejoin", "opacity", "font-family", "font-size", "font-weight", "font-style",
  "paint-order"];

function inline(src, dst) {
  if (src.nodeType !== 1) return;
  // What only the page offers ("▸ details": a click opens the TCP steps) is not drawn in a file.
  if (src.classList && src.classList.contains("dg-interactive")) { dst.remove(); return; }
  const cs = getComputedStyle(src);
  if (cs.display === "none" || src.getAttribute("display") === "none") { dst.remove(); return; }
  const decl = [];
  for (const p of STYLE_PROPS) {
    const v = cs.getPropertyValue(p);
    if (v && v !== "normal" && !(p === "opacity" && v === "1")) decl.push(`${p}:${v}`);
  }
  dst.removeAttribute("class");
  dst.removeAttribute("tabindex");
  dst.removeAttribute("role");
  dst.removeAttribute("aria-current");
  dst.removeAttribute("aria-label");
  if (decl.length && dst.localName !== "title" && dst.localName !== "svg") dst.setAttribute("style", decl.join(";"));
  const s = src.children, d = Array.from(dst.children);
  for (let k = 0; k < s.length; k++) inline(s[k], d[k]);
}

/**
 * The whole session (every exchange drawn in full) as a standalone SVG file:
 * lifeline heads on top, styles inlined so it renders outside the page.
 */
export function toSVG(diagram, { title } = {}) {
  return diagram.drawAll(() => svgOf(diagram, title));
}

function svgOf(diagram, title) {
  const tl = diagram.timeline;
  const NS = "http://www.w3.org/2000/svg";
  const { W, HEAD_H } = diagramSize(diagram);
  const bodyH = diagram.contentHeight;
  const out = document.createElementNS(NS, "svg");
  out.setAttribute("xmlns", NS);
  out.setAttribute("width", W);
  out.setAttribute("height", HEAD_H + bodyH);
  out.setAttribute("viewBox", `0 0 ${W} ${HEAD_H + bodyH}`);
  const tt = document.createElementNS(NS, "title");
  tt.textContent = title || (tl && tl.meta.title) || "MailSim";
  out.appendChild(tt);
  const bg = document.createElementNS(NS, "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", "#ffffff");
  out.appendChild(bg);
  const parts = [[diagram.headElement, 0], [diagram.svgElement, HEAD_H]];
  for (const [src, dy] of parts) {
    const g = document.createElementNS(NS, "g");
    g.setAttribute("transform", `translate(0,${dy})`);
    const clone = src.cloneNode(true);
    inline(src, clone);
    const zoomed = clone.querySelector("g[transform^='scale']");
    if (zoomed) zoomed.removeAttribute("transform"); // the body's zoom: the file is drawn at 1:1
    while (clone.firstChild) g.appendChild(clone.firstChild);
    out.appendChild(g);
  }
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(out) + "\n";
}

function diagramSize(diagram) {
  const vb = diagram.headElement.getAttribute("viewBox").split(/\s+/).map(Number);
  return { W: vb[2], HEAD_H: vb[3] };
}

