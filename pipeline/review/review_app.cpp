#include "pipeline/review/review_app.h"

namespace redact {

std::string ReviewPageHtml(const std::string& token) {
  std::string html = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="redact-token" content="@TOKEN@">
<title>redact review</title>
<link rel="stylesheet" href="/app.css?token=@TOKEN@">
</head><body>
<header>
  <h1>redact review</h1><span id="out"></span>
  <label>Reviewer <input id="reviewer" placeholder="your name" size="16"></label>
  <label title="the label of what you redact by hand (a text, an area, a page); a finding keeps its own unless you change it in its row">Exemption for your own redactions <input id="exemption" value="s.40(2)" size="10"></label>
  <label>Note <input id="note" placeholder="why (optional)" size="22"></label>
  <button id="apply" title="run the changed documents again with these decisions">Apply</button>
  <span id="status" role="status"></span>
</header>
<div id="layout">
<aside>
  <h2>Documents</h2><div id="docs"></div>
  <h2>Search the batch</h2>
  <form id="search"><input id="q" placeholder="a word or phrase" size="18"> <button id="find">Find</button></form>
  <div id="hits"></div>
  <h2>Reviewer's entries</h2><div id="entries"></div>
</aside>
<main id="doc"><p>Loading...</p></main>
</div>
<script src="/app.js?token=@TOKEN@"></script>
</body></html>
)HTML";
  for (size_t at; (at = html.find("@TOKEN@")) != std::string::npos;) html.replace(at, 7, token);
  return html;
}

