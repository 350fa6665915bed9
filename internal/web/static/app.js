// samldoctor serve: the page. It sends the files to the local server and
// shows the JSON diagnosis it answers. Everything from the capture is
// untrusted, so it is only ever set as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === "") continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

let captureFile = null;

function setCapture(file) {
  captureFile = file;
  clearResult();
  $("capture-name").textContent = file ? file.name + " (" + Math.round(file.size / 1024) + " KiB)" : "";
  $("download-redacted").disabled = !file;
}

function setupDrop() {
  const drop = $("drop");
  const input = $("capture");
  input.addEventListener("change", () => setCapture(input.files[0] || null));
  drop.addEventListener("click", (ev) => { if (ev.target.tagName !== "LABEL" && ev.target !== input) input.click(); });
  drop.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); input.click(); }
  });
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    if (ev.dataTransfer.files.length > 0) setCapture(ev.dataTransfer.files[0]);
  });
}

function status(text) { $("status").textContent = text; }

// clearResult removes the last verdict and error, so that nothing on the
// page describes a file other than the one chosen now.
function clearResult() {
  $("result").hidden = true;
  for (const id of ["verdict", "idp", "attempts", "path", "findings", "messages", "read"]) $(id).replaceChildren();
  $("error").hidden = true;
  $("error").replaceChildren();
}

// showError puts the server's error in the alert box under the buttons,
// with what to do next. A message that ends in a long list ("…: a, b,
// c, …", as for an AWS file samldoctor does not know) shows the list
// one item a line.
function showError(box, msg, action) {
  box.replaceChildren(el("strong", { text: "It could not be read." }));
  const cut = msg.lastIndexOf(": ");
  const items = cut >= 0 ? msg.slice(cut + 2).split(", ") : [];
  if (items.length >= 4) {
    box.append(el("p", { text: msg.slice(0, cut + 1) }));
    const ul = el("ul");
    for (const it of items) ul.append(el("li", {}, el("code", { text: it.replace(/\.$/, "") })));
    box.append(ul);
  } else {
    box.append(el("p", { text: msg }));
  }
  box.append(el("p", { class: "action", text: action }));
  box.hidden = false;
}

async function diagnose(ev) {
  ev.preventDefault();
  const fd = new FormData();
  // Small files first, so the server has them before the capture streams.
  for (const f of $("aws").files) fd.append("aws", f, f.name);
  const md = $("idp-metadata").files[0];
  if (md) fd.append("idp-metadata", md, md.name);
  const cert = $("idp-cert").files[0];
  if (cert) fd.append("idp-cert", cert, cert.name);
  const value = $("value").value.trim();
  if (value) fd.append("value", value);
  if (captureFile) fd.append("capture", captureFile, captureFile.name);
  if (!captureFile && !value) { status("Choose a capture file or paste a SAMLResponse first."); return; }
  status("Reading the capture…");
  $("error").hidden = true;
  $("diagnose").disabled = true;
  try {
    const resp = await fetch("/api/diagnose", { method: "POST", body: fd });
    const data = await resp.json();
    if (!resp.ok) {
      status("");
      clearResult();
      showError($("error"), data.error || ("Error " + resp.status), "Correct or replace the file named above, then press Diagnose again.");
      return;
    }
    status("");
    clearResult();
    render(data);
  } catch (e) {
    status("");
    clearResult();
    showError($("error"), "The server did not answer: " + e, "Check that samldoctor serve is still running, then press Diagnose again.");
  } finally {
    $("diagnose").disabled = false;
  }
}

// The server redacts the capture in slices (see internal/web/redact.go):
// each request sends one, its answer is the redacted HAR written so far;
// a last request says whether it all went well. Only then is the file
// saved.
const SLICE = 4 << 20;

