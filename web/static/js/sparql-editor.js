/* The SPARQL query editor page (templates/sparql.html): YASGUI against this site's endpoint.
 *
 * The page runs under a Content-Security-Policy without 'unsafe-inline', so everything the
 * script needs comes from the JSON data block #caikg-config:
 *   {"endpoint": URL, "prefixes": {prefix: namespace}, "examples": [{name, title, description,
 *    text, params: [{name, kind, required}], defaults: {param: value}}]}
 * YASGUI is configured to talk to that endpoint only: no prefix.cc or LOV look-ups, no CORS
 * proxy, no remote endpoints in the endpoint catalogue.
 *
 * ?example=NAME (or #example-NAME) in the page URL opens that example.
 *
 * Accessibility (WCAG 2.1 AA, checked by tests/web/test_accessibility.py with axe-core): the
 * editor's own markup is completed here, never by editing the vendored files. CodeMirror takes
 * its input in a contenteditable element inside its scroller (so the keyboard can scroll it)
 * named "SPARQL query" and described by the page's keyboard hint (#editor-keys: Tab indents,
 * Escape then Tab moves on; YASQE's Escape leaves the editor). accessibleEditor() names the
 * controls YASGUI leaves unnamed, gives the results table's row-number column a header, and
 * moves the "add tab" button out of the tab list (a tablist may hold only tabs).
 */
