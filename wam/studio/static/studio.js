// wam studio: the page. Plain JavaScript, no framework, no network but this server.
// The server plans; the page shows its state and sends the user's edits (see wam/studio/app.py).
"use strict";

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var story = $("story"), board = $("board"), player = $("player");
  var state = null;          // the last state from the server
  var sent = 0, shown = 0;   // edit sequence numbers: only the newest answer is shown
  var typing = null;         // the debounce timer of text edits
  var selected = {};         // sentence index -> selected cut index (what "swap" replaces)
  var queue = null;          // sentences still to play in "play all"
  var rendering = null;      // the render progress poll timer

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function api(method, path, data) {
    var opts = {method: method, headers: {}, credentials: "same-origin"};
    if (data !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(data);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.error || ("the server answered " + r.status)); }
        return j;
      });
    });
  }

  function say(text, isError) {
    var m = $("message");
    m.textContent = text || "";
    m.hidden = !text;
    m.classList.toggle("error", !!isError);
  }

  function status(text, cls) {
    var s = $("status");
    s.textContent = text;
    s.className = "status " + (cls || "");
  }

  function clock(t) {
    var m = Math.floor(t / 60), s = t - 60 * m;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(2);
  }

  function flag(label, kind, title) {
    var f = el("span", "flag " + kind, label);
    if (title) { f.title = title; }
    return f;
  }

  // ---------------------------------------------------------------- drawing the state
  function show(s) {
    state = s;
    document.body.setAttribute("data-state", s.error ? "error" : "ready");
    var talk = s.plan && s.plan.a_roll;  // a plan over the speaker's talk: its sound is the voice
    $("story-name").textContent = s.story.name + (talk ? " over " + talk.name + " (" + talk.mode + ")" : "");
    $("voice").disabled = !!talk;
    fillSelect($("pace"), s.choices.pace.map(function (p) { return [p, p]; }), s.settings.pace);
    fillSelect($("aspect"), s.choices.aspect.map(function (a) { return [a, a]; }), s.settings.aspect || "");
    fillSelect($("voice"), [["", "none"]].concat(s.choices.voice.map(function (v) { return [v, v]; })),
               s.settings.voice || "");
    fillSelect($("music"), [["", "none"]].concat(s.choices.music.map(function (m, i) { return [String(i), m]; })),
               s.settings.music === null ? "" : String(s.settings.music));
    if (s.error) { say(s.error, true); } else { say(""); }
    status(s.error ? "not planned" : s.saved ? "saved" : "unsaved changes", s.error ? "error" : s.saved ? "" : "unsaved");
    if (s.plan) { drawBoard(s.plan); drawBans(s.plan.bans); drawWarnings(s.plan.warnings); }
    showRender(s.render);
  }

  function fillSelect(select, options, value) {
    var key = JSON.stringify(options);
    if (select.getAttribute("data-options") !== key) {
      select.textContent = "";
      options.forEach(function (o) {
        var opt = el("option", null, o[1]);
        opt.value = o[0];
        select.appendChild(opt);
      });
      select.setAttribute("data-options", key);
    }
    select.value = value;
  }

  function drawBoard(plan) {
    var old = {};
    Array.prototype.forEach.call(board.children, function (row) { old[row.getAttribute("data-key")] = row; });
    var rows = plan.sentences.map(function (s) {
      var key = JSON.stringify([s.text, s.signature, s.cuts, s.alternatives, s.weak_match, s.reused, s.new_paragraph,
                                selected[s.index] || 0]);
      var row = old[key];
      if (row) { delete old[key]; } else { row = drawRow(s); row.setAttribute("data-key", key); row.classList.add("flash"); }
      row.setAttribute("data-sentence", s.index);
      row.setAttribute("data-preview", s.preview);
      row.querySelector(".num").textContent = (s.index + 1) + ".";
      row.querySelector(".time").textContent = clock(s.start) + "–" + clock(s.end) + " (" + s.seconds.toFixed(2) + " s)";
      return row;
    });
    rows.forEach(function (row, i) {
      if (board.children[i] !== row) { board.insertBefore(row, board.children[i] || null); }
    });
    while (board.children.length > rows.length) { board.removeChild(board.lastChild); }
    document.body.setAttribute("data-sentences", String(plan.sentences.length));
  }

  function drawRow(s) {
    var row = el("article", "row" + (s.new_paragraph ? " new-paragraph" : ""));
    row.setAttribute("data-signature", s.signature);
    var head = el("div", "row-head");
    var line = el("div");
    line.appendChild(el("span", "num"));
    line.appendChild(document.createTextNode(" "));
    line.appendChild(el("span", "time"));
    head.appendChild(line);
    var text = el("div", "text", s.text);
    text.title = "select this sentence in the story";
    head.appendChild(text);
    var flags = el("div");
    if (s.weak_match) { flags.appendChild(flag("weak match", "warn", "no shot matched this sentence well")); }
    if (s.reused) { flags.appendChild(flag("reused", "note", "shows footage shown elsewhere in the cut")); }
    if (s.new_paragraph) { flags.appendChild(flag("new paragraph · cross-fade", "info")); }
    head.appendChild(flags);
    var play = el("button", "play", "▶ play");
    play.type = "button";
    head.appendChild(play);
    row.appendChild(head);
    var body = el("div", "row-body");
    var cuts = el("div", "cuts");
    var chosen = selected[s.index] || 0;
    s.cuts.forEach(function (c, k) { cuts.appendChild(drawCut(c, k, k === chosen)); });
    body.appendChild(cuts);
    var alts = el("div", "alts");
    alts.appendChild(el("span", "alts-title", "next best"));
    if (!s.alternatives.length) { alts.appendChild(el("span", "empty", "nothing else matches")); }
    s.alternatives.forEach(function (a) { alts.appendChild(drawAlternative(a)); });
    body.appendChild(alts);
    row.appendChild(body);
    return row;
  }

  function drawCut(c, k, isSelected) {
    var fig = el("figure", "cut" + (c.pinned ? " pinned" : "") + (isSelected ? " selected" : ""));
    fig.setAttribute("data-cut", k);
    fig.setAttribute("data-shot", c.shot_id);
    var img = el("img");
    img.src = c.thumb;
    img.alt = c.name + " at " + c.source_in.toFixed(2) + " s";
    img.loading = "lazy";
    fig.appendChild(img);
    var meta = el("figcaption", "meta");
    var name = el("div", "name", c.name);
    name.title = c.source + " " + c.source_in.toFixed(2) + "–" + c.source_out.toFixed(2) + " s";
    meta.appendChild(name);
    meta.appendChild(el("div", "numbers", c.seconds.toFixed(2) + " s · score " + c.score.toFixed(2)));
    var flags = el("div");
    if (c.last_resort) { flags.appendChild(flag("last resort", "warn", "shown for lack of better footage")); }
    if (c.continues) { flags.appendChild(flag("continues", "info", "the previous shot runs on")); }
    if (c.a_roll) { flags.appendChild(flag("A-roll · speaker", "info", "you, from the talk, as it plays")); }
    if (c.still) { flags.appendChild(flag("still · move", "info")); }
    else if (c.hold > 0.05) { flags.appendChild(flag("holds " + c.hold.toFixed(1) + " s", "note")); }
    meta.appendChild(flags);
    var tools = el("div", "tools");
    var pin = el("button", "pin", c.pinned ? "✓ pinned" : "pin");
    pin.type = "button";
    pin.setAttribute("aria-pressed", c.pinned ? "true" : "false");
    pin.title = "keep this cut in every later plan while its sentence is unchanged";
    var banShot = el("button", "ban-shot", "ban shot");
    banShot.type = "button";
    var banClip = el("button", "ban-clip", "ban clip");
    banClip.type = "button";
    banClip.title = "never use " + c.name + " in this story";
    (c.a_roll ? [] : state.plan.a_roll ? [banShot, banClip] : [pin, banShot, banClip]).forEach(function (b) {
      tools.appendChild(b);
    });
    meta.appendChild(tools);
    fig.appendChild(meta);
    return fig;
  }

  function drawAlternative(a) {
    var fig = el("figure", "alt");
    fig.setAttribute("data-shot", a.shot_id);
    var img = el("img");
    img.src = a.thumb;
    img.alt = a.name;
    img.title = (a.description || a.name) + " — click to watch the shot";
    img.loading = "lazy";
    img.setAttribute("data-clip", a.clip);
    fig.appendChild(img);
    var meta = el("figcaption", "meta");
    meta.appendChild(el("div", "name", a.name));
    meta.appendChild(el("div", null, "score " + a.score.toFixed(2)));
    var swap = el("button", "swap", "⇄ swap in");
    swap.type = "button";
    meta.appendChild(swap);
    fig.appendChild(meta);
    return fig;
  }

  function drawWarnings(warnings) {
    var box = $("warnings");
    box.textContent = "";
    warnings.forEach(function (w) { box.appendChild(el("div", null, w)); });
    box.hidden = !warnings.length;
  }

  function drawBans(bans) {
    var box = $("bans");
    box.textContent = "";
    if (!bans.shots.length && !bans.clips.length) { return; }
    box.appendChild(el("div", "muted", "Banned in this story (click to allow again):"));
    bans.shots.forEach(function (id) {
      var b = el("button", "unban", "shot " + id);
      b.type = "button";
      b.setAttribute("data-shot", id);
      box.appendChild(b);
    });
    bans.clips.forEach(function (c) {
      var b = el("button", "unban", "clip " + c.name);
      b.type = "button";
      b.title = c.file;
      b.setAttribute("data-clip-file", c.file);
      box.appendChild(b);
    });
  }

  // ---------------------------------------------------------------- edits
  function edit(path, data, doing) {
    status(doing || "planning…");
    var seq = ++sent;
    return api("POST", path, data).then(function (s) {
      if (seq >= shown) { shown = seq; show(s); }
    }).catch(function (e) { status("not planned", "error"); say(e.message, true); });
  }

  story.addEventListener("input", function () {
    status("typing…", "unsaved");
    clearTimeout(typing);
    typing = setTimeout(function () { edit("/api/text", {text: story.value}); }, 450);
  });

  ["pace", "aspect", "voice", "music"].forEach(function (name) {
    $(name).addEventListener("change", function (e) {
      var data = {}, v = e.target.value;
      data[name] = name === "music" ? (v === "" ? null : parseInt(v, 10)) : (name === "voice" ? v : v);
      edit("/api/settings", data, "planning with the new " + name + "…");
    });
  });

  board.addEventListener("click", function (e) {
    var t = e.target, row = t.closest(".row");
    if (!row) { return; }
    var index = parseInt(row.getAttribute("data-sentence"), 10);
    var cut = t.closest(".cut"), alt = t.closest(".alt");
    if (t.closest(".play")) { queue = null; play(index); return; }
    if (t.closest(".text")) { selectText(state.plan.sentences[index].text); return; }
    if (cut) {
      var k = parseInt(cut.getAttribute("data-cut"), 10), shot = cut.getAttribute("data-shot");
      if (t.closest(".pin")) {
        edit("/api/pin", {sentence: index, cut: k, pinned: t.closest(".pin").getAttribute("aria-pressed") !== "true"});
      } else if (t.closest(".ban-shot")) {
        edit("/api/ban", {shot_id: shot, banned: true}, "planning without that shot…");
      } else if (t.closest(".ban-clip")) {
        edit("/api/ban", {shot_id: shot, clip: true, banned: true}, "planning without that clip…");
      } else {
        selected[index] = k;
        row.querySelectorAll(".cut").forEach(function (c) { c.classList.toggle("selected", c === cut); });
      }
      return;
    }
    if (alt) {
      if (t.closest(".swap")) {
        edit("/api/swap", {sentence: index, cut: selected[index] || 0, shot_id: alt.getAttribute("data-shot")},
             "swapping…");
      } else if (t.tagName === "IMG") {
        queue = null;
        playUrl(t.getAttribute("data-clip"), "the shot " + alt.querySelector(".name").textContent);
      }
    }
  });

  $("bans").addEventListener("click", function (e) {
    var b = e.target.closest(".unban");
    if (!b) { return; }
    if (b.hasAttribute("data-clip-file")) { edit("/api/ban", {clip_file: b.getAttribute("data-clip-file")}); }
    else { edit("/api/ban", {shot_id: b.getAttribute("data-shot"), banned: false}); }
  });

  function selectText(text) {
    var at = story.value.indexOf(text);
    if (at >= 0) { story.focus(); story.setSelectionRange(at, at + text.length); }
  }

  function save() {
    status("saving…");
    return api("POST", "/api/save", {}).then(function (r) {
      show(r.state);
      say("saved " + r.written.join(" and "));
    }).catch(function (e) { status("not saved", "error"); say(e.message, true); });
  }
  $("save").addEventListener("click", save);
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); }
  });
  window.addEventListener("beforeunload", function (e) {
    if (state && !state.saved) { e.preventDefault(); e.returnValue = ""; }
  });

  // ---------------------------------------------------------------- playing
  function play(index) {
    var row = board.querySelector('.row[data-sentence="' + index + '"]');
    if (!row) { queue = null; return; }
    board.querySelectorAll(".row.playing").forEach(function (r) { r.classList.remove("playing"); });
    row.classList.add("playing");
    row.scrollIntoView({block: "nearest"});
    player.setAttribute("data-sentence", index);
    playUrl(row.getAttribute("data-preview"), "sentence " + (index + 1) + " (rendering it if needed…)");
  }

  function playUrl(url, what) {
    $("now-playing").textContent = what;
    player.setAttribute("data-state", "loading");
    player.src = url;
    var started = player.play();
    if (started && started.catch) { started.catch(function () { /* autoplay refused: the controls are there */ }); }
  }

  player.addEventListener("playing", function () {
    player.setAttribute("data-state", "playing");
    $("now-playing").textContent = $("now-playing").textContent.replace(" (rendering it if needed…)", "");
  });
  player.addEventListener("ended", function () {
    player.setAttribute("data-state", "ended");
    if (queue !== null && state && state.plan) {
      queue += 1;
      if (queue < state.plan.sentences.length) { play(queue); } else { queue = null; }
    }
  });
  player.addEventListener("error", function () {
    player.setAttribute("data-state", "error");
    say("the video could not be played (see the terminal running wam studio)", true);
  });
  $("play-all").addEventListener("click", function () { queue = 0; play(0); });

  // ---------------------------------------------------------------- render and export
  function showRender(r) {
    var bar = $("render-progress"), link = $("render-link");
    document.body.setAttribute("data-render", r.state);
    document.body.setAttribute("data-render-version", String(r.version));
    bar.hidden = r.state !== "running";
    bar.value = r.total ? r.done / r.total : 0;
    link.hidden = r.state !== "done";
    $("render").disabled = r.state === "running";
    if (r.state === "running" && !rendering) { rendering = setInterval(pollRender, 400); }
    if (r.state !== "running" && rendering) {
      clearInterval(rendering);
      rendering = null;
      if (r.state === "done") {
        say("wrote " + r.output + " (" + r.encoded + " of " + r.segments + " sentences encoded, the others from the cache)");
      } else if (r.state === "failed") { say("the render failed: " + r.error, true); }
    }
  }

  function pollRender() { api("GET", "/api/render").then(showRender).catch(function () {}); }

  $("render").addEventListener("click", function () {
    say("saving and rendering…");
    api("POST", "/api/render", {}).then(function (r) { showRender(r); pollRender(); api("GET", "/api/state").then(show); })
      .catch(function (e) { say(e.message, true); });
  });
  $("render-link").addEventListener("click", function (e) {
    e.preventDefault();
    queue = null;
    playUrl("/media/render.mp4?v=" + (state ? state.render.version : 0) + "-" + Date.now(), "the rendered video");
  });

  document.querySelectorAll(".exports button").forEach(function (b) {
    b.addEventListener("click", function () {
      say("exporting…");
      api("POST", "/api/export", {format: b.getAttribute("data-format")}).then(function (r) {
        say("wrote " + r.files.join(", ") + (r.warnings.length ? "\n" + r.warnings.join("\n") : ""));
        api("GET", "/api/state").then(show);
      }).catch(function (e) { say(e.message, true); });
    });
  });

  // ---------------------------------------------------------------- start
  api("GET", "/api/state").then(function (s) {
    story.value = s.story.text;
    show(s);
  }).catch(function (e) { say(e.message, true); });
})();