async function downloadRedacted() {
  if (!captureFile) return;
  const file = captureFile;
  const fail = async (resp) => {
    let msg = "Error " + resp.status;
    try { msg = (await resp.json()).error || msg; } catch (e) { /* not JSON */ }
    status(msg + " Nothing was saved.");
  };
  status("Redacting…");
  const parts = [];
  let session = "", offset = 0, outcome;
  try {
    do {
      const end = Math.min(offset + SLICE, file.size);
      const q = session ? new URLSearchParams({ session, offset }) : new URLSearchParams({ name: file.name });
      if (end === file.size) q.set("last", "1");
      const resp = await fetch("/api/redact?" + q, { method: "POST", body: file.slice(offset, end) });
      if (!resp.ok) return fail(resp);
      session = resp.headers.get("X-Redact-Session");
      parts.push(await resp.blob());
      offset = end;
      if (file.size > SLICE) status("Redacting… " + Math.floor(100 * offset / file.size) + "%");
    } while (offset < file.size);
    const resp = await fetch("/api/redact?" + new URLSearchParams({ session, finish: "1" }), { method: "POST" });
    if (!resp.ok) return fail(resp);
    outcome = await resp.json();
  } catch (e) {
    status("The server did not answer (" + e + "): nothing was saved. Check that samldoctor serve is still running, or run samldoctor redact on the file.");
    return;
  }
  const blob = new Blob(parts, { type: "application/json" });
  const a = el("a", { href: URL.createObjectURL(blob), download: outcome.name || "capture.redacted.har" });
  document.body.append(a);
  a.click();
  a.remove();
  status("Redacted HAR downloaded: cookies, tokens and signature values removed." + (outcome.warning ? " Warning: " + outcome.warning : ""));
}

const STAGES = [
  { id: "idp", name: "Identity provider" },
  { id: "aws-signin", name: "AWS sign-in" },
  { id: "connect-federation", name: "Connect federation" },
  { id: "connect-app", name: "Amazon Connect" },
];

// failedStage is the page of the path the diagnosis says the sign-in
// failed at (diagnose's failedAt); the page works nothing out itself.
function failedStage(data) {
  return data.failedAt || null;
}

function renderPath(data) {
  const path = $("path");
  path.replaceChildren();
  const failed = failedStage(data);
  const failedAt = STAGES.findIndex((s) => s.id === failed);
  const reached = STAGES.map((s) => data.pages.some((p) => p.stage === s.id));
  if (data.messages.some((m) => m.type === "SAMLResponse")) reached[0] = true;
  const last = reached.lastIndexOf(true);
  STAGES.forEach((s, i) => {
    let state = "unknown", label = "not in the capture";
    if (failedAt === i) { state = "failed"; label = "failed here"; }
    else if (failedAt >= 0 && i > failedAt) { state = "unknown"; label = "not reached"; }
    else if (reached[i] || i < last || (failedAt > i)) { state = "ok"; label = "passed"; }
    const li = el("li", { class: state, "data-stage": s.id }, el("span", { class: "name", text: s.name }), el("span", { class: "state", text: label }));
    if (state === "failed") {
      li.setAttribute("aria-current", "step");
      for (const sym of data.symptoms) {
        for (const e of sym.evidence) li.append(el("blockquote", { text: "“" + e.value + "”", "data-input": "" }));
      }
    }
    path.append(li);
  });
}

function copyButton(text) {
  const b = el("button", { type: "button", class: "copy", text: "Copy" });
  b.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(text); b.textContent = "Copied"; }
    catch (e) { b.textContent = "Select and copy"; }
    setTimeout(() => { b.textContent = "Copy"; }, 1500);
  });
  return b;
}

function code(text) {
  return el("div", { class: "code" }, el("pre", { text }), copyButton(text));
}

// checkLine is the one line that says what the fix's check found.
function checkLine(check) {
  if (!check || !check.result) return "";
  if (check.result === "passes") return "Checked: " + check.why;
  if (check.result === "still_fails") return check.why.charAt(0).toUpperCase() + check.why.slice(1);
  return "Not checked: " + check.why;
}

