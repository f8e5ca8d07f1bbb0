/* careers-etl report: draws the charts and the searchable, sortable, paginated tables.
   Everything it needs is in the page; it makes no network request. */
(function () {
  "use strict";

  function embedded(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function drawCharts() {
    var figures = embedded("report-charts");
    var template = embedded("plotly-template");
    Object.keys(figures).forEach(function (id) {
      var el = document.querySelector('[data-chart="' + id + '"]');
      var fig = figures[id];
      fig.layout.template = template;
      Plotly.newPlot(el, fig.data, fig.layout, {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
      });
    });
  }

  var numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  var intFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

  function isMissing(v) {
    return v === null || v === undefined || v === "";
  }

  function format(v, type) {
    if (typeof v !== "number") {
      if (type === "bool") return v ? "yes" : "no";
      return String(v);
    }
    switch (type) {
      case "usd": return "$" + intFormat.format(v);
      case "usd2": return "$" + v.toFixed(2);
      case "int": return intFormat.format(v);
      case "pct": return numberFormat.format(v) + "%";
      case "bytes": return intFormat.format(v);
      default: return numberFormat.format(v);
    }
  }

  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { sensitivity: "base", numeric: true });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function DataTable(root, spec) {
    this.root = root;
    this.spec = spec;
    this.query = "";
    this.filter = null;
    this.sort = spec.sort ? { key: spec.sort[0], dir: spec.sort[1] } : null;
    this.page = 0;
    this.index = {};
    var self = this;
    spec.columns.forEach(function (c, i) { self.index[c.key] = i; });
    this.build();
    this.render();
  }

  DataTable.prototype.build = function () {
    var self = this;
    var controls = el("div", { class: "controls" });
    this.search = el("input", { type: "search", placeholder: "Search\u2026", "aria-label": "Search the table" });
    this.search.addEventListener("input", function () {
      self.query = self.search.value.trim().toLowerCase();
      self.page = 0;
      self.render();
    });
    controls.appendChild(this.search);
    if (this.spec.filters.length) {
      this.select = el("select", { "aria-label": "Show only" });
      this.select.appendChild(el("option", { value: "" }, "all rows"));
      this.spec.filters.forEach(function (f) {
        self.select.appendChild(el("option", { value: f.key }, f.label));
      });
      this.select.addEventListener("change", function () { self.setFilter(self.select.value); });
      controls.appendChild(this.select);
    }
    this.status = el("span", { class: "status" });
    controls.appendChild(this.status);
    this.root.appendChild(controls);

    var scroller = el("div", { class: "scroller" });
    var table = el("table");
    var head = el("tr");
    this.spec.columns.forEach(function (c) {
      var th = el("th", { scope: "col", title: c.title || c.label, tabindex: "0" }, c.label);
      th.dataset.key = c.key;
      if (c.type !== "text" && c.type !== "url") th.className = "num";
      th.addEventListener("click", function () { self.sortBy(c.key); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") self.sortBy(c.key); });
      head.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    this.body = el("tbody");
    table.appendChild(this.body);
    scroller.appendChild(table);
    this.root.appendChild(scroller);
    this.headers = head.children;

    var pager = el("div", { class: "pager" });
    this.prev = el("button", { type: "button" }, "\u2190 Previous");
    this.next = el("button", { type: "button" }, "Next \u2192");
    this.pageLabel = el("span");
    this.prev.addEventListener("click", function () { self.page -= 1; self.render(); });
    this.next.addEventListener("click", function () { self.page += 1; self.render(); });
    pager.appendChild(this.prev);
    pager.appendChild(this.pageLabel);
    pager.appendChild(this.next);
    this.root.appendChild(pager);
  };

  DataTable.prototype.setFilter = function (key) {
    this.filter = null;
    var self = this;
    this.spec.filters.forEach(function (f) { if (f.key === key) self.filter = f; });
    if (this.select) this.select.value = this.filter ? this.filter.key : "";
    this.page = 0;
    this.render();
  };

  DataTable.prototype.sortBy = function (key) {
    if (this.sort && this.sort.key === key) {
      this.sort.dir = this.sort.dir === "asc" ? "desc" : "asc";
    } else {
      this.sort = { key: key, dir: "asc" };
    }
    this.page = 0;
    this.render();
  };

  DataTable.prototype.visibleRows = function () {
    var self = this;
    var out = this.spec.rows;
    var f = this.filter;
    if (f) {
      var i = this.index[f.column];
      out = out.filter(function (r) {
        return f.above !== null ? typeof r[i] === "number" && r[i] > f.above : r[i] === f.value;
      });
    }
    if (this.query) {
      var q = this.query;
      out = out.filter(function (r) {
        return r.some(function (v) { return !isMissing(v) && String(v).toLowerCase().indexOf(q) !== -1; });
      });
    }
    if (this.sort) {
      var k = this.index[this.sort.key];
      var sign = this.sort.dir === "asc" ? 1 : -1;
      out = out.slice().sort(function (a, b) {
        var ma = isMissing(a[k]), mb = isMissing(b[k]);
        if (ma || mb) return ma === mb ? 0 : ma ? 1 : -1; /* missing values always last */
        return sign * compare(a[k], b[k]);
      });
    }
    return out;
  };

  DataTable.prototype.render = function () {
    var self = this;
    var shown = this.visibleRows();
    var size = this.spec.pageSize;
    var pages = Math.max(1, Math.ceil(shown.length / size));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var start = this.page * size;
    var fragment = document.createDocumentFragment();
    shown.slice(start, start + size).forEach(function (r) {
      var tr = el("tr");
      self.spec.columns.forEach(function (c, i) {
        var v = r[i];
        var td;
        if (isMissing(v)) {
          td = el("td", { class: "missing", title: "missing" }, "\u2014");
        } else if (c.type === "url") {
          td = el("td");
          td.appendChild(el("a", { href: (c.prefix || "") + v }, v));
        } else {
          td = el("td", c.type === "text" ? {} : { class: "num" }, format(v, c.type));
        }
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    if (!shown.length) {
      var none = el("tr");
      none.appendChild(el("td", { colspan: String(this.spec.columns.length), class: "missing" }, "no rows"));
      fragment.appendChild(none);
    }
    this.body.replaceChildren(fragment);
    Array.prototype.forEach.call(this.headers, function (th) {
      var dir = self.sort && self.sort.key === th.dataset.key ? self.sort.dir : "none";
      th.setAttribute("aria-sort", dir === "none" ? "none" : dir + "ending");
    });
    var total = this.spec.rows.length;
    this.status.textContent = shown.length === total
      ? intFormat.format(total) + " rows"
      : intFormat.format(shown.length) + " of " + intFormat.format(total) + " rows";
    this.pageLabel.textContent = "page " + (this.page + 1) + " of " + pages;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
  };

  function unpack(id) {
    var node = document.getElementById(id);
    var bytes = Uint8Array.from(atob(node.textContent.trim()), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function buildTables(specs) {
    var registry = {};
    document.querySelectorAll("[data-datatable]").forEach(function (root) {
      var id = root.getAttribute("data-datatable");
      registry[id] = new DataTable(root, specs[id]);
    });
    document.querySelectorAll("a[data-filter-table]").forEach(function (link) {
      link.addEventListener("click", function () {
        var table = registry[link.getAttribute("data-filter-table")];
        if (table) table.setFilter(link.getAttribute("data-filter") || "");
      });
    });
    document.documentElement.setAttribute("data-tables", "ready");
  }

  function tablesUnavailable(reason) {
    document.querySelectorAll("[data-datatable]").forEach(function (root) {
      root.textContent = "This table could not be shown: " + reason;
    });
    document.documentElement.setAttribute("data-tables", "failed");
  }

  drawCharts();
  if (typeof DecompressionStream === "undefined") {
    tablesUnavailable("this browser lacks DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 or later needed).");
  } else {
    unpack("report-tables").then(buildTables, function (err) {
      tablesUnavailable(String(err));
      throw err;
    });
  }
})();
