// ChatKit widgets (chatkit/widgets.py) drawn readably for the history browser.
//
//   renderWidget(root, {copyText}) -> HTMLElement (a <div class="widget">)
//
// A past widget is something to read, not to use: every control (Button, Select, Input,
// Checkbox, DatePicker, RadioGroup, Textarea, a Card's confirm/cancel) is drawn disabled, and no
// form is ever made, so nothing can submit or send an action. Images load only from this page's
// own origin or `data:` (a remote one becomes a link with its alt text); Markdown goes through
// the same sanitiser as messages; a Chart becomes a small table. A component this file does not
// know shows the text it carries and its children. Colours from the widget are not used: the
// page's theme keeps every widget legible in light and dark.
//
// It never throws: a component that cannot be drawn shows its words (or the widget's
// `copy_text`) instead.

import { el, remoteImageStandIn, renderMarkdown, safeImageUrl } from "./markdown.js";

const MAX_DEPTH = 40;
const TEXT_COLORS = new Set(["secondary", "tertiary", "success", "warning", "danger"]);
const BADGE_COLORS = new Set(["secondary", "success", "danger", "warning", "info", "discovery"]);

/** The widget tree `root` as an element; `copyText` is shown if the tree shows nothing. */
export function renderWidget(root, { copyText = null } = {}) {
  const box = el("div", { className: "widget" });
  try {
    const drawn = component(root, 0);
    if (drawn) box.append(drawn);
  } catch {
    box.replaceChildren();
  }
  if (!box.textContent.trim() && !box.querySelector("img, table, hr")) {
    box.replaceChildren(
      copyText
        ? el("p", { className: "widget-copy-text" }, copyText)
        : el("p", { className: "widget-empty" }, "(This widget shows nothing that can be read offline.)"),
    );
  }
  return box;
}

const str = (value) => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "");
const list = (value) => (Array.isArray(value) ? value : value && typeof value === "object" ? [value] : []);

function children(node, depth) {
  return list(node?.children)
    .map((child) => component(child, depth + 1))
    .filter(Boolean);
}

/** One component (and its children), or null when it has nothing to show. */
function component(node, depth) {
  if (!node || typeof node !== "object" || depth > MAX_DEPTH) return null;
  const draw = DRAW[node.type];
  try {
    const drawn = draw ? draw(node, depth) : unknown(node, depth);
    if (drawn instanceof Element) drawn.dataset.widget = String(node.type ?? "unknown");
    return drawn;
  } catch {
    return unknown(node, depth);
  }
}

function textClasses(node, base) {
  const names = [base];
  if (node.italic) names.push("w-italic");
  if (node.lineThrough) names.push("w-strike");
  if (node.weight === "semibold" || node.weight === "bold") names.push("w-bold");
  if (typeof node.color === "string" && TEXT_COLORS.has(node.color)) names.push(`w-tone-${node.color}`);
  if (["center", "end"].includes(node.textAlign)) names.push(`w-align-${node.textAlign}`);
  return names.join(" ");
}

function container(node, depth, className, tag = "div") {
  const direction = node.type === "Row" || node.direction === "row" ? "row" : "col";
  return el(tag, { className: `${className} w-${direction}` }, children(node, depth));
}

/** A control drawn disabled, with a visible label when it has one. */
function labelled(labelText, control) {
  const label = str(labelText);
  if (!label) return control;
  return el("label", { className: "w-field" }, el("span", { className: "w-field-label" }, label), control);
}

function inertButton(label, extra = "") {
  return el(
    "button",
    {
      type: "button",
      className: `w-button ${extra}`.trim(),
      disabled: true,
      title: "Not available in the history browser",
    },
    label || "Button",
  );
}

function chartTable(node) {
  const xKey = typeof node.xAxis === "string" ? node.xAxis : str(node.xAxis?.dataKey);
  const xLabels = node.xAxis && typeof node.xAxis === "object" ? (node.xAxis.labels ?? {}) : {};
  const series = list(node.series).filter((s) => s && typeof s === "object" && str(s.dataKey));
  const rows = list(node.data);
  const names = series.map((s) => str(s.label) || str(s.dataKey));
  const table = el(
    "table",
    { className: "w-chart" },
    el("caption", {}, names.length ? `Chart: ${names.join(", ")}` : "Chart"),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col" }, xKey || "x"),
        names.map((n) => el("th", { scope: "col" }, n)),
      ),
    ),
    el(
      "tbody",
      {},
      rows.map((row) => {
        const x = str(row?.[xKey]);
        return el(
          "tr",
          {},
          el("th", { scope: "row" }, str(xLabels[x]) || x),
          series.map((s) => el("td", {}, str(row?.[s.dataKey]))),
        );
      }),
    ),
  );
  return el("div", { className: "w-chart-box", tabindex: "0", role: "region", "aria-label": "Chart data" }, table);
}

function statusLine(status) {
  const text = str(status?.text);
  return text ? el("p", { className: "w-status" }, text) : null;
}