function renderFix(fix, label) {
  const box = el("div", { class: "fix" + (fix.check && fix.check.breaks ? " breaks" : "") }, el("strong", { text: label + " " }), fix.summary);
  const line = checkLine(fix.check);
  if (line) box.append(el("p", { class: "check " + fix.check.result, text: line }));
  if (fix.check && fix.check.breaks) {
    const ul = el("ul", { class: "breaklist" });
    for (const b of fix.check.breaks) ul.append(el("li", { text: "Breaks: " + b }));
    box.append(ul);
  }
  if (fix.idpSteps && fix.idpSteps.length) {
    box.append(el("p", {}, "In " + fix.idpProduct + " (", el("a", { href: fix.idpDocs, target: "_blank", rel: "noreferrer noopener", text: "documentation" }), "):"));
    const ol = el("ol");
    fix.idpSteps.forEach((s, i) => {
      // Configuration text in the product's language is shown as code.
      if ((fix.idpCode || []).includes(i)) {
        const li = el("li", {});
        li.append(el("pre", { text: s }));
        ol.append(li);
      } else {
        ol.append(el("li", { text: s }));
      }
    });
    box.append(ol);
  } else if (fix.idp) {
    box.append(el("p", { text: "At the identity provider: " + fix.idp }));
  }
  // The warning comes before the commands that lose the data.
  if (fix.dataLoss) box.append(el("p", { class: "dataloss", text: "Data loss: " + fix.dataLoss }));
  for (const f of fix.files || []) box.append(el("p", { text: "Save as " + f.name + ":" }), code(f.content));
  for (const c of fix.commands || []) box.append(code(c));
  if (fix.steps && fix.steps.length) {
    const ul = el("ul");
    for (const s of fix.steps) ul.append(el("li", { text: s }));
    box.append(ul);
  }
  return box;
}

function renderFindings(data) {
  const box = $("findings");
  box.replaceChildren();
  if (data.findings.length) box.append(el("h2", { text: "Findings" }));
  for (const f of data.findings) {
    const card = el("article", { class: "finding " + f.severity, "data-id": f.id },
      el("h3", {}, el("span", { class: "sev", text: f.severity }), f.title, " ", el("span", { class: "id", text: "[" + f.id + "]" })));
    if (f.downgraded) card.append(el("p", { class: "downgraded", text: f.downgraded }));
    if (f.detail) card.append(el("p", { text: f.detail }));
    if (f.evidence.length) {
      const ul = el("ul", { class: "evidence" });
      for (const e of f.evidence) ul.append(el("li", {}, e.what + (e.value ? ": " : ""), e.value ? el("code", { text: e.value }) : null, el("span", { class: "where", text: e.where })));
      card.append(ul);
    }
    if (f.fix) card.append(renderFix(f.fix, "Fix:"));
    for (const alt of f.alternatives || []) card.append(renderFix(alt, alt.check && alt.check.breaks ? "Last resort:" : "Or:"));
    box.append(card);
  }
}

// wrongValues maps a field of the message to its wrong value and the
// value the first fix sets (diagnose's findings[].wrong).
function wrongValues(data) {
  const out = new Map();
  for (const f of data.findings) {
    if (f.severity === "info") continue;
    for (const w of f.wrong || []) if (!out.has(w.field)) out.set(w.field, w);
  }
  return out;
}

