// The simulator page: draws the board's rules as inputs, sends actions as JSON, and follows the run over
// Server-Sent Events (log lines and state snapshots). Every value from the run is set as text, never as HTML.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, props, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  const time = (t) => new Date(t).toLocaleTimeString([], { hour12: false });
  /** "Name" <addr> → Name (the whole mailbox stays in the tooltip). */
  const shortBox = (s) => s.split(/,\s*(?=["\w])/).map((b) => (/^"?([^"<]+?)"?\s*<[^>]+>$/.exec(b.trim()) || [])[1] || b).join(", ");
  const bytes = (n) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);
  let board = null;
  let state = null;
  let selected = 0;
  let tab = "html";
  let openSession = "";

  /** Shows what happened or why not; errors stay until the next action. */
  function message(text, error) {
    const m = $("#message");
    m.hidden = false;
    m.textContent = text;
    m.className = error ? "error" : "";
  }

  async function post(path, body) {
    let r;
    try {
      r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (e) {
      message(`the simulator did not answer (${e.message}): is npm start still running?`, true);
      return null;
    }
    let data = {};
    try {
      data = await r.json();
    } catch {
      data = { error: `the simulator answered ${r.status} without a JSON body` };
    }
    if (!r.ok || data.error) {
      message(data.error || `failed (${r.status})`, true);
      return data;
    }
    if (data.said) message(data.said, false);
    return data;
  }
  const act = (body) => post("/api/act", body);

  // ── the board ──
  function drawRules() {
    const box = $("#rules");
    box.textContent = "";
    for (const r of board.rules) {
      const div = el("div", { class: "rule", "data-rule": r.rule, "data-kind": r.kind });
      div.append(el("div", {}, el("span", { class: "name", text: r.rule }), " ", el("span", { class: "meta", text: `${r.kind}${r.pin ? ` on ${r.pin}` : ""}` })));
      if (r.kind === "digital") {
        const box = el("input", { type: "checkbox", role: "switch", "data-testid": `switch-${r.rule}` });
        box.setAttribute("aria-label", `${r.rule} (${r.pin})`);
        const label = el("span", { class: "value" });
        box.addEventListener("change", () => act({ do: "input", rule: r.rule, level: box.checked }));
        div.append(el("label", { class: "switch" }, box, label), el("div", { class: "meta", text: `pin high = switch on; at rest ${r.idle ? "high (pull-up)" : "low"}` }));
      } else if (r.kind === "analog") {
        const span = r.max - r.min;
        const step = span > 0 ? Math.pow(10, Math.floor(Math.log10(span / 200))) : 0.01;
        const range = el("input", { type: "range", min: String(r.min), max: String(r.max), step: String(step) });
        range.setAttribute("aria-label", `${r.rule} (${r.pin})`);
        const shown = el("span", { class: "value" });
        const num = el("input", { type: "number", step: "any", placeholder: "value" });
        num.setAttribute("aria-label", `${r.rule} value in ${r.unit || "its unit"}`);
        const set = el("button", { type: "button", text: "Set" });
        const unit = r.unit ? ` ${r.unit}` : "";
        range.addEventListener("input", () => (shown.textContent = `${Number(range.value)}${unit}`));
        range.addEventListener("change", () => act({ do: "input", rule: r.rule, value: Number(range.value) }));
        const setNum = () => act({ do: "input", rule: r.rule, value: num.value });
        set.addEventListener("click", setNum);
        num.addEventListener("keydown", (e) => e.key === "Enter" && setNum());
        const when = [r.above !== null ? `above ${r.above}${unit}` : "", r.below !== null ? `below ${r.below}${unit}` : ""].filter(Boolean).join(" or ");
        div.append(
          el("div", {}, shown, el("span", { class: "reads meta" })),
          range,
          el("div", { class: "meta", text: `${r.min} … ${r.max}${unit}; alarm ${when}, hysteresis ${r.hysteresis}` }),
          el("div", { class: "row" }, num, set),
        );
      } else {
        const b = el("button", { type: "button", text: `Fire ${r.rule}` });
        b.addEventListener("click", () => act({ do: "fire", rule: r.rule }));
        div.append(el("div", { class: "row" }, r.kind === "boot" ? el("span", { class: "meta", text: "fires at every boot; " }) : null, b));
      }
      div.append(el("div", { class: "meta result" }));
      box.append(div);
    }
    const sel = $("#fault-step");
    for (const s of board.faultSteps) sel.append(el("option", { value: s, text: s === "data" ? "end of DATA" : s.toUpperCase() }));
    sel.value = "rcpt";
  }

  function drawBoard() {
    for (const r of board.rules) {
      const div = document.querySelector(`.rule[data-rule="${CSS.escape(r.rule)}"]`);
      if (!div) continue;
      const result = state.results[r.rule];
      div.querySelector(".result").textContent = result ? `last: ${result}` : "";
      if (r.kind === "digital") {
        const on = !!state.levels[r.rule];
        div.querySelector("input").checked = on;
        div.querySelector(".value").textContent = `${r.pin} ${on ? "high" : "low"}`;
      } else if (r.kind === "analog") {
        const v = state.values[r.rule];
        const range = div.querySelector("input[type=range]");
        if (document.activeElement !== range) range.value = String(v);
        const unit = r.unit ? ` ${r.unit}` : "";
        const seen = state.reads[r.rule];
        div.querySelector(".value").textContent = `${v}${unit}`;
        div.querySelector(".reads").textContent = seen === undefined || seen === v ? "" : ` (the board's 12-bit ADC reads ${seen}${unit})`;
      }
    }
    $("#power-state").textContent = state.power ? (state.halted ? "halted" : "power on") : "power OFF";
    $("#power-state").className = `chip ${state.power && !state.halted ? "ok" : "bad"}`;
    $("#wifi-state").textContent = `WiFi ${state.wifi ? "up" : "down"}`;
    $("#wifi-state").className = `chip ${state.wifi ? "ok" : "bad"}`;
    $("#boots").textContent = `boot #${state.boots}${state.errors.length ? `, ${state.errors.length} error(s)` : ""}`;
    $("#boots").className = `chip ${state.errors.length ? "warn" : ""}`;
    const m = state.memory;
    $("#memory").textContent = `memory ${m.usage} / ${m.total} variables`;
    $("#wifi").textContent = state.wifi ? "WiFi down" : "WiFi up";
    $("#power").textContent = state.power ? "Power cut" : "Power on";
    $("#reboot-data").classList.toggle("on", state.rebootAtData);
    $("#reboot-data").textContent = state.rebootAtData ? "Reboot armed (at DATA)" : "Reboot mid-send";
    $("#faults").textContent = state.faults.length ? `armed: ${state.faults.map((f) => (f.kind === "drop" ? "drop mid-DATA" : `${f.kind} at ${f.at}`)).join(", ")}` : "";
  }

  function drawOutbox() {
    const o = state.outbox;
    const box = $("#outbox");
    box.textContent = "";
    if (!o.entries.length) box.append(el("div", { class: "note", text: "empty: nothing waits in Storage" }));
    else {
      const t = el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "File" }), el("th", { text: "Rule" }), el("th", { text: "Subject" }), el("th", { text: "Size" }))));
      const tb = el("tbody");
      for (const e of o.entries) tb.append(el("tr", {}, el("td", { text: e.file }), el("td", { text: e.rule }), el("td", { text: e.subject }), el("td", { class: "size", text: bytes(e.bytes) })));
      t.append(tb);
      box.append(t);
    }
    let next = "";
    if (o.entries.length) {
      if (!state.power) next = "the board is off";
      else if (!state.wifi) next = "next try: when WiFi is back";
      else if (o.nextRetryAt > Date.now()) next = `next retry in ${Math.round((o.nextRetryAt - Date.now()) / 1000)} s`;
      else next = "sending now or within the coalescing window";
    }
    const n = o.notes && typeof o.notes === "object" ? o.notes : null;
    const notes = n && (n.d || n.c || (n.f && n.f.length)) ? ` · to report in the next mail: ${n.d || 0} dropped, ${n.c || 0} damaged${n.f && n.f.length ? `, refused: ${n.f.join("; ")}` : ""}` : "";
    if (next || notes) box.append(el("div", { class: "note", id: "next-retry", text: next + notes }));
  }

  // ── the log ──
  function lineClass(t) {
    if (/^sim: /.test(t)) return "sim";
    if (/^web: /.test(t)) return "web";
    if (/^(Uncaught|ERROR)|alertmail: (failed|could not)/.test(t)) return "bad";
    if (/^alertmail: sent /.test(t)) return "sent";
    return "";
  }
  function addLine(l) {
    const log = $("#log");
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(el("div", { class: lineClass(l.text) }, el("time", { text: time(l.t) }), l.text));
    while (log.childElementCount > 2000) log.firstElementChild.remove();
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function drawPaths() {
    const ol = $("#paths");
    ol.textContent = "";
    if (!state.paths.length) ol.append(el("li", { class: "note", text: "no alert raised yet" }));
    for (const p of state.paths) {
      const steps = [`raised and stored ${time(p.raisedAt)}${p.file ? ` in ${p.file} (${bytes(p.bytes)})` : ""}`];
      for (const f of p.failures) steps.push(`${time(f.t)} ${f.why}`);
      if (p.state === "retrying") steps.push("waits in Storage for a retry");
      if (p.state === "sent") steps.push(`sent ${time(p.sentAt)}: ${p.reply} (${((p.sentAt - p.raisedAt) / 1000).toFixed(1)} s after it was raised)`);
      if (p.state === "dropped") steps.push(`dropped: ${p.dropped}`);
      const li = el("li", { "data-path": String(p.id), "data-state": p.state }, el("span", { class: `st-${p.state}`, text: p.state }), " ", el("b", { text: p.rule || "(no rule)" }), ` ${p.subject}`);
      li.append(el("div", { class: "steps", text: steps.join(" → ") }));
      const links = el("div", { class: "row" });
      if (p.session) {
        const b = el("button", { type: "button", text: "transcript" });
        b.addEventListener("click", () => showSession(p.session));
        links.append(b);
      }
      if (p.mail) {
        const b = el("button", { type: "button", text: "open mail" });
        b.addEventListener("click", () => selectMail(p.mail));
        links.append(b);
      }
      if (links.childElementCount) li.append(links);
      ol.append(li);
    }
  }

  function drawSessions() {
    const ol = $("#sessions");
    ol.textContent = "";
    if (!state.sessions.length) ol.append(el("li", { class: "note", text: "no SMTP session yet" }));
    for (const s of state.sessions) {
      const b = el("button", { type: "button", text: s.id === openSession ? "hide" : "transcript" });
      b.addEventListener("click", () => (s.id === openSession ? hideSession() : showSession(s.id)));
      ol.append(el("li", { "data-session": s.id }, `${time(s.start)} ${s.id.slice(0, 8)} · ${s.lines} lines · ${s.last || "…"}${s.closed ? "" : " (open)"} `, b));
    }
    if (openSession) showSession(openSession, true);
  }
  function hideSession() {
    openSession = "";
    $("#transcript").hidden = true;
    drawSessions();
  }
  async function showSession(id, quiet) {
    const r = await fetch(`/api/sessions/${encodeURIComponent(id)}`);
    const s = await r.json();
    if (s.error) return quiet || message(s.error, true);
    const wasOpen = openSession;
    openSession = id;
    const pre = $("#transcript");
    pre.hidden = false;
    pre.textContent = `session ${s.id} (the embedded server's view; AUTH redacted)\n` + s.lines.map((l) => `${time(l.t)} ${l.text}`).join("\n");
    if (!quiet && wasOpen !== id) drawSessions();
  }

  // ── the inbox ──
  function drawInbox() {
    const tb = $("#inbox tbody");
    tb.textContent = "";
    $("#inbox-count").textContent = state.mailCount > state.mails.length ? `(${state.mailCount}, newest ${state.mails.length} shown)` : `(${state.mailCount})`;
    const none = board.smtp ? "no mail delivered yet" : "--real: the board sends through board.json's server, so mails arrive in your real mailbox, not here";
    if (!state.mails.length) tb.append(el("tr", {}, el("td", { colSpan: 5, class: "note", text: none })));
    for (const m of state.mails) {
      const tr = el(
        "tr",
        { class: `mail${m.n === selected ? " selected" : ""}`, "data-mail": String(m.n) },
        el("td", { text: shortBox(m.from), title: m.from }),
        el("td", { text: shortBox(m.to), title: `${m.to}\nenvelope: ${m.envelopeTo.join(", ")}` }),
        el("td", { class: "subject", text: m.subject }),
        el("td", { text: m.date ? new Date(m.date).toLocaleString([], { hour12: false }) : "(no date)" }),
        el("td", { class: "size", text: bytes(m.size) }),
      );
      tr.addEventListener("click", () => selectMail(m.n));
      tb.append(tr);
    }
  }

  async function selectMail(n) {
    const r = await fetch(`/api/mails/${n}`);
    const m = await r.json();
    if (m.error) return message(m.error, true);
    selected = n;
    drawInbox();
    $("#viewer").hidden = false;
    $("#viewer-subject").textContent = m.subject;
    $("#mail-text").textContent = m.textPart === null ? "(no text part)" : m.textPart;
    $("#mail-headers").textContent = m.headers.join("\n");
    $("#mail-raw").textContent = m.raw;
    $("#mail-html").src = `/api/mails/${n}/html`;
    $("#download").href = `/api/mails/${n}/eml`;
    showTab(m.html ? "html" : "text");
  }
  function showTab(name) {
    tab = name;
    for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("on", b.dataset.tab === name);
    $("#mail-html").hidden = name !== "html";
    $("#mail-text").hidden = name !== "text";
    $("#mail-headers").hidden = name !== "headers";
    $("#mail-raw").hidden = name !== "raw";
  }

  function drawState() {
    $("#device").textContent = state.device;
    drawBoard();
    drawOutbox();
    drawPaths();
    drawSessions();
    drawInbox();
  }

  // ── wiring ──
  async function start() {
    try {
      board = await (await fetch("/api/board")).json();
    } catch (e) {
      return message(`cannot reach the simulator (${e.message})`, true);
    }
    drawRules();
    $("#wifi").addEventListener("click", () => act({ do: "wifi", up: !state.wifi }));
    $("#reboot").addEventListener("click", () => act({ do: "reboot", when: "now" }));
    $("#reboot-data").addEventListener("click", () => act({ do: "reboot", when: "data" }));
    $("#power").addEventListener("click", () => act({ do: "power", on: !state.power }));
    for (const b of document.querySelectorAll("[data-fault]")) b.addEventListener("click", () => act({ do: "fault", kind: b.dataset.fault, at: $("#fault-step").value }));
    for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
    $("#console-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const code = $("#console-input").value;
      const out = $("#console-out");
      const r = await post("/api/console", { code });
      if (!r) return;
      out.textContent = `>${code}\n${r.error || r.result}`;
      out.className = r.error ? "bad" : "";
    });

    const es = new EventSource("/api/events");
    es.addEventListener("hello", (e) => {
      const d = JSON.parse(e.data);
      $("#log").textContent = "";
      d.lines.forEach(addLine);
      state = d.state;
      drawState();
      $("#link").textContent = "live";
      $("#link").className = "chip ok";
    });
    es.addEventListener("line", (e) => addLine(JSON.parse(e.data)));
    es.addEventListener("state", (e) => {
      state = JSON.parse(e.data);
      drawState();
    });
    es.addEventListener("error", () => {
      $("#link").textContent = "disconnected";
      $("#link").className = "chip bad";
    });
    setInterval(() => state && drawOutbox(), 1000); // the retry countdown
  }
  start();
})();