const char* const kReviewAppCss = R"CSS(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{display:flex;gap:12px;align-items:center;flex-wrap:wrap;padding:8px 16px;background:#f3f3f3;border-bottom:1px solid #ccc;position:sticky;top:0;z-index:5}
header h1{font-size:18px;margin:0}#out{color:#666;font-size:12px}#status{font-size:13px;color:#064}
#status.bad{color:#a00}#layout{display:flex}aside{width:300px;padding:8px 12px;border-right:1px solid #ddd;font-size:13px}
aside h2{font-size:14px;margin:14px 0 4px}main{flex:1;padding:8px 16px;min-width:0}
button{cursor:pointer}.doc{display:block;width:100%;text-align:left;margin:2px 0;padding:4px;border:1px solid #ccc;background:#fff}
.doc.current{border-color:#222;background:#eef}.badge{font-size:11px;padding:0 4px;border-radius:3px;margin-left:4px}
.released{background:#cfc}.review{background:#fd8}.quarantined{background:#fbb}
.pages{display:flex;flex-direction:column;gap:16px}.pagerow{display:flex;gap:12px;align-items:flex-start;overflow-x:auto}
figure{margin:0}figcaption{font-size:12px;color:#555;margin-bottom:2px}
.sheet{position:relative;display:inline-block;border:1px solid #999;line-height:0;user-select:none}
.sheet img{display:block}.drawing .sheet{cursor:crosshair}
.box{position:absolute;border:2px solid #d00;background:rgba(255,0,0,.08);font:bold 11px/1 sans-serif}
.box span{position:absolute;left:-2px;top:-14px;background:#d00;color:#fff;padding:1px 3px}
.box.flag{border-color:#c80}.box.flag span{background:#c80}.box.note{border-color:#07a}.box.note span{background:#07a}
.box.kept{border-style:dashed;background:none}.box.manual{border-color:#50a;background:rgba(80,0,160,.15)}
.box.hit{border-color:#080}.rubber{position:absolute;border:2px dashed #50a;background:rgba(80,0,160,.1)}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}mark{background:#222;color:#fff;padding:0 2px}tr.flag mark{background:#f5c400;color:#000}
.ctx{color:#555}.state{font-weight:600}.hit-row{margin:3px 0}.entry{margin:3px 0}
.noview{padding:20px;line-height:1.4;width:300px}
pre.text{white-space:pre-wrap;line-height:1.35;font:12px/1.35 monospace;width:520px;max-height:700px;overflow:auto;margin:0;padding:8px;background:#fff}
.fp{font-family:monospace;font-size:11px;color:#666}#final-release{font-weight:600}
.toolbar{display:flex;gap:8px;align-items:center;margin:6px 0}.drawing #draw{background:#50a;color:#fff}
)CSS";

const char* const kReviewAppJs = R"JS(
'use strict';
const token = document.querySelector('meta[name=redact-token]').content;
let state = null, current = 0, zoom = 0.6, drawing = false, stamp = Date.now(), hits = [], hitsTerm = '';
const $ = (s, e = document) => e.querySelector(s);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
};
async function api(path, body) {
  const init = body === undefined ? {headers: {'X-Redact-Token': token}}
    : {method: 'POST', headers: {'X-Redact-Token': token, 'Content-Type': 'application/json'},
       body: JSON.stringify(body)};
  const r = await fetch(path, init);
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.error || r.statusText);
  return j;
}
function say(text, bad) { const s = $('#status'); s.textContent = text; s.className = bad ? 'bad' : ''; }
function who() { return $('#reviewer').value.trim(); }
function common(extra) {
  return Object.assign({reviewer: who(), exemption: $('#exemption').value.trim(), note: $('#note').value.trim()}, extra);
}
// The reviewer's name, asked once (and kept in this browser); recorded with each decision.
function askName() {
  if (who()) return;
  const name = (window.prompt('Your name, recorded with each decision:') || '').trim();
  if (name) { $('#reviewer').value = name; localStorage.setItem('redact-reviewer', name); }
}
// The document shown, by what it is (the list may be read again and renumbered).
function docKey(d) { return d ? d.sha256 + ' ' + (d.release_name || d.input) : ''; }
function keepCurrent(key) {
  const i = state.documents.findIndex(d => docKey(d) === key);
  current = i >= 0 ? i : Math.min(current, Math.max(0, state.documents.length - 1));
}
async function decide(change) {
  askName();
  if (typeof change.doc === 'number' && state.documents[change.doc]) change.sha256 = state.documents[change.doc].sha256;
  try {
    state = await api('/api/decide', common(change));
    say('saved to decisions.toml: ' + state.changed + (state.changed_all ? ' (all)' : '') + ' document(s) to apply');
    draw();
  } catch (e) { say(e.message, true); }
}
function png(doc, page, kind) {
  return '/api/page.png?doc=' + doc + '&page=' + page + '&kind=' + kind + '&v=' + stamp + '&token=' + token;
}
function scale() { return state.dpi / 72 * zoom; }
function boxDiv(b, cls, label) {
  const s = scale();
  const d = el('div', {class: 'box ' + cls});
  d.style.left = (b[0] * s) + 'px'; d.style.top = (b[1] * s) + 'px';
  d.style.width = ((b[2] - b[0]) * s) + 'px'; d.style.height = ((b[3] - b[1]) * s) + 'px';
  if (label) d.append(el('span', {}, label));
  return d;
}
function findingState(f) {
  const d = f.pending || f.decision || '';
  if (d === 'keep') return 'kept';
  if (d === 'redact') return f.action === 'redact' ? 'redacted' : 'to redact';
  return f.action === 'flag' ? 'undecided' : f.action;
}
// A document as the list names it: its path, and its release when that has another name (the
// daemon's second response.pdf is response.2.pdf), and the start of its sha256.
function docName(d) {
  const base = d.input.replace(/\.[^./]*$/, ''), rel = (d.release_name || '').replace(/\.[^./]*$/, '');
  return d.input + (rel && rel !== base ? ' \u2192 ' + d.release_name : '');
}
function drawDocs() {
  const box = $('#docs'); box.replaceChildren();
  state.documents.forEach(d => {
    const b = el('button', {class: 'doc' + (d.id === current ? ' current' : ''), 'data-id': d.id,
      title: (d.input_path || d.input) + '\nsha256 ' + d.sha256,
      onclick: () => { current = d.id; draw(); }}, docName(d));
    b.append(el('span', {class: 'badge ' + d.status}, d.status));
    if (d.open_flags) b.append(el('span', {class: 'badge review'}, d.open_flags + ' open'));
    box.append(b);
  });
}
function drawEntries() {
  const box = $('#entries'); box.replaceChildren();
  for (const m of state.manual) {
    const what = m.kind === 'text' ? '"' + m.text + '"' + (m.page ? ' p.' + m.page : '') + (m.occurrence ? ' #' + m.occurrence : '')
      : m.kind === 'area' ? 'area p.' + m.page : 'page ' + m.page + ' withheld';
    box.append(el('div', {class: 'entry manual-entry'}, 'redact ' + what + ' in ' + m.document + ' (' + m.exemption + ') ',
      el('button', {class: 'remove', onclick: () => decide({type: 'remove-manual', index: m.index})}, 'remove')));
  }
  for (const b of state.bulk) {
    box.append(el('div', {class: 'entry bulk-entry'}, b.decision + ' every ' + (b.rule ? 'finding of ' + b.rule : '"' + b.text + '"') + ' in ' + b.document + ' ',
      el('button', {class: 'remove', onclick: () => decide({type: 'remove-bulk', index: b.index})}, 'remove')));
  }
  if (!box.children.length) box.append('none yet');
}
function drawHits() {
  const box = $('#hits'); box.replaceChildren();
  if (!hits.length) return;
  box.append(el('div', {}, hits.length + ' hit(s) for "' + hits[0].text + '"'));
  for (const h of hits) {
    box.append(el('div', {class: 'hit-row'}, el('a', {href: '#', onclick: (e) => { e.preventDefault(); current = h.doc; draw(); }},
      h.input + ' p.' + h.page), ': ...' + h.before, el('mark', {}, h.text), h.after + '...'));
  }
  box.append(el('button', {id: 'redact-hits', onclick: () => decide({type: 'text', doc: '*', text: hitsTerm})},
    'Redact every hit in the batch'));
}
function drawDoc() {
  const d = state.documents[current];
  const main = $('#doc'); main.replaceChildren();
  if (!d) { main.append(el('p', {}, 'No documents in this OUT.')); return; }
  main.append(el('h2', {}, docName(d) + ' '), el('div', {class: 'fp'}, (d.input_path || '') + ' \u00b7 sha256 ' + d.sha256),
    el('div', {}, 'status: ' + d.status + (d.error ? ' — ' + (d.error.message || d.error || '') : '')));
  if (d.status === 'released') {
    main.append(el('div', {}, el('a', {id: 'final-release', href: '/api/release?doc=' + d.id + '&token=' + token, target: '_blank'},
      'Final release: release/' + (d.release_name || d.input))));
  }
  const tools = el('div', {class: 'toolbar'},
    el('label', {}, 'Zoom '), el('select', {id: 'zoom', onchange: (e) => { zoom = +e.target.value; draw(); }}));
  for (const z of [0.4, 0.6, 0.8, 1, 1.5, 2]) {
    const o = el('option', {value: z}, Math.round(z * 100) + '%'); if (z === zoom) o.selected = true; $('select', tools).append(o);
  }
  tools.append(el('button', {id: 'draw', onclick: () => { drawing = !drawing; document.body.classList.toggle('drawing', drawing); }},
    'Draw an area'), el('span', {}, 'then drag over a page of the draft'));
  main.append(tools);
  const pages = el('div', {class: 'pages'});
  const numbered = d.findings.map((f, i) => [i + 1, f]);
  for (let p = 1; p <= d.pages; p++) {
    const row = el('div', {class: 'pagerow', 'data-page': p});
    const sheet = el('div', {class: 'sheet', 'data-page': p});
    if (d.kind === 'text') {
      const pre = el('pre', {class: 'text draft-text'}, '...');
      api('/api/text?doc=' + d.id + '&kind=draft').then(r => { pre.textContent = r.text; }).catch(e => { pre.textContent = e.message; });
      sheet.append(pre);
    } else if (d.draft_view) {
      const img = el('img', {alt: 'draft page ' + p, src: png(d.id, p, 'draft')});
      img.addEventListener('load', () => { img.style.width = (img.naturalWidth * zoom) + 'px'; });
      sheet.append(img);
      for (const [n, f] of numbered) {
        if (f.page !== p) continue;
        const cls = (findingState(f) === 'kept' ? 'kept ' : '') + f.action;
        for (const b of f.boxes) sheet.append(boxDiv(b, cls, String(n)));
      }
      for (const m of state.manual) {
        if (m.kind === 'area' && m.page === p && (m.document === d.input || m.sha256 === d.sha256)) sheet.append(boxDiv(m.area, 'manual', 'area'));
      }
      for (const h of hits) if (h.doc === d.id && h.page === p) for (const b of h.boxes) sheet.append(boxDiv(b, 'hit', ''));
      sheet.addEventListener('mousedown', startArea);
    } else {
      sheet.append(el('div', {class: 'noview'}, 'No draft view for this kind of document: see its release.'));
    }
    row.append(el('figure', {}, el('figcaption', {}, 'draft, page ' + p + ' ',
      el('button', {class: 'withhold', 'data-page': p, onclick: () => decide({type: 'page', doc: d.id, page: p})}, 'Withhold this page')), sheet));
    if (d.kind === 'text' && d.release_text) {
      const pre = el('pre', {class: 'text release-text'}, '...');
      api('/api/text?doc=' + d.id + '&kind=release').then(r => { pre.textContent = r.text; }).catch(e => { pre.textContent = e.message; });
      row.append(el('figure', {}, el('figcaption', {}, 'release (' + d.status + ')'), el('div', {class: 'sheet'}, pre)));
    } else if (d.release) {
      const rel = el('img', {alt: 'release page ' + p, class: 'release', src: png(d.id, p, 'release')});
      rel.addEventListener('load', () => { rel.style.width = (rel.naturalWidth * zoom) + 'px'; });
      row.append(el('figure', {}, el('figcaption', {}, 'release (' + d.status + '), page ' + p), el('div', {class: 'sheet'}, rel)));
    }
    pages.append(row);
  }
  main.append(pages);
  main.append(el('h3', {}, 'Findings'));
  const table = el('table', {id: 'findings'}, el('tr', {}, ...['#', 'page', 'rule', 'exemption', 'text in context', 'confidence', 'state', 'decide'].map(h => el('th', {}, h))));
  let hashed = false;
  for (const [n, f] of numbered) {
    const ctx = f.context || ['', ''];
    if (!f.text && f.text_hmac) hashed = true;
    // The finding's own label, which Redact records unless the reviewer changes it here.
    const ex = el('input', {class: 'exemption', size: 10, value: f.pending_exemption || f.exemption || ''});
    const exemption = () => ex.value.trim();
    const tr = el('tr', {class: f.action, 'data-fp': f.fingerprint, 'data-rule': f.rule},
      el('td', {}, String(n)), el('td', {}, String(f.page)), el('td', {}, f.rule), el('td', {}, ex),
      el('td', {}, el('span', {class: 'ctx'}, ctx[0] || ''), el('mark', {}, f.text || '(' + (f.text_hmac ? 'hashed' : 'not recorded') + ')'), el('span', {class: 'ctx'}, ctx[1] || '')),
      el('td', {}, f.confidence !== undefined ? String(f.confidence) : ''), el('td', {class: 'state'}, findingState(f) + (f.decided_by ? ' (' + f.decided_by + ')' : '')));
    const act = el('td', {});
    if (!f.rule.startsWith('manual.')) {
      act.append(el('button', {class: 'redact', onclick: () => decide({type: 'finding', doc: d.id, fingerprint: f.fingerprint, decision: 'redact', exemption: exemption()})}, 'Redact'), ' ',
        el('button', {class: 'keep', onclick: () => decide({type: 'finding', doc: d.id, fingerprint: f.fingerprint, decision: 'keep', exemption: exemption()})}, 'Keep'), ' ',
        el('button', {class: 'undo', onclick: () => decide({type: 'finding', doc: d.id, fingerprint: f.fingerprint, decision: '', exemption: ''})}, 'Undecide'), ' ',
        el('button', {class: 'rule-keep', onclick: () => decide({type: 'bulk', doc: d.id, rule: f.rule, decision: 'keep', exemption: ''})}, 'Keep all of this rule'), ' ',
        el('button', {class: 'rule-redact', onclick: () => decide({type: 'bulk', doc: d.id, rule: f.rule, decision: 'redact', exemption: ''})}, 'Redact all of this rule'));
      if (f.text) act.append(' ', el('button', {class: 'text-keep', onclick: () => decide({type: 'bulk', doc: '*', text: f.text, decision: 'keep', exemption: ''})}, 'Keep this text everywhere'));
    }
    tr.append(act);
    table.append(tr);
  }
  main.append(table);
  // --audit-text hash keeps no text in the log: read from the draft, for whoever can read it.
  if (hashed && d.draft_view) {
    api('/api/finding-texts?doc=' + d.id).then(r => {
      for (const tr of table.querySelectorAll('tr[data-fp]')) {
        const t = r.texts[tr.dataset.fp];
        if (t) { const m = tr.querySelector('mark'); m.textContent = t; m.title = 'read from the draft (the audit keeps a hash)'; }
      }
    }).catch(() => {});
  }
  main.append(el('h3', {}, 'Hidden content (not in the release)'));
  const hidden = el('ul', {id: 'hidden'});
  for (const h of d.hidden) hidden.append(el('li', {}, (h.kind || '') + (h.page ? ' (page ' + h.page + ')' : '') + ': ' + (h.text || h.text_hmac || '')));
  if (!d.hidden.length) hidden.append(el('li', {}, 'none'));
  main.append(hidden);
}
let rubber = null, origin = null;
function startArea(e) {
  if (!drawing) return;
  e.preventDefault();
  const sheet = e.currentTarget, r = sheet.getBoundingClientRect();
  origin = {sheet, x: e.clientX - r.left, y: e.clientY - r.top};
  rubber = el('div', {class: 'rubber'}); sheet.append(rubber);
  moveArea(e);
}
function moveArea(e) {
  if (!rubber) return;
  const r = origin.sheet.getBoundingClientRect();
  const x = e.clientX - r.left, y = e.clientY - r.top;
  rubber.style.left = Math.min(x, origin.x) + 'px'; rubber.style.top = Math.min(y, origin.y) + 'px';
  rubber.style.width = Math.abs(x - origin.x) + 'px'; rubber.style.height = Math.abs(y - origin.y) + 'px';
}
function endArea(e) {
  if (!rubber) return;
  const r = origin.sheet.getBoundingClientRect(), s = scale();
  const x = e.clientX - r.left, y = e.clientY - r.top;
  const area = [Math.min(x, origin.x) / s, Math.min(y, origin.y) / s, Math.max(x, origin.x) / s, Math.max(y, origin.y) / s];
  const page = +origin.sheet.dataset.page;
  rubber.remove(); rubber = null; origin = null;
  if (area[2] - area[0] < 2 || area[3] - area[1] < 2) return;
  decide({type: 'area', doc: current, page, area: area.map(v => Math.round(v * 100) / 100)});
}
document.addEventListener('mousemove', moveArea);
document.addEventListener('mouseup', endArea);
function draw() { $('#out').textContent = state.out; drawDocs(); drawEntries(); drawHits(); drawDoc(); }
$('#search').addEventListener('submit', async (e) => {
  e.preventDefault();
  const term = $('#q').value.trim();
  try { hits = (await api('/api/search?q=' + encodeURIComponent(term))).hits; hitsTerm = term; say(hits.length + ' hit(s)'); draw(); }
  catch (err) { say(err.message, true); }
});
$('#apply').addEventListener('click', async () => {
  askName();
  say('applying: the changed documents run again...');
  $('#apply').disabled = true;
  try {
    const r = await api('/api/apply', {reviewer: who()});
    const key = docKey(state.documents[current]);
    state = r.state; stamp = Date.now(); hits = []; keepCurrent(key);
    say('applied to ' + r.documents + ' document(s); exit ' + r.exit_code + (r.exit_code === 7 ? ' (some still wait for a decision)' : ''), r.exit_code !== 0 && r.exit_code !== 7);
    document.body.dataset.applied = String(stamp);
    draw();
  } catch (e) { say(e.message, true); }
  $('#apply').disabled = false;
});
$('#reviewer').addEventListener('change', () => localStorage.setItem('redact-reviewer', who()));
(async () => {
  try {
    state = await api('/api/state');
    $('#reviewer').value = localStorage.getItem('redact-reviewer') || state.reviewer || '';
    draw();
    document.body.dataset.ready = '1';
    // Documents the daemon takes meanwhile: listed as they come (the server reads them in
    // while no change waits to be applied).
    setInterval(async () => {
      if ($('#apply').disabled) return;
      try {
        const key = docKey(state.documents[current]), n = state.documents.length;
        const fresh = await api('/api/state');
        if (fresh.documents.length === n) return;
        state = fresh; keepCurrent(key); draw();
      } catch (e) { /* the next tick tries again */ }
    }, 20000);
  } catch (e) { say(e.message, true); }
})();
)JS";

}  // namespace redact