function renderMessages(data) {
  const box = $("messages");
  box.replaceChildren();
  const wrong = wrongValues(data);
  const sigs = data.signatures || [];
  data.messages.forEach((m, i) => {
    const t = el("table");
    // Cells hold the message's own values (data-input), except those
    // given as samldoctor's words.
    const row = (k, v, raw, words) => {
      if (v === undefined || v === null || v === "") return;
      const td = el("td", words ? {} : { "data-input": "" });
      const w = data.subject && data.subject.message === i ? wrong.get(k.replace(/ \d+$/, "")) : null;
      if (w && (raw || v) !== undefined && w.value.split("\n").includes(raw || v) && !w.expected.split("\n").includes(raw || v)) {
        td.append(el("span", { class: "wrong", text: v }));
        td.append(el("span", { class: "expected", text: "expected " + w.expected.split("\n").join(" or ") }));
      } else td.textContent = v;
      t.append(el("tr", {}, el("th", { text: k }), td));
    };
    const s = m.saml || {};
    const a = (s.assertions || [])[0] || {};
    row("Seen", ((data.words && data.words.seen[i]) || []).join("\n"), undefined, true);
    row("Issuer", s.issuer);
    if (s.status) row("Status", s.status.code.split(":").pop() + (s.status.message ? ": " + s.status.message : ""));
    if (a.subject && a.subject.nameId) row("NameID", a.subject.nameId.value);
    if (m.aws) {
      (m.aws.roles || []).forEach((r, j) => row("Role " + (j + 1), r.roleArn ? r.roleArn + "  via  " + r.providerArn : r.value + " (" + r.problem + ")", r.value));
      row("RoleSessionName", m.aws.roleSessionName || "(missing)");
      row("SessionDuration", m.aws.sessionDuration);
    }
    if (a.conditions) {
      row("Valid", (a.conditions.notBefore ? a.conditions.notBefore.raw : "?") + " → " + (a.conditions.notOnOrAfter ? a.conditions.notOnOrAfter.raw : "?"));
      row("Audience", (a.conditions.audiences || []).join(", "));
    }
    if (a.subject) for (const c of a.subject.confirmations) row("Recipient", c.recipient);
    row("RelayState", m.relayState);
    if (data.subject && data.subject.message === i) {
      sigs.forEach((v, j) => row("Signature on " + v.covers, (data.words && data.words.signatures[j]) || "", undefined, true));
    }
    if (m.decodeError) row("Decoding", m.decodeError, undefined, true);
    const xml = el("details", {}, el("summary", { text: "Full XML (signature values removed)" }), el("pre", { text: data.xml[i] || "" }));
    box.append(el("div", { class: "message" }, el("h3", { text: m.type + " #" + (i + 1) + " (" + m.binding + ")" }), t, xml));
  });
}

// renderAttempts lists the sign-ins of a capture that holds several, one
// section each; the rest of the page is about the last one.
function renderAttempts(data) {
  const box = $("attempts");
  box.replaceChildren();
  const as = data.attempts || [];
  if (!as.length) return;
  box.append(el("h2", { text: "Sign-ins in the capture" }));
  for (const a of as) {
    const label = a.outcome === "reached_connect" ? "reached Amazon Connect" : a.outcome === "failed" ? "failed: " + a.symptoms.join(", ") : "no answer in the capture";
    const sec = el("details", { class: "attempt " + a.outcome, "data-index": String(a.index) },
      el("summary", { text: "Sign-in " + a.index + " of " + as.length + (a.started ? " at " + a.started.replace("T", " ").replace("Z", "Z") : "") + (a.roleSessionName ? " — " + a.roleSessionName : "") + " — " + label }),
      el("p", { text: a.verdict }));
    const ul = el("ul");
    for (const f of a.findings) if (f.severity !== "info") ul.append(el("li", { text: f.severity + ": " + f.title + " [" + f.id + "]" }));
    sec.append(ul);
    box.append(sec);
  }
  box.append(el("p", { class: "muted", text: "What follows is about the last sign-in." }));
}

// renderRead lists what was read (the captures, the AWS data files and
// what each was taken as, the files skipped and why).
function renderRead(list, items) {
  list.replaceChildren();
  for (const r of items || []) list.append(el("li", { text: r }));
}

function render(data) {
  const v = $("verdict");
  v.textContent = data.verdict;
  v.className = data.outcome === "succeeded" && !data.findings.some((f) => f.severity === "error") ? "ok" : (data.outcome === "failed" || data.findings.some((f) => f.severity === "error") ? "" : "unknown");
  const idp = data.idp;
  $("idp").textContent = idp && idp.product !== "unknown" ? "Identity provider: " + idp.name : "";
  renderAttempts(data);
  renderPath(data);
  renderFindings(data);
  renderMessages(data);
  renderRead($("read"), data.words && data.words.read);
  $("result").hidden = false;
  v.focus();
}

function plural(n, one, many) { return n === 1 ? "1 " + one : n + " " + many; }