(function () {
  "use strict";

  var XSD = "http://www.w3.org/2001/XMLSchema#";

  function readConfig() {
    var el = document.getElementById("caikg-config");
    var config = el ? JSON.parse(el.textContent) : {};
    config.endpoint = new URL(config.endpoint || "/sparql", window.location.href).href;
    config.prefixes = config.prefixes || {};
    config.examples = config.examples || [];
    return config;
  }

  /* PREFIX lines for the prefixes a query uses but does not declare. */
  function withPrefixes(text, prefixes) {
    var declared = {};
    var re = /^\s*PREFIX\s+([A-Za-z][\w.-]*)?:/gim;
    var m;
    while ((m = re.exec(text)) !== null) declared[m[1] || ""] = true;
    var body = text.replace(/^\s*#.*$/gm, "").replace(/<[^>\s]*>/g, "");
    var lines = [];
    Object.keys(prefixes).sort().forEach(function (prefix) {
      if (declared[prefix]) return;
      var used = new RegExp("(^|[\\s(,;/^|!{])" + prefix.replace(/[.-]/g, "\\$&") + ":");
      if (used.test(body)) lines.push("PREFIX " + prefix + ": <" + prefixes[prefix] + ">");
    });
    return lines.length ? lines.join("\n") + "\n" + text : text;
  }

  /* The RDF term (SPARQL syntax) of an example parameter value, or null if it is unusable. */
  function sparqlTerm(kind, value) {
    value = String(value);
    if (kind === "iri") return /^[^\s<>"{}|\\^`]+$/.test(value) ? "<" + value + ">" : null;
    if (kind === "integer") return /^[+-]?\d+$/.test(value) ? value : null;
    if (kind === "year") {
      return /^-?\d{4}$/.test(value) ? JSON.stringify(value) + "^^<" + XSD + "gYear>" : null;
    }
    return JSON.stringify(value); // a JSON string is a valid SPARQL string literal
  }

  /* The example's text, with its example parameter values as a trailing VALUES block (the
   * server binds parameters instead; in the editor the value is visible and editable). */
  function exampleQuery(example, prefixes) {
    var text = withPrefixes(example.text, prefixes).replace(/\s+$/, "");
    var kinds = {};
    (example.params || []).forEach(function (p) { kinds[p.name] = p.kind; });
    var names = [];
    var terms = [];
    Object.keys(example.defaults || {}).forEach(function (name) {
      if (!/^[A-Za-z_]\w*$/.test(name)) return;
      var term = sparqlTerm(kinds[name] || "string", example.defaults[name]);
      if (term === null) return;
      names.push("?" + name);
      terms.push(term);
    });
    if (names.length) {
      text += "\n# the example value of the parameter: change it, or remove these lines\n" +
        "VALUES (" + names.join(" ") + ") { (" + terms.join(" ") + ") }";
    }
    return text + "\n";
  }

  function requestedExample(examples) {
    var name = new URLSearchParams(window.location.search).get("example");
    if (!name && window.location.hash.indexOf("#example-") === 0) {
      name = decodeURIComponent(window.location.hash.slice("#example-".length));
    }
    for (var i = 0; i < examples.length; i++) if (examples[i].name === name) return examples[i];
    return null;
  }

  function renderExamples(list, config, load) {
    if (!list) return;
    list.textContent = "";
    config.examples.forEach(function (example) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "caikg-example";
      button.id = "example-" + example.name;
      button.dataset.example = example.name;
      button.textContent = example.title;
      var description = document.createElement("span");
      description.className = "caikg-example-description";
      description.id = "example-" + example.name + "-description";
      description.textContent = " " + example.description;
      button.setAttribute("aria-describedby", description.id);
      button.addEventListener("click", function () { load(example); });
      item.appendChild(button);
      item.appendChild(description);
      list.appendChild(item);
    });
  }

  var KEYS_HINT = "editor-keys";

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  function nameIfUnnamed(el, name) {
    if (name && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby") &&
        !(el.labels && el.labels.length)) {
      el.setAttribute("aria-label", name);
    }
  }

  /* Names, roles and structure YASGUI's markup lacks; idempotent, run whenever it redraws. */
  function completeMarkup(root) {
    each(root, "input.autocomplete", function (el) { nameIfUnnamed(el, "SPARQL endpoint"); });
    // the query text: CodeMirror's contenteditable input (or its textarea)
    each(root, ".CodeMirror-code[contenteditable], .CodeMirror textarea", function (el) {
      if (el.tagName !== "TEXTAREA" && el.getAttribute("role") !== "textbox") {
        el.setAttribute("role", "textbox");
        el.setAttribute("aria-multiline", "true");
      }
      nameIfUnnamed(el, "SPARQL query");
      if (document.getElementById(KEYS_HINT) && !el.getAttribute("aria-describedby")) {
        el.setAttribute("aria-describedby", KEYS_HINT);
      }
    });
    // the settings menu's selects follow a label that is not tied to them
    each(root, ".selector select", function (el) {
      var label = el.parentNode.querySelector(".selectorLabel");
      nameIfUnnamed(el, label && label.textContent.trim());
    });
    // the settings menu's text fields: "Arguments" (name, value), "Default Graphs" (IRI) …
    each(root, ".textSetting", function (wrapper) {
      var label = wrapper.querySelector("label");
      var text = label ? label.textContent.trim() : "Setting";
      each(wrapper, ".textRow", function (row) {
        var fields = row.querySelectorAll("input");
        if (fields.length !== 2) return;
        nameIfUnnamed(fields[0], text + ": name");
        nameIfUnnamed(fields[1], text + ": value");
      });
      each(wrapper, ".graphInput input", function (el) { nameIfUnnamed(el, text + ": IRI"); });
    });
    // YASR marks unavailable buttons with a class only: say so (and exempt them from contrast)
    each(root, ".yasr_btn", function (el) {
      var disabled = el.classList.contains("disabled");
      if (disabled && el.getAttribute("aria-disabled") !== "true") {
        el.setAttribute("aria-disabled", "true");
      } else if (!disabled && el.hasAttribute("aria-disabled")) {
        el.removeAttribute("aria-disabled");
      }
    });
    each(root, "select.tableSizer", function (el) {
      var label = el.parentNode.querySelector(".pageSizerLabel");
      nameIfUnnamed(el, (label ? label.textContent.replace(/[:\s]+$/, "") : "") || "Page size");
    });
    // the results table's row-number column has an empty header
    each(root, ".yasr table thead th", function (th) {
      if (th.textContent.trim()) return;
      var title = th.querySelector(".dt-column-title") || th;
      title.textContent = "#";
    });
  }

  /* YASGUI puts its "add tab" button inside role=tablist, which may hold only tabs: move it
   * after the list. The button's holder is also YASGUI's insertion point for new tabs, so the
   * holder goes and new tabs are appended to the list instead. */
  function moveAddTabButton(yasgui) {
    var tabs = yasgui.tabElements;
    var list = tabs && tabs._tabsListEl;
    var holder = tabs && tabs.addTabEl;
    if (!list || !holder || holder.parentNode !== list || !list.parentNode) return;
    var bar = document.createElement("div");
    bar.className = "caikg-tabbar";
    list.parentNode.insertBefore(bar, list);
    bar.appendChild(list);
    var button = holder.querySelector("button");
    if (button) bar.appendChild(button);
    list.removeChild(holder);
    tabs.addTabEl = null; // drawTab inserts before addTabEl, or appends when it is null
  }

  function accessibleEditor(yasgui, root) {
    moveAddTabButton(yasgui);
    completeMarkup(root);
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; completeMarkup(root); });
    }).observe(root, { childList: true, subtree: true, attributes: true,
                       attributeFilter: ["class"] });
  }

  function start() {
    var root = document.getElementById("yasgui");
    if (!root || typeof window.Yasgui === "undefined") return;
    var Yasgui = window.Yasgui;
    var config = readConfig();
    var requested = requestedExample(config.examples); // before YASGUI touches the URL
    var first = requested || config.examples[0];
    var initial = first ? exampleQuery(first, config.prefixes) : "SELECT * WHERE {\n  ?s ?p ?o\n}\nLIMIT 10\n";

    // Completions from this page only: the site's prefixes and the query's variables. The
    // "property" and "class" completers would ask lov.linkeddata.es; lodash merges arrays by
    // index, so the static default is replaced rather than merged.
    var prefixLines = Object.keys(config.prefixes).sort().map(function (p) {
      return p + ": <" + config.prefixes[p] + ">";
    });
    if (Yasgui.Yasqe.Autocompleters && Yasgui.Yasqe.Autocompleters.prefixes &&
        !Yasgui.Yasqe.Autocompleters["caikg-prefixes"]) {
      Yasgui.Yasqe.forkAutocompleter("prefixes", {
        name: "caikg-prefixes",
        persistenceId: null,
        get: function () { return Promise.resolve(prefixLines); }
      }, false);
    }
    Yasgui.Yasqe.defaults.autocompleters = ["caikg-prefixes", "variables"];
    Yasgui.Yasqe.defaults.prefixCcApi = null;
    Yasgui.Yasqe.defaults.value = initial;

    var pinEndpoint = function (tabConfig) {
      // a shared link may name another endpoint; this page only talks to its own
      tabConfig.requestConfig = Object.assign({}, tabConfig.requestConfig || {},
                                              { endpoint: config.endpoint, method: "POST" });
      return tabConfig;
    };

    var yasgui = new Yasgui(root, {
      // focus stays where the reader is: at the top of the page (skip link first), not
      // inside the editor, where Tab indents
      autofocus: false,
      requestConfig: { endpoint: config.endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      corsProxy: undefined,
      endpointCatalogueOptions: {
        getData: function () { return [{ endpoint: config.endpoint }]; }
      },
      persistenceId: null,
      populateFromUrl: pinEndpoint,
      tabName: "Query",
      yasqe: {
        value: initial,
        // CodeMirror's input inside its scroller: screen readers read it, and the keyboard
        // reaches (and scrolls) the scrolling region
        inputStyle: "contenteditable",
        screenReaderLabel: "SPARQL query",
        autocompleters: ["caikg-prefixes", "variables"],
        prefixCcApi: null,
        createShortLink: undefined
      },
      yasr: { prefixes: config.prefixes }
    });

    var load = function (example) {
      var tab = yasgui.getTab();
      tab.setQuery(exampleQuery(example, config.prefixes));
      tab.setName(example.title);
      tab.getYasqe().focus();
      if (window.history && window.history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("example", example.name);
        url.hash = "";
        window.history.replaceState(null, "", url.href);
      }
    };
    if (requested) yasgui.getTab().setName(requested.title);
    renderExamples(document.getElementById("caikg-example-list"), config, load);
    accessibleEditor(yasgui, root);
    window.caikgYasgui = yasgui; // for tests and the curious
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
