// Cleans HTML before the rich-text editor shows it: an `editor` field can hold whatever a
// client with create access wrote, and the dashboard opens it with superuser rights. The HTML
// is parsed into an inert document (nothing loads or runs there), and only formatting
// elements survive, without event handlers, styles, or script URLs. The CSP blocks inline
// scripts as well; this keeps such content from even reaching the page.

const ALLOWED = new Set([
  "A", "B", "STRONG", "I", "EM", "U", "S", "P", "BR", "DIV", "SPAN", "UL", "OL", "LI",
  "H1", "H2", "H3", "H4", "BLOCKQUOTE", "PRE", "CODE", "HR", "IMG", "TABLE", "THEAD",
  "TBODY", "TR", "TH", "TD",
]);
const DROPPED_WITH_CONTENT = new Set(["SCRIPT", "STYLE", "IFRAME", "OBJECT", "EMBED", "TEMPLATE", "NOSCRIPT", "SVG", "MATH"]);
const URL_ATTRIBUTES = new Set(["href", "src"]);
const KEPT_ATTRIBUTES = new Set(["href", "src", "alt", "title", "target", "rel", "colspan", "rowspan"]);

function safeUrl(value) {
  const compact = value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
  return !/^(javascript|vbscript|data):/.test(compact) || /^data:image\/(png|jpe?g|gif|webp);/.test(compact);
}

function clean(node) {
  for (const child of [...node.childNodes]) {
    if (child.nodeType === Node.TEXT_NODE) continue;
    if (child.nodeType !== Node.ELEMENT_NODE || DROPPED_WITH_CONTENT.has(child.tagName)) {
      child.remove();
      continue;
    }
    clean(child);
    if (!ALLOWED.has(child.tagName)) {
      child.replaceWith(...child.childNodes);
      continue;
    }
    for (const attribute of [...child.attributes]) {
      const name = attribute.name.toLowerCase();
      const keep = KEPT_ATTRIBUTES.has(name) && (!URL_ATTRIBUTES.has(name) || safeUrl(attribute.value));
      if (!keep) child.removeAttribute(attribute.name);
    }
  }
}

/** The HTML with only formatting left (see the module comment). */
export function sanitizeHtml(html) {
  const document = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
  clean(document.body);
  return document.body.innerHTML;
}