// auditHeadline says in one line what the audit's summary counts.
function auditHeadline(s) {
  if (!s.errors && !s.warnings) return "No problem found in what was read.";
  let out = plural(s.errors, "problem stops sign-ins", "problems stop sign-ins") + " and " + plural(s.warnings, "warning", "warnings");
  if (s.agentsAtRisk) out += "; " + plural(s.agentsAtRisk, "agent", "agents") + " will fail to sign in";
  if (s.failedSignIns) out += "; CloudTrail recorded " + plural(s.failedSignIns, "failed sign-in", "failed sign-ins") + " by " + plural(s.failedAgents, "agent", "agents");
  return out + ".";
}

function renderAudit(data) {
  const h = $("audit-headline");
  h.textContent = auditHeadline(data.summary);
  h.className = data.summary.errors ? "" : "ok";
  const box = $("audit-findings");
  box.replaceChildren();
  for (const f of data.findings) {
    const card = el("article", { class: "finding " + f.severity, "data-id": f.id },
      el("h3", {}, el("span", { class: "sev", text: f.severity }), f.title, " ", el("span", { class: "id", text: "[" + f.id + "]" })));
    if (f.detail) card.append(el("p", { text: f.detail }));
    const names = f.affected.slice(0, 10).map((a) => a.name);
    if (f.count > 10) names.push("and " + (f.count - 10) + " more");
    card.append(el("p", { class: "affected" }, el("strong", { text: "Affects " + f.count + ": " }), el("span", { "data-input": "", text: names.join(", ") })));
    if (f.evidence.length) {
      const ul = el("ul", { class: "evidence" });
      for (const e of f.evidence) ul.append(el("li", {}, e.what + (e.value ? ": " : ""), e.value ? el("code", { text: e.value }) : null, el("span", { class: "where", text: e.where })));
      card.append(ul);
    }
    if (f.fix) card.append(renderFix(f.fix, "Fix:"));
    box.append(card);
  }
  renderRead($("audit-read"), data.scope);
  $("audit-result").hidden = false;
  h.focus();
}

// clearAudit removes the last audit and its error.
function clearAudit() {
  $("audit-result").hidden = true;
  for (const id of ["audit-headline", "audit-findings", "audit-read"]) $(id).replaceChildren();
  $("audit-error").hidden = true;
  $("audit-error").replaceChildren();
}

async function runAudit(ev) {
  ev.preventDefault();
  const fd = new FormData();
  // The options first: the server reads the files with them, as
  // samldoctor audit reads its flags.
  const field = $("session-name-field").value.trim();
  if (field) fd.append("session-name-field", field);
  fd.append("session-name-transform", $("session-name-transform").checked ? "lower" : "none");
  const filter = $("idp-users-filter").value.trim();
  if (filter) fd.append("idp-users-filter", filter);
  const since = $("since").value.trim();
  if (since) fd.append("since", since);
  let files = 0;
  const add = (name, f) => { fd.append(name, f, f.name); files++; };
  for (const f of $("audit-aws").files) add("aws", f);
  const md = $("audit-idp-metadata").files[0];
  if (md) add("idp-metadata", md);
  const users = $("idp-users").files[0];
  if (users) add("idp-users", users);
  const assigned = $("idp-assignments").files[0];
  if (assigned) add("idp-assignments", assigned);
  for (const f of $("trail").files) add("trail", f);
  if (!files) { $("audit-status").textContent = "Choose AWS CLI outputs, the IdP's user export or CloudTrail log files first."; return; }
  $("audit-status").textContent = "Auditing…";
  $("audit").disabled = true;
  try {
    const resp = await fetch("/api/audit", { method: "POST", body: fd });
    const data = await resp.json();
    $("audit-status").textContent = "";
    clearAudit();
    if (!resp.ok) {
      showError($("audit-error"), data.error || ("Error " + resp.status), "Correct or replace the file or option named above, then press Audit again.");
      return;
    }
    renderAudit(data);
  } catch (e) {
    $("audit-status").textContent = "";
    clearAudit();
    showError($("audit-error"), "The server did not answer: " + e, "Check that samldoctor serve is still running, then press Audit again.");
  } finally {
    $("audit").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setupDrop();
  $("audit-form").addEventListener("submit", runAudit);
  $("form").addEventListener("submit", diagnose);
  $("download-redacted").addEventListener("click", downloadRedacted);
});
