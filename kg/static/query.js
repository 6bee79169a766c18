// The query page of `kg serve`. Everything it loads comes from its own server: this file, the
// bundled editor (/vendor/codemirror.js, CodeMirror 6; see kg/static/vendor/README.md) and the
// answers of /sparql; the Content-Security-Policy forbids anything else. Every value that comes
// from the data is put in the page with textContent or as an SVG text node, never parsed as
// HTML, and only http(s) IRIs and this server's /id/ pages ever become links.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    endpoint: "/sparql",
    prefixes: {},
    maxRows: null,
    examples: [],
    editor: null, // window.KGEditor instance; null if the bundle did not load (plain textarea)
    terms: [], // ontology terms for completion: {name, kind, label, comment}
    entityCache: new Map(),
    example: null, // the competency question whose form is open
    result: null, // {kind: "select"|"ask"|"graph", vars, rows, triples, text, labels}
    view: "table",
    runs: 0,
  };
  const SOLUTION_DOWNLOADS = [["CSV", "csv"], ["TSV", "tsv"], ["JSON", "json"], ["XML", "xml"]];
  const GRAPH_DOWNLOADS = [["Turtle", "ttl"], ["N-Triples", "nt"], ["JSON-LD", "jsonld"]];
  const NUMERIC = /#(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedInt|unsignedLong|unsignedShort)$/;
  const LABEL_PREDICATES = /(#label|#prefLabel|\/name|#name)$/;
  const VIEWS = ["table", "graph", "chart"];
  const SVG_NS = $("svg-template").content.firstElementChild.namespaceURI;
  const KEYWORDS = [
    "SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "VALUES", "BIND",
    "GRAPH", "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "ASK", "CONSTRUCT", "DESCRIBE",
    "PREFIX", "NOT EXISTS", "EXISTS", "COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE",
    "GROUP_CONCAT", "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "COALESCE", "IF",
    "CONTAINS", "STRSTARTS", "REGEX", "LCASE", "UCASE", "YEAR", "ASC", "DESC", "AS",
  ];
  const COMMON_TERMS = {
    rdf: ["type", "subject", "predicate", "object"],
    rdfs: ["label", "comment", "subClassOf", "subPropertyOf", "domain", "range", "seeAlso"],
    owl: ["Class", "ObjectProperty", "DatatypeProperty", "NamedIndividual", "sameAs"],
    skos: ["altLabel", "prefLabel", "definition", "broader", "narrower"],
    prov: ["wasDerivedFrom", "generatedAtTime"],
    dcterms: ["title", "source", "date", "publisher"],
    org: ["memberOf", "hasMember", "subOrganizationOf"],
    schema: ["location", "url", "name"],
    xsd: ["integer", "decimal", "double", "string", "date", "gYear", "boolean"],
  };

  // ---- small helpers -------------------------------------------------------------------------

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, String(value));
    }
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function show(id, text) {
    const node = $(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  function compact(iri) {
    let best = null;
    for (const [prefix, namespace] of Object.entries(state.prefixes)) {
      if (iri.startsWith(namespace) && (!best || namespace.length > best[1].length)) {
        best = [prefix, namespace];
      }
    }
    if (best) {
      const local = iri.slice(best[1].length);
      if (/^[A-Za-z0-9_]([\w.\-]*[\w\-])?$|^$/.test(local)) return best[0] + ":" + local;
    }
    return "<" + iri + ">";
  }

  /** Where a link on ``iri`` may go: /id/… for this graph's entities, http(s) IRIs as they are,
   *  nothing else (javascript:, data:, urn:… are shown as text only). */
  function safeHref(iri) {
    const base = state.prefixes.kg;
    if (base && iri.startsWith(base) && iri.length > base.length) {
      const slug = iri.slice(base.length);
      if (/[?#]/.test(slug)) return null;
      return "/id/" + slug.split("/").map(encodeURIComponent).join("/");
    }
    let url;
    try {
      url = new URL(iri);
    } catch (error) {
      return null;
    }
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  }

  function sparqlString(text) {
    return '"' + text.replace(/[\\"]/g, "\\$&").replace(/\n/g, "\\n").replace(/\r/g, "\\r") + '"';
  }

  function prologue() {
    return Object.entries(state.prefixes)
      .map(([prefix, namespace]) => "PREFIX " + prefix + ": <" + namespace + ">")
      .join("\n");
  }

  /** SPARQL JSON results of ``query`` (a helper query of the page's own: completion data). */
  async function select(query) {
    const response = await fetch(state.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/sparql-results+json",
      },
      body: new URLSearchParams({ query: prologue() + "\n" + query }).toString(),
    });
    if (!response.ok) throw new Error(response.status + " " + (await response.text()).trim());
    const data = await response.json();
    return (data.results && data.results.bindings) || [];
  }

  // ---- the editor ----------------------------------------------------------------------------

  function getQuery() {
    const textarea = $("query");
    // Someone (a test, a browser extension, the no-script fallback) set the textarea itself.
    if (state.editor && textarea.value !== state.editor.getValue()) {
      state.editor.setValue(textarea.value);
    }
    return textarea.value;
  }

  function setQuery(text) {
    $("query").value = text;
    if (state.editor) state.editor.setValue(text);
  }

  function markError(message) {
    if (!state.editor) return;
    // "query:2:3: syntax error: …", as kg serve words a parse error (line and column from 1).
    const match = /^query:(\d+):(\d+):\s*(.*)$/s.exec(message) ||
      /line (\d+),? col(?:umn)? (\d+)/i.exec(message);
    if (!match) return;
    state.editor.markError(Number(match[1]), Number(match[2]), match[3] || message);
  }

  // ---- completion ----------------------------------------------------------------------------

  async function loadTerms() {
    const rows = await select(`SELECT ?term ?kind (SAMPLE(?l) AS ?label) (SAMPLE(?c) AS ?comment)
WHERE {
  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:NamedIndividual }
  ?term a ?kind .
  FILTER(STRSTARTS(STR(?term), STR(aichip:)))
  OPTIONAL { ?term rdfs:label ?l FILTER(lang(?l) = "en" || lang(?l) = "") }
  OPTIONAL { ?term rdfs:comment ?c FILTER(lang(?c) = "en" || lang(?c) = "") }
}
GROUP BY ?term ?kind`);
    const namespace = state.prefixes.aichip || "";
    const kinds = { Class: "class", ObjectProperty: "property", DatatypeProperty: "property",
      NamedIndividual: "constant" };
    state.terms = rows
      .filter((row) => row.term.value.startsWith(namespace))
      .map((row) => {
        const kind = row.kind.value.split("#").pop();
        return {
          name: row.term.value.slice(namespace.length),
          kind: kind,
          type: kinds[kind] || "variable",
          label: row.label ? row.label.value : "",
          comment: row.comment ? row.comment.value : "",
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    document.body.dataset.terms = String(state.terms.length);
  }

  async function searchEntities(text) {
    const key = text.toLowerCase();
    if (state.entityCache.has(key)) return state.entityCache.get(key);
    const namespace = state.prefixes.kg;
    const wanted = sparqlString(key);
    const rows = await select(`SELECT ?e ?l WHERE {
  ?e rdfs:label ?l .
  FILTER(STRSTARTS(STR(?e), ${sparqlString(namespace)}))
  FILTER(CONTAINS(LCASE(STR(?l)), ${wanted}) || CONTAINS(LCASE(STR(?e)), ${wanted}))
}
LIMIT 400`);
    const byEntity = new Map();
    for (const row of rows) {
      const iri = row.e.value;
      const lang = (row.l["xml:lang"] || "").toLowerCase();
      const known = byEntity.get(iri);
      if (!known || (lang === "en" && known.lang !== "en")) {
        byEntity.set(iri, { slug: iri.slice(namespace.length), label: row.l.value, lang: lang });
      }
    }
    const found = [...byEntity.values()]
      .filter((e) => /^[\w.\-]+$/.test(e.slug))
      .sort((a, b) => {
        const rank = (e) => (e.slug.startsWith(key) ? 0 : e.label.toLowerCase().startsWith(key) ? 1 : 2);
        return rank(a) - rank(b) || a.slug.length - b.slug.length || a.slug.localeCompare(b.slug);
      })
      .slice(0, 40);
    state.entityCache.set(key, found);
    return found;
  }

  async function complete(context) {
    const before = context.before;
    // Inside a string or a comment: nothing to offer.
    if ((before.match(/"/g) || []).length % 2 === 1) return null;
    if (/(^|\s)#/.test(before)) return null;
    const prefixDeclaration = /PREFIX\s+([A-Za-z][\w\-]*)?$/i.exec(before);
    if (prefixDeclaration) {
      const typed = prefixDeclaration[1] || "";
      return {
        from: context.pos - typed.length,
        options: Object.entries(state.prefixes).map(([prefix, namespace]) => ({
          label: prefix + ": <" + namespace + ">",
          type: "namespace",
        })),
      };
    }
    const name = /(?:^|[^\w:<?$])([A-Za-z][\w\-.]*)?:([\w\-.\u00C0-\uFFFF]*)$/.exec(before);
    if (name) {
      const prefix = name[1] || "";
      const local = name[2];
      const from = context.pos - local.length - prefix.length - 1;
      if (prefix === "aichip") {
        return {
          from: from,
          validFor: /^aichip:[\w\-]*$/,
          options: state.terms.map((term) => ({
            label: "aichip:" + term.name,
            detail: term.kind,
            info: [term.label, term.comment].filter(Boolean).join(" — ") || undefined,
            type: term.type,
          })),
        };
      }
      if (prefix === "kg") {
        if (!local && !context.explicit) return null;
        const entities = await searchEntities(local);
        return {
          from: from,
          filter: false,
          options: entities.map((entity, index) => ({
            label: "kg:" + entity.slug,
            detail: entity.label,
            type: "variable",
            boost: -index,
          })),
        };
      }
      if (COMMON_TERMS[prefix]) {
        return {
          from: from,
          validFor: /^[\w\-]*:[\w\-]*$/,
          options: COMMON_TERMS[prefix].map((term) => ({ label: prefix + ":" + term, type: "property" })),
        };
      }
      return null;
    }
    const word = /(?:^|[\s({,!])([A-Za-z][\w\-]*)$/.exec(before);
    if (!word && !context.explicit) return null;
    const typed = word ? word[1] : "";
    return {
      from: context.pos - typed.length,
      validFor: /^[A-Za-z][\w\-]*$/,
      options: [
        ...Object.entries(state.prefixes).map(([prefix, namespace]) => ({
          label: prefix + ":",
          detail: namespace,
          type: "namespace",
          boost: 1,
        })),
        ...KEYWORDS.map((keyword) => ({ label: keyword, type: "keyword" })),
      ],
    };
  }

  // ---- competency questions and their parameters (Datasette's canned queries) ---------------

  function paramsOf(example) {
    const params = [];
    for (const line of example.query.split("\n")) {
      const stripped = line.trim();
      if (!stripped) continue;
      if (!stripped.startsWith("#")) break; // the header ends at the first line of SPARQL
      const match = /^#\s*param\s*:\s*([A-Za-z_]\w*)\s*=\s*(.+?)\s*$/i.exec(stripped);
      if (match) params.push({ name: match[1], default: match[2] });
    }
    return params;
  }

  const SPARQL_TERM = /^(<[^<>"{}|^`\\\s]*>|([A-Za-z][\w\-]*)?:[\w\-]*(\.[\w\-]+)*|"(?:[^"\\\n]|\\.)*"(@[A-Za-z]+(-[A-Za-z0-9]+)*|\^\^(<[^<>\s]*>|[A-Za-z][\w\-]*:\w*))?|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|true|false|UNDEF)$/;

  /** A form value as SPARQL: written as SPARQL already, or plain and shaped like the default. */
  function paramTerm(value, fallback) {
    const text = value.trim();
    if (!text) return fallback;
    const pieces = text.split(/\s+/);
    if (pieces.every((piece) => SPARQL_TERM.test(piece) && !/^[A-Za-z][\w\-]*:$/.test(piece))) {
      const known = pieces.every((piece) => {
        const curie = /^([A-Za-z][\w\-]*)?:/.exec(piece);
        return !curie || piece.startsWith("<") || piece.startsWith('"') ||
          (curie[1] || "") in state.prefixes;
      });
      if (known) return text;
    }
    const typed = /^"(?:[^"\\]|\\.)*"(\^\^\S+|@\S+)?$/.exec(fallback);
    if (typed) return sparqlString(text) + (typed[1] || "");
    const curie = /^([A-Za-z][\w\-]*):/.exec(fallback);
    if (curie && /^[\w\-.]+$/.test(text)) return curie[1] + ":" + text.replace(/\.+$/, "");
    if (/^[+-]?\d/.test(fallback) && !isNaN(Number(text))) return text;
    return sparqlString(text);
  }

  /** The example's text with each ``VALUES ?name { … }`` body replaced by its form value. */
  function substitute(example, values) {
    let text = example.query;
    for (const param of paramsOf(example)) {
      const term = paramTerm(values[param.name] || "", param.default);
      const clause = new RegExp("(VALUES\\s+\\?" + param.name + "\\s*\\{)[^}]*(\\})", "i");
      text = text.replace(clause, (whole, open, close) => open + " " + term + " " + close);
    }
    return text;
  }

  function formValues() {
    const values = {};
    for (const input of $("param-fields").querySelectorAll("input")) {
      values[input.name] = input.value;
    }
    return values;
  }

  function openExample(example, values) {
    state.example = example;
    $("example-title").textContent = example.title;
    $("example-description").textContent = example.description || "";
    $("example-description").hidden = !example.description;
    const fields = $("param-fields");
    clear(fields);
    for (const param of paramsOf(example)) {
      const label = element("label", null, "param");
      label.appendChild(element("span", param.name));
      const input = element("input");
      input.name = param.name;
      input.value = values && values[param.name] !== undefined ? values[param.name] : param.default;
      input.dataset.default = param.default;
      input.size = Math.min(60, Math.max(20, param.default.length + 4));
      input.spellcheck = false;
      input.autocomplete = "off";
      if (/^kg:/.test(param.default)) {
        const list = element("datalist");
        list.id = "param-options-" + param.name;
        input.setAttribute("list", list.id);
        input.addEventListener("input", () => suggestEntities(input, list));
        label.appendChild(list);
      }
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          runExample();
        }
      });
      label.appendChild(input);
      label.appendChild(element("small", "default " + param.default));
      fields.appendChild(label);
    }
    $("run-example").hidden = fields.childElementCount === 0;
    $("example-form").hidden = false;
    for (const button of $("example-list").querySelectorAll("button")) {
      button.setAttribute("aria-current", String(button.dataset.name === example.name));
    }
  }

  function closeExample() {
    state.example = null;
    $("example-form").hidden = true;
    for (const button of $("example-list").querySelectorAll("button")) {
      button.setAttribute("aria-current", "false");
    }
  }

  async function suggestEntities(input, list) {
    const text = input.value.replace(/^kg:/, "").trim();
    if (text.length < 2) return;
    try {
      const entities = await searchEntities(text.toLowerCase());
      clear(list);
      for (const entity of entities.slice(0, 20)) {
        const option = element("option", entity.label);
        option.value = "kg:" + entity.slug;
        list.appendChild(option);
      }
    } catch (error) {
      // Suggestions are a nicety; the form works without them.
    }
  }

  function runExample() {
    if (!state.example) return;
    setQuery(substitute(state.example, formValues()));
    run({ fromExample: true });
  }

  function renderExamples() {
    const list = $("example-list");
    clear(list);
    $("examples-empty").hidden = state.examples.length > 0;
    for (const example of state.examples) {
      const item = element("li");
      const button = element("button");
      button.type = "button";
      button.dataset.name = example.name;
      button.title = example.description || "";
      button.appendChild(element("span", example.title));
      const params = paramsOf(example).map((param) => param.name);
      button.appendChild(element("code", example.name + (params.length ? " (" + params.join(", ") + ")" : "")));
      button.addEventListener("click", () => {
        openExample(example);
        runExample();
      });
      item.appendChild(button);
      list.appendChild(item);
    }
  }

  function renderPrefixes() {
    const list = $("prefix-list");
    clear(list);
    for (const [prefix, namespace] of Object.entries(state.prefixes)) {
      list.appendChild(element("dt", prefix + ":"));
      list.appendChild(element("dd", namespace));
    }
  }

  function insertPrefixes() {
    const text = getQuery();
    const lines = Object.entries(state.prefixes)
      .filter(([prefix]) => !new RegExp("PREFIX\\s+" + prefix + ":", "i").test(text))
      .map(([prefix, namespace]) => "PREFIX " + prefix + ": <" + namespace + ">");
    if (lines.length) setQuery(lines.join("\n") + "\n" + text);
  }

  // ---- the URL: ?query=…&view=… or ?example=NAME&param=…&view=… --------------------------------

  function shareParams(query) {
    const params = new URLSearchParams();
    const example = state.example;
    if (example && query === substitute(example, formValues())) {
      params.set("example", example.name);
      for (const input of $("param-fields").querySelectorAll("input")) {
        if (input.value.trim() !== input.dataset.default) params.set(input.name, input.value.trim());
      }
    } else {
      params.set("query", query);
    }
    // The view on show (a view the result cannot have falls back to the table).
    const view = state.result ? document.body.dataset.view : state.view;
    if (view && view !== "table") params.set("view", view);
    return params;
  }

  function updateUrl(query, push) {
    const search = "?" + shareParams(query).toString();
    if (search === window.location.search) return;
    const method = push ? "pushState" : "replaceState";
    window.history[method](null, "", window.location.pathname + search);
  }

  // ---- results: parsing ----------------------------------------------------------------------

  function unescapeNt(text) {
    return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (whole, code) => {
      if (code.length > 1) return String.fromCodePoint(parseInt(code.slice(1), 16));
      return { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f" }[code] || code;
    });
  }

  /** N-Triples as [{s, p, o}] of SPARQL-JSON-shaped terms. */
  function parseNTriples(text) {
    const term = /\s*(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9\-]+)|\^\^<([^>]*)>)?)/y;
    const triples = [];
    for (const line of text.split("\n")) {
      if (!line.trim() || line.trim().startsWith("#")) continue;
      term.lastIndex = 0;
      const parts = [];
      for (let i = 0; i < 3; i++) {
        const match = term.exec(line);
        if (!match) break;
        if (match[1] !== undefined) parts.push({ type: "uri", value: unescapeNt(match[1]) });
        else if (match[2] !== undefined) parts.push({ type: "bnode", value: match[2] });
        else {
          const literal = { type: "literal", value: unescapeNt(match[3]) };
          if (match[4]) literal["xml:lang"] = match[4];
          if (match[5]) literal.datatype = match[5];
          parts.push(literal);
        }
      }
      if (parts.length === 3) triples.push({ s: parts[0], p: parts[1], o: parts[2] });
    }
    return triples;
  }

  function termKey(term) {
    return term.type === "bnode" ? "_:" + term.value : term.value;
  }

  function better(label, candidate) {
    const lang = (candidate["xml:lang"] || "").toLowerCase();
    const rank = lang === "en" ? 0 : lang === "" ? 1 : 2;
    return !label || rank < label.rank ? { text: candidate.value, rank: rank } : label;
  }

  /** Labels the result itself gives: ?xLabel (or ?x_label, ?xName) next to ?x, rdfs:label triples. */
  function resultLabels(result) {
    const labels = new Map();
    const add = (term, literal) => {
      if (!term || !literal || literal.type !== "literal") return;
      const key = termKey(term);
      labels.set(key, better(labels.get(key), literal));
    };
    if (result.kind === "graph") {
      for (const triple of result.triples) {
        if (LABEL_PREDICATES.test(triple.p.value)) add(triple.s, triple.o);
      }
    } else {
      const iriVars = result.vars.filter((v) => result.rows.some((row) => row[v] && row[v].type !== "literal"));
      for (const name of iriVars) {
        const labelVar = result.vars.find((other) =>
          [name + "label", name + "_label", name + "name"].includes(other.toLowerCase()));
        const fallback = iriVars.length === 1 && result.vars.includes("label") ? "label" : null;
        const column = labelVar || fallback;
        if (!column) continue;
        for (const row of result.rows) add(row[name], row[column]);
      }
    }
    const texts = new Map();
    for (const [key, label] of labels) texts.set(key, label.text);
    return texts;
  }

  function isNumeric(term) {
    return term && term.type === "literal" && term.datatype && NUMERIC.test(term.datatype) &&
      isFinite(Number(term.value));
  }

  function numericVars(result) {
    if (result.kind !== "select") return [];
    return result.vars.filter((name) => {
      const values = result.rows.map((row) => row[name]).filter(Boolean);
      return values.length > 0 && values.every(isNumeric);
    });
  }

  function iriVars(result) {
    if (result.kind !== "select") return [];
    return result.vars.filter((name) => {
      const values = result.rows.map((row) => row[name]).filter(Boolean);
      return values.length > 0 && values.every((term) => term.type === "uri" || term.type === "bnode");
    });
  }

  function availableViews(result) {
    const views = ["table"];
    if (result.kind === "graph" ? result.triples.length > 0 : iriVars(result).length >= 2) {
      views.push("graph");
    }
    if (numericVars(result).length > 0 && result.rows.length > 0) views.push("chart");
    return views;
  }

  // ---- results: the table --------------------------------------------------------------------

  function termContent(term, labels) {
    const fragment = document.createDocumentFragment();
    if (term.type === "uri") {
      const label = labels.get(term.value);
      const text = label || compact(term.value);
      const href = safeHref(term.value);
      const node = element(href ? "a" : "span", text);
      if (href) {
        node.href = href;
        if (!href.startsWith("/")) node.rel = "noopener noreferrer";
      }
      node.title = term.value;
      if (!label && text.startsWith("<")) node.className = "long-iri";
      fragment.appendChild(node);
    } else if (term.type === "bnode") {
      fragment.appendChild(element("span", "_:" + term.value, "bnode"));
    } else {
      fragment.appendChild(document.createTextNode(term.value));
      if (term["xml:lang"]) fragment.appendChild(element("span", "@" + term["xml:lang"], "lang"));
    }
    return fragment;
  }

  function termCell(term, labels) {
    const cell = element("td");
    if (!term) return cell;
    cell.appendChild(termContent(term, labels));
    if (term.type === "uri" || term.type === "bnode") cell.className = "iri";
    else if (isNumeric(term)) cell.className = "num";
    else if (/^\S{40,}$/.test(term.value)) cell.className = "long";
    if (term.type === "literal" && term.datatype) cell.title = compact(term.datatype);
    return cell;
  }

  function renderTable(result) {
    const results = $("results");
    if (result.kind === "ask") {
      results.appendChild(element("p", "Answer: " + result.boolean, "boolean"));
      return;
    }
    const vars = result.kind === "graph" ? ["subject", "predicate", "object"] : result.vars;
    const rows = result.kind === "graph"
      ? result.triples.map((t) => ({ subject: t.s, predicate: t.p, object: t.o }))
      : result.rows;
    const wrapper = element("div", null, "table-wrap");
    const table = element("table");
    table.id = "result-table";
    const head = element("thead");
    const headRow = element("tr");
    for (const name of vars) headRow.appendChild(element("th", name));
    head.appendChild(headRow);
    table.appendChild(head);
    const body = element("tbody");
    for (const row of rows) {
      const tr = element("tr");
      for (const name of vars) tr.appendChild(termCell(row[name], result.labels));
      body.appendChild(tr);
    }
    table.appendChild(body);
    wrapper.appendChild(table);
    results.appendChild(wrapper);
  }

  // ---- results: the bar chart ----------------------------------------------------------------

  function fillSelect(select, names, chosen) {
    clear(select);
    for (const name of names) {
      const option = element("option", "?" + name);
      option.value = name;
      select.appendChild(option);
    }
    if (names.includes(chosen)) select.value = chosen;
  }

  function niceStep(span) {
    const raw = span / 5;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const scaled = raw / power;
    return power * (scaled < 1.5 ? 1 : scaled < 3 ? 2 : scaled < 7 ? 5 : 10);
  }

  function formatNumber(value) {
    return Math.abs(value) >= 1e6 || (Math.abs(value) < 1e-3 && value !== 0)
      ? value.toExponential(2)
      : value.toLocaleString("en", { maximumFractionDigits: 3 });
  }

  function truncate(text, length) {
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  function categoryText(term, labels) {
    if (!term) return "(none)";
    if (term.type === "uri") return labels.get(term.value) || compact(term.value);
    if (term.type === "bnode") return "_:" + term.value;
    return term.value;
  }

  function renderChart(result) {
    const values = numericVars(result);
    const others = result.vars.filter((name) => !values.includes(name));
    const preferred = others.find((name) => /label$|name$/i.test(name)) || others[0] || values[0];
    const valueSelect = $("chart-value");
    const labelSelect = $("chart-label");
    fillSelect(valueSelect, values, valueSelect.value || values[0]);
    fillSelect(labelSelect, others.length ? others : values, labelSelect.value || preferred);
    $("chart-options").hidden = false;
    const valueVar = valueSelect.value;
    const labelVar = labelSelect.value;
    const limit = 60;
    const rows = result.rows.filter((row) => row[valueVar]).slice(0, limit);
    if (result.rows.length > limit) {
      show("view-note", "The chart shows the first " + limit + " of " + result.rows.length + " rows.");
    }
    const data = rows.map((row) => ({
      label: categoryText(row[labelVar], result.labels),
      value: Number(row[valueVar].value),
      term: row[labelVar],
    }));
    const width = Math.max(520, $("results").clientWidth || 900);
    const labelWidth = Math.min(280, Math.round(width * 0.3));
    const barHeight = 22;
    const gap = 6;
    const top = 28;
    const right = 70;
    const height = top + data.length * (barHeight + gap) + 10;
    const low = Math.min(0, ...data.map((d) => d.value));
    const high = Math.max(0, ...data.map((d) => d.value));
    const step = niceStep(high - low || 1);
    const min = Math.floor(low / step) * step;
    const max = Math.ceil(high / step) * step || step;
    const plot = width - labelWidth - right;
    const x = (value) => labelWidth + ((value - min) / (max - min)) * plot;
    const chart = svg("svg", {
      id: "result-chart",
      class: "chart",
      width: width,
      height: height,
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": "?" + valueVar + " by ?" + labelVar,
    });
    for (let tick = min; tick <= max + step / 2; tick += step) {
      chart.appendChild(svg("line", { class: "grid", x1: x(tick), x2: x(tick), y1: top - 6, y2: height - 10 }));
      chart.appendChild(svg("text", { class: "tick", x: x(tick), y: top - 10, "text-anchor": "middle" },
        formatNumber(tick)));
    }
    data.forEach((d, index) => {
      const y = top + index * (barHeight + gap);
      const group = svg("g", { class: "bar-row" });
      const from = x(Math.min(0, d.value));
      const to = x(Math.max(0, d.value));
      const bar = svg("rect", { class: "bar", x: from, y: y, width: Math.max(1, to - from), height: barHeight });
      bar.appendChild(svg("title", {}, d.label + ": " + formatNumber(d.value)));
      const name = svg("text", { class: "bar-label", x: labelWidth - 8, y: y + barHeight / 2 + 4,
        "text-anchor": "end" }, truncate(d.label, Math.floor(labelWidth / 7)));
      name.appendChild(svg("title", {}, d.label));
      const href = d.term && d.term.type === "uri" ? safeHref(d.term.value) : null;
      if (href) {
        const link = svg("a", { href: href });
        link.appendChild(name);
        group.appendChild(link);
      } else {
        group.appendChild(name);
      }
      group.appendChild(bar);
      group.appendChild(svg("text", { class: "bar-value", x: to + 5, y: y + barHeight / 2 + 4 },
        formatNumber(d.value)));
      chart.appendChild(group);
    });
    chart.appendChild(svg("line", { class: "axis", x1: x(0), x2: x(0), y1: top - 6, y2: height - 10 }));
    $("results").appendChild(chart);
  }

  // ---- results: the graph --------------------------------------------------------------------

  function graphOf(result) {
    const nodes = new Map();
    const edges = [];
    const node = (term) => {
      const key = term.type === "literal" ? "lit:" + nodes.size : termKey(term);
      if (!nodes.has(key)) nodes.set(key, { key: key, term: term, degree: 0 });
      return nodes.get(key);
    };
    const edge = (from, to, label) => {
      edges.push({ from: from, to: to, label: label });
      from.degree += 1;
      to.degree += 1;
    };
    if (result.kind === "graph") {
      const drawnLiterals = result.triples.length <= 120;
      for (const triple of result.triples) {
        const isLabel = LABEL_PREDICATES.test(triple.p.value) && triple.o.type === "literal";
        if (triple.o.type === "literal" && (isLabel || !drawnLiterals)) {
          node(triple.s);
          continue;
        }
        edge(node(triple.s), node(triple.o), compact(triple.p.value));
      }
    } else {
      const columns = iriVars(result);
      for (const row of result.rows) {
        const bound = columns.filter((name) => row[name]);
        for (let i = 0; i + 1 < bound.length; i++) {
          edge(node(row[bound[i]]), node(row[bound[i + 1]]), "?" + bound[i + 1]);
        }
      }
    }
    // One edge per (from, to, label).
    const seen = new Set();
    const unique = edges.filter((e) => {
      const key = e.from.key + "\u0000" + e.to.key + "\u0000" + e.label;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { nodes: [...nodes.values()], edges: unique };
  }

  /** A plain force layout (Fruchterman–Reingold), run to rest before drawing. */
  function layout(nodes, edges, width, height) {
    const count = nodes.length;
    const area = width * height;
    const k = Math.sqrt(area / Math.max(1, count)) * 0.75;
    nodes.forEach((n, i) => {
      const angle = (2 * Math.PI * i) / Math.max(1, count);
      n.x = width / 2 + (Math.cos(angle) * width) / 3;
      n.y = height / 2 + (Math.sin(angle) * height) / 3;
    });
    let temperature = width / 8;
    const rounds = count > 150 ? 120 : 300;
    for (let round = 0; round < rounds; round++) {
      for (const n of nodes) {
        n.dx = 0;
        n.dy = 0;
      }
      for (let i = 0; i < count; i++) {
        for (let j = i + 1; j < count; j++) {
          const a = nodes[i];
          const b = nodes[j];
          let dx = a.x - b.x;
          let dy = a.y - b.y;
          let distance = Math.hypot(dx, dy);
          if (distance < 0.01) {
            dx = Math.random() - 0.5;
            dy = Math.random() - 0.5;
            distance = 0.5;
          }
          const force = (k * k) / distance;
          a.dx += (dx / distance) * force;
          a.dy += (dy / distance) * force;
          b.dx -= (dx / distance) * force;
          b.dy -= (dy / distance) * force;
        }
      }
      for (const e of edges) {
        const dx = e.from.x - e.to.x;
        const dy = e.from.y - e.to.y;
        const distance = Math.max(0.01, Math.hypot(dx, dy));
        const force = (distance * distance) / k;
        e.from.dx -= (dx / distance) * force;
        e.from.dy -= (dy / distance) * force;
        e.to.dx += (dx / distance) * force;
        e.to.dy += (dy / distance) * force;
      }
      for (const n of nodes) {
        n.dx += (width / 2 - n.x) * 0.05 * k / 50;
        n.dy += (height / 2 - n.y) * 0.05 * k / 50;
        const length = Math.max(0.01, Math.hypot(n.dx, n.dy));
        n.x += (n.dx / length) * Math.min(length, temperature);
        n.y += (n.dy / length) * Math.min(length, temperature);
      }
      temperature *= 0.985;
    }
    // Fit into the frame, leaving room for labels.
    const xs = nodes.map((n) => n.x);
    const ys = nodes.map((n) => n.y);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const left = 30;
    const right = 190; // labels run to the right of their node
    for (const n of nodes) {
      n.x = left + ((n.x - minX) / (maxX - minX || 1)) * (width - left - right);
      n.y = 30 + ((n.y - minY) / (maxY - minY || 1)) * (height - 60);
    }
  }

  function renderGraph(result) {
    const graph = graphOf(result);
    const limit = 150;
    let nodes = graph.nodes;
    let edges = graph.edges;
    if (nodes.length > limit) {
      nodes = [...nodes].sort((a, b) => b.degree - a.degree).slice(0, limit);
      const kept = new Set(nodes);
      edges = edges.filter((e) => kept.has(e.from) && kept.has(e.to));
      show("view-note", "The graph shows the " + limit + " best-connected of " + graph.nodes.length + " nodes.");
    }
    const width = Math.max(520, $("results").clientWidth || 900);
    const height = Math.min(720, Math.max(380, 120 + nodes.length * 9));
    layout(nodes, edges, width, height);
    const picture = svg("svg", {
      id: "result-graph",
      class: "graph",
      width: width,
      height: height,
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": nodes.length + " nodes, " + edges.length + " edges",
    });
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 17, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }));
    defs.appendChild(marker);
    picture.appendChild(defs);
    const showEdgeLabels = edges.length <= 80;
    for (const e of edges) {
      const group = svg("g", { class: "edge" });
      group.appendChild(svg("line", { x1: e.from.x, y1: e.from.y, x2: e.to.x, y2: e.to.y,
        "marker-end": "url(#arrow)" }));
      group.appendChild(svg("title", {}, e.label));
      if (showEdgeLabels) {
        group.appendChild(svg("text", { class: "edge-label", x: (e.from.x + e.to.x) / 2,
          y: (e.from.y + e.to.y) / 2 - 3, "text-anchor": "middle" }, truncate(e.label, 28)));
      }
      picture.appendChild(group);
    }
    for (const n of nodes) {
      const term = n.term;
      const kind = term.type === "literal" ? "literal" : term.type === "bnode" ? "bnode" : "iri";
      const text = term.type === "literal" ? term.value : categoryText(term, result.labels);
      const href = term.type === "uri" ? safeHref(term.value) : null;
      const group = svg("g", { class: "node " + kind, transform: "translate(" + n.x + "," + n.y + ")" });
      if (kind === "literal") group.appendChild(svg("rect", { x: -4, y: -4, width: 8, height: 8 }));
      else group.appendChild(svg("circle", { r: Math.min(12, 5 + Math.sqrt(n.degree) * 1.5) }));
      group.appendChild(svg("text", { x: 9, y: 4 }, truncate(text, 32)));
      group.appendChild(svg("title", {}, term.type === "uri" ? text + "\n" + term.value : text));
      if (href) {
        const link = svg("a", { href: href });
        link.appendChild(group);
        picture.appendChild(link);
      } else {
        picture.appendChild(group);
      }
    }
    $("results").appendChild(picture);
  }

  // ---- results: views ------------------------------------------------------------------------

  function renderView() {
    const result = state.result;
    const results = $("results");
    clear(results);
    show("view-note", "");
    $("chart-options").hidden = true;
    if (!result) return;
    const views = availableViews(result);
    const view = views.includes(state.view) ? state.view : "table";
    for (const button of $("views").querySelectorAll("button")) {
      button.hidden = !views.includes(button.dataset.view);
      button.setAttribute("aria-pressed", String(button.dataset.view === view));
    }
    $("views").hidden = views.length < 2;
    document.body.dataset.view = view;
    if (view === "chart") renderChart(result);
    else if (view === "graph") renderGraph(result);
    else renderTable(result);
  }

  function chooseView(view) {
    state.view = view;
    renderView();
    if (state.result) updateUrl(state.result.query, false);
  }

  function renderDownloads(query, isGraph, truncated) {
    const links = $("download-links");
    clear(links);
    for (const [label, format] of isGraph ? GRAPH_DOWNLOADS : SOLUTION_DOWNLOADS) {
      const link = element("a", label);
      const params = new URLSearchParams({ query: query, format: format });
      // The server refuses a cut answer in a format that cannot say so (CSV, TSV, JSON-LD)
      // unless asked; the page has just said the answer is cut, so the download asks.
      if (truncated) params.set("partial", "true");
      link.href = state.endpoint + "?" + params.toString();
      link.download = "results." + (format === "jsonld" ? "jsonld" : format);
      links.appendChild(link);
    }
    $("downloads").hidden = false;
  }

  function summary(result) {
    if (result.kind === "ask") return "ASK";
    if (result.kind === "graph") {
      return result.triples.length + (result.triples.length === 1 ? " triple" : " triples");
    }
    return result.rows.length + (result.rows.length === 1 ? " row" : " rows");
  }

  // ---- running -------------------------------------------------------------------------------

  async function run(options) {
    const query = getQuery();
    const push = !(options && options.restoring);
    clear($("results"));
    show("error", "");
    show("truncated", "");
    show("view-note", "");
    $("result-bar").hidden = true;
    $("downloads").hidden = true;
    if (state.editor) state.editor.clearError();
    if (state.example && !(options && options.fromExample) &&
        query !== substitute(state.example, formValues())) {
      closeExample();
    }
    state.result = null;
    $("run").disabled = true;
    setStatus("running…");
    const started = performance.now();
    try {
      const response = await fetch(state.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json, application/n-triples;q=0.9",
        },
        body: new URLSearchParams({ query: query }).toString(),
      });
      const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
      const text = await response.text();
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (!response.ok) {
        updateUrl(query, push);
        const message = text.trim();
        show("error", response.status + " " + response.statusText + ": " + message);
        if (response.status === 400) markError(message);
        setStatus("failed after " + seconds + " s");
        return;
      }
      let result;
      if (type === "application/n-triples") {
        result = { kind: "graph", triples: parseNTriples(text), vars: [], rows: [] };
      } else {
        const data = JSON.parse(text);
        if (typeof data.boolean === "boolean") {
          result = { kind: "ask", boolean: data.boolean, vars: [], rows: [] };
        } else {
          result = {
            kind: "select",
            vars: (data.head && data.head.vars) || [],
            rows: (data.results && data.results.bindings) || [],
          };
        }
      }
      result.query = query;
      result.labels = resultLabels(result);
      state.result = result;
      $("result-bar").hidden = false;
      renderView();
      updateUrl(query, push);
      const truncated = Boolean(response.headers.get("KG-Truncated"));
      if (truncated) {
        show("truncated", "Only the first " + response.headers.get("KG-Max-Rows") +
          " results are shown (and downloaded): the server caps every answer." +
          " Add LIMIT/OFFSET to page through.");
      }
      renderDownloads(query, result.kind === "graph", truncated);
      setStatus(summary(result) + " in " + seconds + " s");
    } catch (error) {
      show("error", "The request failed: " + error.message);
      setStatus("");
    } finally {
      $("run").disabled = false;
      state.runs += 1;
      document.body.dataset.ran = String(state.runs);
    }
  }

  // ---- start ---------------------------------------------------------------------------------

  function restore(params) {
    const view = params.get("view");
    state.view = VIEWS.includes(view) ? view : "table";
    const named = state.examples.find((example) => example.name === params.get("example"));
    if (named) {
      const values = {};
      for (const param of paramsOf(named)) {
        if (params.has(param.name)) values[param.name] = params.get(param.name);
      }
      openExample(named, values);
      setQuery(substitute(named, formValues()));
      run({ fromExample: true, restoring: true });
    } else if (params.get("query")) {
      closeExample();
      setQuery(params.get("query"));
      run({ restoring: true });
    }
  }

  async function start() {
    $("query-form").addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
    $("query").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
    $("insert-prefixes").addEventListener("click", insertPrefixes);
    $("run-example").addEventListener("click", runExample);
    $("close-example").addEventListener("click", closeExample);
    for (const button of $("views").querySelectorAll("button")) {
      button.addEventListener("click", () => chooseView(button.dataset.view));
    }
    $("chart-value").addEventListener("change", renderView);
    $("chart-label").addEventListener("change", renderView);
    window.addEventListener("popstate", () => restore(new URLSearchParams(window.location.search)));
    if (window.KGEditor) {
      state.editor = window.KGEditor.create($("query"), {
        onRun: () => run(),
        complete: complete,
        label: "SPARQL query",
      });
      window.kgQueryEditor = state.editor; // for the browser tests
    }
    try {
      const response = await fetch("/examples.json", { headers: { Accept: "application/json" } });
      const data = await response.json();
      state.endpoint = data.endpoint || state.endpoint;
      state.prefixes = data.prefixes || {};
      state.maxRows = data.maxRows;
      state.examples = data.examples || [];
    } catch (error) {
      show("error", "Could not load the examples: " + error.message);
    }
    renderPrefixes();
    renderExamples();
    document.body.dataset.ready = "true";
    loadTerms().catch((error) => {
      document.body.dataset.terms = "failed: " + error.message;
    });
    // ?query=… (a shared link) or ?example=NAME[&param=value] fills the editor and runs it.
    restore(new URLSearchParams(window.location.search));
  }

  document.addEventListener("DOMContentLoaded", start);
})();
