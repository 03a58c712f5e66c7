// The sample's live page. Code people copy, so:
// - every value from the server or the notices topic reaches the page as text (textContent, option
//   text, a class only from a fixed list): never as HTML, never inside a handler built from a string;
// - buttons carry their device and action in data- attributes; one listener reads them (event delegation);
// - every state-changing request sends the X-FieldLink-Request header, which a page on another site
//   cannot send without the browser asking this server first (it never says yes).
'use strict';

const $ = s => document.querySelector(s);
const STATES = ['UNKNOWN', 'UP', 'DOWN'];
const EVENTS = ['DROPPED', 'RESTORED'];
const SWITCHES = ['drop', 'heal', 'hang', 'restart'];
const GUARD = { 'X-FieldLink-Request': '1' };

async function json(url, opts) {
  const r = await fetch(url, opts);
  return { status: r.status, body: await r.json().catch(() => ({})) };
}

/** A new element with its text; the text is never parsed as HTML. */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  cells.forEach(c => tr.append(c));
  return tr;
}

function list(body) {
  return Array.isArray(body) ? body : [];
}

function simulatorText(s) {
  if (!s) return '-';
  if (s.cable === 'pulled') return 'cable pulled';
  return s.listening ? String(s.behaviour).toLowerCase() : 'off';
}

function deviceRow(d, simulated) {
  const s = simulated.get(d.deviceId);
  const switches = el('td');
  if (s) {
    for (const action of SWITCHES) {
      const b = el('button', action);
      b.type = 'button';
      b.dataset.device = String(d.deviceId);
      b.dataset.action = action;
      switches.append(b);
    }
  }
  return row([el('td', d.deviceId), el('td', d.address), el('td', d.state, STATES.includes(d.state) ? d.state : ''),
    el('td', d.since), el('td', d.openConnections), el('td', d.drops), el('td', d.lastCause ?? ''),
    el('td', simulatorText(s)), switches]);
}

function noticeRow(n) {
  const detail = n.event === 'DROPPED'
      ? `${n.cause ?? ''} (${n.connectionsAffected} connection(s))`
      : `down ${n.downtimeMs} ms, ${n.reconnectAttempts} attempt(s)`;
  return row([el('td', n.timestamp), el('td', n.event, EVENTS.includes(n.event) ? n.event : ''),
    el('td', n.deviceId), el('td', detail)]);
}

async function refresh() {
  const [devices, notices, sim] = await Promise.all([json('api/devices'), json('api/notices'), json('api/demo/devices')]);
  const simulated = new Map();
  if (sim.status === 200) list(sim.body).forEach(d => simulated.set(d.id, d));

  const select = $('#device'), chosen = select.value;
  select.replaceChildren(...list(devices.body).map(d => new Option(String(d.deviceId))));
  if (chosen) select.value = chosen;
  $('#devices tbody').replaceChildren(...list(devices.body).map(d => deviceRow(d, simulated)));
  $('#notices tbody').replaceChildren(...list(notices.body).map(noticeRow));
}

// one listener for every switch, whatever refresh() drew since
$('#devices tbody').addEventListener('click', async e => {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  const r = await json(`api/demo/devices/${encodeURIComponent(b.dataset.device)}/${encodeURIComponent(b.dataset.action)}`,
      { method: 'POST', headers: GUARD });
  if (r.status !== 200) alert(r.body.error || ('HTTP ' + r.status));
  refresh();
});

$('#request').addEventListener('submit', async e => {
  e.preventDefault();
  const body = $('#ishex').checked ? { hex: $('#frame').value } : { text: $('#frame').value };
  const r = await json(`api/devices/${encodeURIComponent($('#device').value)}/request`, {
    method: 'POST', headers: { ...GUARD, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  $('#reply').textContent = r.status === 200
      ? `answer: "${r.body.text}" (hex ${r.body.hex}) in ${r.body.micros} us`
      : `HTTP ${r.status}: ${r.body.error}`;
});

refresh();
setInterval(refresh, 1000);
