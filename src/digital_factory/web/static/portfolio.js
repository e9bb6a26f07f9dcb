/* Portfolio and product boards: drag and drop with SortableJS, and the live WSJF of the scoring table.
   A move is only kept when the server accepts it; a refused card goes back where it was and the reason is
   shown, with what can be done about it (a done reason, or the board's WIP override). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (name) {
      var value = fields[name];
      (Array.isArray(value) ? value : [value]).forEach(function (v) {
        if (v !== undefined && v !== null) { body.append(name, v); }
      });
    });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, message: "The server answered " + response.status + "." };
      });
    });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function Status(box) {
    this.box = box;
  }
  Status.prototype.show = function (kind, message) {
    this.box.hidden = false;
    this.box.className = "move-status " + kind;
    this.box.replaceChildren(element("p", {}, message));
    return this.box;
  };
  Status.prototype.clear = function () {
    this.box.hidden = true;
    this.box.replaceChildren();
  };

  function putBack(item, from, oldIndex) {
    var reference = from.children[oldIndex] || null;
    if (reference === item) { return; }
    from.insertBefore(item, reference);
  }

  function updateCounts(board, columns) {
    Object.keys(columns || {}).forEach(function (id) {
      var section = board.querySelector('.kanban-column[data-column="' + id + '"]');
      if (!section) { return; }
      var info = columns[id];
      var count = section.querySelector("[data-count]");
      if (count) { count.textContent = String(info.state_count); }
      section.classList.toggle("full", Boolean(info.full));
    });
  }

  /* Cards draggable between (and, unless `options` say otherwise, within) the board's lists; a drop is
     handed to `owner.dropped`. */
  function dragCards(board, owner, options) {
    board.querySelectorAll(".kanban-list").forEach(function (list) {
      Sortable.create(list, Object.assign({
        forceFallback: true,
        fallbackTolerance: 3,
        draggable: ".kanban-card",
        onEnd: function (evt) { owner.dropped(evt); }
      }, options));
    });
  }

  /* --- the portfolio kanban --------------------------------------------------------------------- */

  function PortfolioBoard(board) {
    this.board = board;
    this.status = new Status(document.getElementById("move-status"));
    dragCards(board, this, { group: "epics", sort: false });
  }

  PortfolioBoard.prototype.dropped = function (evt) {
    if (evt.from === evt.to) { return; }
    var move = { item: evt.item, from: evt.from, oldIndex: evt.oldIndex, to: evt.to };
    this.attempt(move, {});
  };

  PortfolioBoard.prototype.attempt = function (move, extra) {
    var self = this;
    var key = move.item.getAttribute("data-key");
    var fields = { to: move.to.getAttribute("data-column") };
    Object.keys(extra).forEach(function (name) { fields[name] = extra[name]; });
    move.item.classList.add("pending");
    this.status.show("info", "Moving " + key + " …");
    return post("/portfolio/epics/" + encodeURIComponent(key) + "/move", fields).then(function (result) {
      move.item.classList.remove("pending");
      if (result.ok) {
        if (move.item.parentNode !== move.to) { move.to.insertBefore(move.item, move.to.firstChild); }
        updateCounts(self.board, result.columns);
        self.status.show("ok", result.message);
      } else {
        putBack(move.item, move.from, move.oldIndex);
        self.refused(move, result);
      }
    }).catch(function () {
      move.item.classList.remove("pending");
      putBack(move.item, move.from, move.oldIndex);
      self.status.show("error", "The move did not reach the server; " + key + " stays where it was.");
    });
  };

  PortfolioBoard.prototype.refused = function (move, result) {
    var self = this;
    var box = this.status.show("error", "Refused: " + result.message);
    if (result.done_reasons && result.done_reasons.length) {
      var form = element("form", { "class": "row" });
      var label = element("label", {}, "Done reason ");
      var select = element("select", { name: "done_reason" });
      result.done_reasons.forEach(function (reason) { select.appendChild(element("option", { value: reason }, reason)); });
      label.appendChild(select);
      form.appendChild(label);
      form.appendChild(element("button", { type: "submit", "class": "primary" }, "Move to Done"));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        self.attempt(move, { done_reason: select.value });
      });
      box.appendChild(form);
    } else if (result.can_override) {
      var overrideForm = element("form", { "class": "row" });
      var reasonLabel = element("label", {}, "Reason to pass the WIP limit ");
      var input = element("input", { name: "wip_override_reason", required: "required", maxlength: "2000" });
      reasonLabel.appendChild(input);
      overrideForm.appendChild(reasonLabel);
      overrideForm.appendChild(element("button", { type: "submit" }, "Override and move"));
      overrideForm.addEventListener("submit", function (event) {
        event.preventDefault();
        self.attempt(move, { wip_override_reason: input.value });
      });
      box.appendChild(overrideForm);
    }
  };

  /* --- a team's backlog board ------------------------------------------------------------------- */

  function TeamBoard(board) {
    this.board = board;
    this.team = board.getAttribute("data-team-board");
    this.status = new Status(document.getElementById("move-status"));
    dragCards(board, this, { group: "stories" });
  }

  TeamBoard.prototype.order = function (list) {
    return Array.prototype.map.call(list.querySelectorAll(".kanban-card"), function (card) {
      return card.getAttribute("data-key");
    });
  };

  TeamBoard.prototype.recount = function () {
    this.board.querySelectorAll(".kanban-column").forEach(function (section) {
      section.querySelector("[data-count]").textContent = String(section.querySelectorAll(".kanban-card").length);
    });
  };

  TeamBoard.prototype.dropped = function (evt) {
    var self = this;
    var item = evt.item, from = evt.from, to = evt.to, oldIndex = evt.oldIndex;
    var key = item.getAttribute("data-key");
    var saveOrder = function () {
      return post("/product/teams/" + encodeURIComponent(self.team) + "/order", { story: self.order(to) });
    };
    var step;
    if (from === to) {
      if (evt.oldIndex === evt.newIndex) { return; }
      step = saveOrder();
    } else {
      step = post("/product/stories/" + encodeURIComponent(key) + "/state", { to: to.getAttribute("data-column") })
        .then(function (result) { return result.ok ? saveOrder() : result; });
    }
    item.classList.add("pending");
    step.then(function (result) {
      item.classList.remove("pending");
      if (result.ok) {
        self.status.show("ok", from === to ? result.message : key + " is " + to.getAttribute("data-column") + ".");
      } else {
        putBack(item, from, oldIndex);
        self.status.show("error", "Refused: " + result.message);
      }
      self.recount();
    }).catch(function () {
      item.classList.remove("pending");
      putBack(item, from, oldIndex);
      self.recount();
      self.status.show("error", "The change did not reach the server.");
    });
  };

  /* --- the WSJF scoring table: live cost of delay and WSJF --------------------------------------- */

  function scoringTable(form) {
    form.querySelectorAll("tr[data-epic]").forEach(function (row) {
      var recompute = function () {
        var value = function (part) {
          var select = row.querySelector('select[data-part="' + part + '"]');
          return select && select.value ? Number(select.value) : null;
        };
        var parts = ["user_business_value", "time_criticality", "risk_reduction"].map(value);
        var size = value("job_size");
        var complete = parts.every(function (v) { return v !== null; });
        var cod = complete ? parts[0] + parts[1] + parts[2] : null;
        row.querySelector("[data-cod]").textContent = cod === null ? "–" : String(cod);
        row.querySelector("[data-wsjf]").textContent = cod === null || !size ? "–" : (cod / size).toFixed(2);
      };
      row.querySelectorAll("select").forEach(function (select) { select.addEventListener("change", recompute); });
    });
  }

  var portfolioBoard = document.querySelector("[data-kanban][data-movable]");
  if (portfolioBoard && window.Sortable) { new PortfolioBoard(portfolioBoard); }
  var teamBoard = document.querySelector("[data-team-board][data-movable]");
  if (teamBoard && window.Sortable) { new TeamBoard(teamBoard); }
  document.querySelectorAll("[data-scoring-table]").forEach(scoringTable);
})();