const DRAW = {
  Card(node, depth) {
    const actions = [node.confirm, node.cancel]
      .filter((a) => a && typeof a === "object" && str(a.label))
      .map((a, i) => inertButton(str(a.label), i === 0 && a === node.confirm ? "w-primary" : ""));
    return el(
      "section",
      { className: "w-card", "aria-label": "Widget" },
      statusLine(node.status),
      children(node, depth),
      actions.length ? el("div", { className: "w-actions" }, actions) : null,
    );
  },
  Basic: (node, depth) => container(node, depth, "w-basic"),
  ListView(node, depth) {
    return el(
      "div",
      { className: "w-listview" },
      statusLine(node.status),
      el("ul", { className: "w-list" }, children(node, depth)),
    );
  },
  ListViewItem: (node, depth) => el("li", { className: "w-list-item" }, children(node, depth)),
  Box: (node, depth) => container(node, depth, "w-box"),
  Row: (node, depth) => container(node, depth, "w-box"),
  Col: (node, depth) => container(node, depth, "w-box"),
  // Never a <form>: nothing here may submit.
  Form: (node, depth) => container(node, depth, "w-box w-form"),
  Transition: (node, depth) => el("div", { className: "w-transition" }, children(node, depth)),
  Text: (node) => el("p", { className: textClasses(node, "w-text") }, str(node.value)),
  Title: (node) => el("h3", { className: textClasses(node, "w-title") }, str(node.value)),
  Caption: (node) => el("p", { className: textClasses(node, "w-caption") }, str(node.value)),
  Label: (node) => el("span", { className: textClasses(node, "w-label") }, str(node.value)),
  Markdown: (node) => {
    const md = renderMarkdown(str(node.value));
    md.classList.add("w-markdown");
    return md;
  },
  Badge: (node) => {
    const color = BADGE_COLORS.has(node.color) ? node.color : "secondary";
    return el("span", { className: `w-badge w-badge-${color}` }, str(node.label));
  },
  Divider: () => el("hr", { className: "w-divider" }),
  Spacer: () => null,
  Icon: () => null,
  Image(node) {
    const alt = str(node.alt);
    const src = safeImageUrl(node.src);
    if (!src) return remoteImageStandIn(str(node.src), alt || "widget image");
    return el("img", { className: "w-image", src, alt, loading: "lazy", decoding: "async" });
  },
  Button: (node) => inertButton(str(node.label), node.style === "primary" ? "w-primary" : ""),
  Select(node) {
    const options = list(node.options).filter((o) => o && typeof o === "object");
    const select = el(
      "select",
      { className: "w-select", disabled: true, "aria-label": str(node.placeholder) || str(node.name) || "Choice" },
      str(node.defaultValue) ? null : el("option", { value: "" }, str(node.placeholder) || "—"),
      options.map((o) =>
        el(
          "option",
          { value: str(o.value), selected: str(o.value) === str(node.defaultValue) },
          str(o.label) || str(o.value),
        ),
      ),
    );
    return select;
  },
  DatePicker(node) {
    const value = str(node.defaultValue).slice(0, 10);
    return el("input", {
      type: "date",
      className: "w-input",
      disabled: true,
      value: /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null,
      "aria-label": str(node.placeholder) || str(node.name) || "Date",
    });
  },
  Checkbox(node) {
    const box = el("input", { type: "checkbox", disabled: true, checked: Boolean(node.defaultChecked) });
    return el("label", { className: "w-check" }, box, " ", str(node.label) || str(node.name));
  },
  Input(node) {
    const type = ["number", "email", "text", "tel", "url", "password"].includes(node.inputType)
      ? node.inputType
      : "text";
    const input = el("input", {
      type,
      className: "w-input",
      disabled: true,
      value: str(node.defaultValue) || null,
      placeholder: str(node.placeholder) || null,
      "aria-label": str(node.placeholder) || str(node.name) || "Field",
    });
    return input;
  },
  Textarea(node) {
    const area = el("textarea", {
      className: "w-input",
      disabled: true,
      rows: Number.isInteger(node.rows) ? Math.min(node.rows, 12) : 3,
      placeholder: str(node.placeholder) || null,
      "aria-label": str(node.placeholder) || str(node.name) || "Text",
    });
    area.value = str(node.defaultValue);
    return area;
  },
  RadioGroup(node) {
    const group = `w-radio-${Math.random().toString(36).slice(2)}`;
    const options = list(node.options).filter((o) => o && typeof o === "object");
    return el(
      "fieldset",
      { className: `w-radios w-${node.direction === "row" ? "row" : "col"}`, disabled: true },
      el("legend", {}, str(node.ariaLabel) || str(node.name) || "Choice"),
      options.map((o) =>
        el(
          "label",
          { className: "w-check" },
          el("input", { type: "radio", name: group, disabled: true, checked: str(o.value) === str(node.defaultValue) }),
          " ",
          str(o.label) || str(o.value),
        ),
      ),
    );
  },
  Chart: (node) => chartTable(node),
};

/** A component this file does not know: the words it carries, then its children. */
function unknown(node, depth) {
  const words = ["title", "label", "value", "text", "description"].map((key) => str(node[key])).filter(Boolean);
  const kids = children(node, depth);
  if (!words.length && !kids.length) return null;
  return el(
    "div",
    { className: "w-unknown", title: node.type ? `A ${node.type} widget` : null },
    words.map((w) => el("p", { className: "w-text" }, w)),
    kids,
  );
}
