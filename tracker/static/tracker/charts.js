/* Draws every Plotly figure on the page from its JSON script element.
 *
 * The figures are built on the server; this file renders them (SVG only: nothing here
 * needs eval), wires the timeline's span buttons, keeps lane names readable at the
 * width the plot has, and makes markers open their event (a tap first says what it is).
 * A timeline that shows counts asks the timeline endpoint, with the page's own filters,
 * for single events once the reader narrows it to few enough of them.
 * Without JavaScript the tables stand in. */
(function () {
  "use strict";

  var TEXT_WIDTH = 0.62; /* average character width, in font sizes */

  function isLocalPath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  /* Open a page as a link on this page would: in the window the page's <base target>
   * names (the embedded timeline's links open the tracker in the top window). */
  function open(url) {
    var base = document.querySelector("base[target]");
    if (base && base.target !== "_self") {
      window.open(url, base.target);
    } else {
      window.location.assign(url);
    }
  }

  function day(value) {
    return String(value).slice(0, 10);
  }

  function yearsBefore(value, years) {
    var date = new Date(day(value) + "T00:00:00Z");
    date.setUTCFullYear(date.getUTCFullYear() - years);
    return date.toISOString().slice(0, 10);
  }

  /* Plotly's labels are a small HTML dialect; the server sends only <b>, <br> and the
   * entities &amp; &lt; &gt;, so plain text is easy to get back. */
  function plainLines(label) {
    return String(label)
      .split("<br>")
      .map(function (line) {
        return line
          .replace(/<\/?b>/g, "")
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">")
          .replace(/&amp;/g, "&");
      });
  }

  function textLength(label) {
    return label.replace(/&(amp|lt|gt);/g, "x").length;
  }

  function wrap(label, width) {
    var lines = [];
    var line = "";
    label.split(/\s+/).forEach(function (word) {
      if (!word) {
        return;
      }
      if (line && textLength(line) + 1 + textLength(word) > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) {
      lines.push(line);
    }
    return lines;
  }

  function labelHolder(layout, key) {
    var match = /^annotations\[(\d+)\]\.text$/.exec(key);
    return match ? layout.annotations[Number(match[1])] : layout.legend.title;
  }

  function currentText(layout, key) {
    return labelHolder(layout, key).text;
  }

  function setText(layout, key, text) {
    labelHolder(layout, key).text = text;
  }

  function Chart(element, figure) {
    this.element = element;
    this.figure = figure;
    this.original = figure;
    this.meta = (figure.layout && figure.layout.meta) || {};
    this.table = document.getElementById(element.dataset.table || "");
    this.caption = document.getElementById(element.dataset.caption || "");
    this.originalParts = {
      table: this.table ? this.table.innerHTML : "",
      caption: this.caption ? this.caption.innerHTML : "",
    };
    this.selection = document.getElementById(element.dataset.selection || "");
    this.status = document.getElementById(element.dataset.status || "");
    this.controls = document.querySelector('.chart-controls[data-chart="' + element.id + '"]');
    this.pointer = "mouse";
    this.loaded = null; /* the span whose single events are drawn, in counts mode */
    this.request = 0;
    this.labels = this.reservedLabels(figure);
  }

  Chart.prototype.config = function () {
    return {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d", "toImage"],
      locale: document.documentElement.lang || "en",
    };
  };

  /* Lane names and the legend's title, as the server wrapped them for the narrowest
   * phone (it reserved room for those lines): re-wrapped for the width there is, so
   * that no name runs off the screen. */
  Chart.prototype.reservedLabels = function (figure) {
    var layout = figure.layout || {};
    var labels = (layout.annotations || []).map(function (note) {
      return note.name
        ? { key: "annotations[" + layout.annotations.indexOf(note) + "].text", note: note }
        : null;
    });
    if (layout.legend && layout.legend.title && layout.legend.title.text) {
      labels.push({ key: "legend.title.text", note: layout.legend.title });
    }
    return labels.filter(Boolean).map(function (label) {
      return { key: label.key, text: label.note.text, size: (label.note.font || {}).size };
    });
  };

  /* {layout key: text} of every name, wrapped for a plot ``width`` pixels wide. */
  Chart.prototype.wrappedLabels = function (width) {
    var texts = {};
    this.labels.forEach(function (label) {
      var size = label.size || 13;
      var chars = Math.max(8, Math.floor(width / (size * TEXT_WIDTH)));
      texts[label.key] = wrap(label.text.split("<br>").join(" "), chars).join("<br>");
    });
    return texts;
  };

  /* Wrap the names for the width the element has before the first drawing, so that
   * drawing once is usually enough. */
  Chart.prototype.prepare = function () {
    var layout = this.figure.layout || {};
    var margin = layout.margin || {};
    var width = this.element.clientWidth - (margin.l || 0) - (margin.r || 0);
    var wrapped = width > 0 ? this.wrappedLabels(width) : {};
    Object.keys(wrapped).forEach(function (key) {
      setText(layout, key, wrapped[key]);
    });
  };

  Chart.prototype.fitUpdate = function () {
    var element = this.element;
    var full = element._fullLayout;
    var meta = (element.layout && element.layout.meta) || {};
    var update = {};
    if (!full || !meta.plotHeight) {
      return update;
    }
    var wrapped = this.wrappedLabels(full._size.w);
    Object.keys(wrapped).forEach(function (key) {
      if (wrapped[key] !== currentText(element.layout, key)) {
        update[key] = wrapped[key];
      }
    });
    var extra = full._size.h - meta.plotHeight;
    if (Math.abs(extra) >= 1) {
      update.height = Math.round(full.height - extra);
    }
    return update;
  };

  /* The y axis counts pixels: keep the plot exactly as tall as the server laid it out,
   * whatever room the legend takes at this width. */
  Chart.prototype.fit = function (attempt) {
    var self = this;
    var update = this.fitUpdate();
    if (!Object.keys(update).length || (attempt || 0) > 2) {
      return Promise.resolve();
    }
    return window.Plotly.relayout(this.element, update).then(function () {
      return self.fit((attempt || 0) + 1);
    });
  };

  Chart.prototype.range = function () {
    var axis = this.element._fullLayout && this.element._fullLayout.xaxis;
    return axis ? [day(axis.range[0]), day(axis.range[1])] : null;
  };

  Chart.prototype.draw = function () {
    var self = this;
    var element = this.element;
    this.prepare();
    return window.Plotly.newPlot(element, this.figure.data, this.figure.layout, this.config())
      .then(function () {
        return self.fit();
      })
      .then(function () {
        element.classList.add("is-drawn");
        element.on("plotly_click", function (event) {
          self.clicked(event);
        });
        element.on("plotly_relayout", function () {
          self.changed();
        });
        element.addEventListener(
          "pointerdown",
          function (event) {
            self.pointer = event.pointerType || "mouse";
          },
          true
        );
        window.addEventListener("resize", function () {
          window.clearTimeout(self.resizing);
          self.resizing = window.setTimeout(function () {
            self.fit();
          }, 200);
        });
        self.wireControls();
        self.changed();
      });
  };

  Chart.prototype.clicked = function (event) {
    var point = event.points && event.points[0];
    var data = point && point.customdata;
    if (!data || !isLocalPath(data[0])) {
      return;
    }
    if (this.pointer === "touch" && this.selection) {
      this.select(data[0], data[1]);
    } else {
      open(data[0]);
    }
  };

  /* A tap says what was tapped, with a link to it, below the chart. */
  Chart.prototype.select = function (url, label) {
    var panel = this.selection;
    panel.textContent = "";
    var text = document.createElement("p");
    plainLines(label).forEach(function (line, index) {
      if (index) {
        text.appendChild(document.createElement("br"));
      }
      text.appendChild(document.createTextNode(line));
    });
    var link = document.createElement("a");
    link.href = url;
    link.textContent =
      url.indexOf("?") >= 0 ? panel.dataset.openList : panel.dataset.openEvent;
    panel.appendChild(text);
    panel.appendChild(link);
    panel.hidden = false;
  };

  Chart.prototype.wireControls = function () {
    var self = this;
    if (!this.controls) {
      return;
    }
    var buttons = this.controls.querySelectorAll("button");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var range;
        var years = parseInt(button.dataset.years, 10);
        if (years) {
          var end = self.range()[1];
          range = [yearsBefore(end, years), end];
        } else {
          range = [button.dataset.first, button.dataset.last];
        }
        buttons.forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
        window.Plotly.relayout(self.element, { "xaxis.range": range });
      });
    });
    this.controls.hidden = false;
  };

  /* Counts mode: how many events the counts say lie in the span shown (an event over
   * several periods counts in each, so this never says too few). */
  Chart.prototype.eventsIn = function (range) {
    var sum = 0;
    (this.meta.periods || []).forEach(function (period) {
      if (period[0] <= range[1] && period[1] >= range[0]) {
        sum += period[2];
      }
    });
    return sum;
  };

  Chart.prototype.changed = function () {
    var self = this;
    if (this.meta.mode !== "counts") {
      return;
    }
    window.clearTimeout(this.waiting);
    this.waiting = window.setTimeout(function () {
      self.update();
    }, 150);
  };

  Chart.prototype.update = function () {
    var range = this.range();
    if (!range) {
      return;
    }
    if (this.eventsIn(range) > this.meta.limit) {
      if (this.loaded) {
        this.loaded = null;
        this.request += 1;
        this.show(this.original, this.originalParts, range, "showingCounts");
      }
      return;
    }
    if (this.loaded && this.loaded[0] <= range[0] && this.loaded[1] >= range[1]) {
      return;
    }
    this.fetchEvents(range);
  };

  Chart.prototype.fetchEvents = function (range) {
    var self = this;
    var params = new URLSearchParams(this.meta.query || {});
    var first = range[0];
    var last = range[1];
    if (params.get("date_after") && params.get("date_after") > first) {
      first = params.get("date_after");
    }
    if (params.get("date_before") && params.get("date_before") < last) {
      last = params.get("date_before");
    }
    params.set("date_after", first);
    params.set("date_before", last);
    this.request += 1;
    var request = this.request;
    window
      .fetch(this.meta.endpoint + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("timeline endpoint answered " + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        if (request !== self.request) {
          return;
        }
        self.loaded = range;
        return self.show(answer.figure, answer, range, "showingEvents");
      })
      .catch(function (error) {
        if (self.status) {
          self.status.textContent = String(error.message || error);
        }
      });
  };

  /* Swap the figure, and the table and caption that say what it shows. */
  Chart.prototype.show = function (figure, parts, range, message) {
    var self = this;
    var layout = Object.assign({}, figure.layout);
    layout.xaxis = Object.assign({}, layout.xaxis, { range: range, autorange: false });
    this.figure = figure;
    this.labels = this.reservedLabels(figure);
    if (this.table && parts.table) {
      this.table.innerHTML = parts.table;
    }
    if (this.caption && parts.caption) {
      this.caption.innerHTML = parts.caption;
    }
    if (this.status && this.selection) {
      this.status.textContent =
        this.selection.dataset[message === "showingEvents" ? "showingEvents" : "showingCounts"];
    }
    return window.Plotly.react(this.element, figure.data, layout, this.config()).then(function () {
      return self.fit();
    });
  };

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    element.querySelectorAll(".chart-fallback").forEach(function (fallback) {
      fallback.remove();
    });
    new Chart(element, figure).draw();
  }

  function drawAll() {
    document.querySelectorAll("[data-figure]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
