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
    window.caikgYasgui = yasgui; // for tests and the curious
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
