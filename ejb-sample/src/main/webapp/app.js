// The sample's live page. Code people copy, so:
// - every value from the server or the notices topic reaches the page as text (textContent, option
//   text, SVG attributes set one by one, a class only from a fixed list): never as HTML, never inside
//   a handler built from a string;
// - buttons carry their device and action in data- attributes; one listener reads them (event delegation);
// - every state-changing request sends the X-FieldLink-Request header, which a page on another site
//   cannot send without the browser asking this server first (it never says yes);
// - no style attributes (the Content-Security-Policy allows only app.css): colours come from classes,
//   chart geometry from SVG attributes.
// No framework, nothing from the network but this server's API: the page works offline.
'use strict';

const $ = s => document.querySelector(s);
const SVG = 'http://www.w3.org/2000/svg';
const STATES = ['UNKNOWN', 'UP', 'DOWN'];
const EVENTS = ['DROPPED', 'RESTORED'];
const SWITCHES = ['drop', 'heal', 'hang', 'restart'];
const GUARD = { 'X-FieldLink-Request': '1' };
const WINDOW_MS = 600_000; // the timeline and the chart: the last ten minutes
const TIMELINE = { width: 260, height: 18, axis: 12 };
const CHART = { width: 230, gutter: 34, rateHeight: 22, latencyHeight: 30, gap: 4 };

/** Server clock minus browser clock, from GET /api/stats: "down for 12 s" is measured on the server's clock. */
let clockOffsetMs = 0;
let refreshes = 0;

function serverNow() {
  return Date.now() + clockOffsetMs;
}

async function json(url, opts) {
  try {
    const r = await fetch(url, opts);
    return { status: r.status, body: await r.json().catch(() => ({})) };
  } catch (e) {
    return { status: 0, body: { error: 'server unreachable' } };
  }
}

/** A new element with its text; the text is never parsed as HTML. */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

/** A new SVG element; attributes are set one by one (numbers and fixed class names only). */
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

/** An SVG element's tooltip, as text. */
function tip(e, text) {
  e.append(svg('title'));
  e.lastChild.textContent = text;
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

function known(value, allowed) {
  return allowed.includes(value) ? value : '';
}

function number(v) {
  const n = typeof v === 'number' ? v : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

/** An ISO-8601 instant (FieldLink writes nanoseconds) as epoch ms, or null. */
function instant(s) {
  if (typeof s !== 'string') return null;
  const ms = Date.parse(s.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? ms : null;
}

// ---- human times and durations ------------------------------------------------------------------

const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const FULL = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

/** "14:03:07" in the browser's time zone; with the day in front if it is not today. */
function clock(ms) {
  const d = new Date(ms);
  return new Date(serverNow()).toDateString() === d.toDateString() ? CLOCK.format(d) : `${DAY.format(d)} ${CLOCK.format(d)}`;
}

/** "0.4 s", "3.1 s", "12 s", "4 min 12 s", "2 h 5 min", "3 d 4 h". */
function duration(ms) {
  if (ms === null || !Number.isFinite(ms) || ms < -1000) return '?';
  const s = Math.max(0, ms) / 1000; // a few ms below 0: "now" is an estimate of the server's clock
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${d} d ${h % 24} h`;
}

/** "0.41 ms", "12 ms", "2.0 s", from microseconds. */
function latency(us) {
  if (us === null) return '-';
  if (us < 100) return `${Math.round(us)} us`;
  if (us < 1000) return `${(us / 1000).toFixed(2)} ms`;
  if (us < 100_000) return `${(us / 1000).toFixed(us < 10_000 ? 1 : 0)} ms`;
  return `${(us / 1e6).toFixed(1)} s`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ---- the state history, rebuilt from the notices and the current state ---------------------------

/**
 * A device's UP/DOWN edges, oldest first: each notice says when its state began (DROPPED: down since
 * downSince; RESTORED: down from downSince, up from its timestamp), and /api/devices says the state
 * now and since when, which wins over any notice after it.
 */
function history(device, notices) {
  const points = [];
  for (const n of notices) {
    if (n.deviceId !== device.deviceId) continue;
    const at = instant(n.timestamp), downSince = instant(n.downSince);
    if (at === null) continue;
    if (n.event === 'DROPPED') {
      points.push({ t: downSince ?? at, state: 'DOWN' });
    } else if (n.event === 'RESTORED') {
      if (n.initial !== true && downSince !== null && downSince < at) points.push({ t: downSince, state: 'DOWN' });
      points.push({ t: at, state: 'UP' });
    }
  }
  const since = instant(device.since), state = known(device.state, STATES);
  const kept = since === null ? points : points.filter(p => p.t < since);
  if (since !== null && state) kept.push({ t: since, state });
  kept.sort((a, b) => a.t - b.t);
  return kept.filter((p, i) => i === 0 || p.state !== kept[i - 1].state);
}

/** The history as segments of the window [from, to]: { from, to, state }. */
function segments(points, from, to) {
  const out = [];
  points.forEach((p, i) => {
    const end = i + 1 < points.length ? points[i + 1].t : to;
    const a = Math.max(p.t, from), b = Math.min(end, to);
    if (b > a) out.push({ from: a, to: b, state: p.state, began: p.t, ended: i + 1 < points.length ? end : null });
  });
  return out;
}

function timeline(device, notices, now) {
  const from = now - WINDOW_MS, w = TIMELINE.width, h = TIMELINE.height;
  const x = t => (t - from) / WINDOW_MS * w;
  const box = svg('svg', { class: 'timeline', width: w, height: h + TIMELINE.axis, viewBox: `0 0 ${w} ${h + TIMELINE.axis}`,
    role: 'img' });
  box.append(tip(svg('rect', { class: 'seg NONE', x: 0, y: 0, width: w, height: h }), 'no notice about this device yet'));
  const segs = segments(history(device, notices), from, now);
  for (const s of segs) {
    // at least 2 px: a 3 s outage in 10 minutes stays visible
    const left = x(s.from), width = Math.max(2, x(s.to) - left);
    const r = svg('rect', { class: `seg ${s.state}`, x: Math.min(left, w - width).toFixed(1), y: 0, width: width.toFixed(1), height: h });
    const lasted = s.ended === null ? `since ${clock(s.began)}, ${duration(now - s.began)} so far`
        : `${clock(s.began)} to ${clock(s.ended)}, ${duration(s.ended - s.began)}`;
    box.append(tip(r, `${s.state} ${lasted}`));
  }
  for (const [t, label, anchor] of [[from, '-10 min', 'start'], [now - WINDOW_MS / 2, '-5 min', 'middle'], [now, 'now', 'end']]) {
    const text = svg('text', { class: 'axis', x: x(t), y: h + TIMELINE.axis - 2, 'text-anchor': anchor });
    text.textContent = label;
    box.append(text);
  }
  const cell = el('td', null, 'timeline');
  cell.append(box);
  const outages = segs.filter(s => s.state === 'DOWN');
  const downMs = outages.reduce((sum, s) => sum + (s.to - s.from), 0);
  cell.append(el('div', outages.length === 0 ? 'no outage' : `${plural(outages.length, 'outage')}, down ${duration(downMs)} in all`,
      outages.length === 0 ? 'muted small' : 'small outages'));
  return cell;
}

// ---- request rate and latency ---------------------------------------------------------------------

/** A scale label, right-aligned at x. */
function label(box, x, y, text) {
  const t = svg('text', { class: 'axis', x, y, 'text-anchor': 'end' });
  t.textContent = text;
  box.append(t);
}

function requestChart(stat) {
  const cell = el('td', null, 'requests');
  const buckets = stat ? list(stat.buckets) : [];
  if (buckets.length === 0 || buckets.every(b => !number(b.requests))) {
    cell.append(el('div', 'no requests in the last 10 minutes', 'muted small'));
    return cell;
  }
  const { width: w, gutter: g, rateHeight: rh, latencyHeight: lh, gap } = CHART;
  const box = svg('svg', { class: 'chart', width: w, height: rh + gap + lh, viewBox: `0 0 ${w} ${rh + gap + lh}`, role: 'img' });
  const step = (w - g) / buckets.length; // the scale labels sit in the gutter on the left
  const rates = buckets.map(b => (number(b.requests) ?? 0) * 1000 / (number(b.lengthMs) || 10_000));
  const top = Math.max(...rates, 0.1);
  buckets.forEach((b, i) => {
    const n = number(b.requests) ?? 0;
    if (n === 0) return;
    const failed = Object.values(b.failed || {}).reduce((s, v) => s + (number(v) ?? 0), 0);
    const bh = Math.max(1, rates[i] / top * rh), fh = bh * Math.min(1, failed / n);
    const at = `${clock(number(b.startMs) ?? 0)}: ${plural(n, 'request')}`;
    box.append(tip(svg('rect', { class: 'bar', x: (g + i * step + 0.5).toFixed(1), y: (rh - bh).toFixed(1),
      width: Math.max(1, step - 1).toFixed(1), height: bh.toFixed(1) }), `${at}, ${failed} failed`));
    if (failed > 0) {
      box.append(tip(svg('rect', { class: 'bar failed', x: (g + i * step + 0.5).toFixed(1), y: (rh - fh).toFixed(1),
        width: Math.max(1, step - 1).toFixed(1), height: fh.toFixed(1) }), `${at}, ${failed} failed`));
    }
  });
  label(box, g - 3, 8, `${top < 10 ? top.toFixed(1) : Math.round(top)}/s`);
  label(box, g - 3, rh, '0');

  // latency on a log scale: whole decades of microseconds around what was measured
  const p50 = buckets.map(b => number(b.p50Micros)), p99 = buckets.map(b => number(b.p99Micros));
  const measured = [...p50, ...p99].filter(v => v !== null).map(v => Math.max(1, v));
  const lo = Math.floor(Math.log10(Math.min(...measured))), hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...measured))));
  const y0 = rh + gap, y = us => y0 + lh - (Math.log10(Math.max(1, us)) - lo) / (hi - lo) * lh;
  box.append(svg('line', { class: 'baseline', x1: g, x2: w, y1: rh + 0.5, y2: rh + 0.5 }));
  box.append(svg('line', { class: 'baseline', x1: g, x2: w, y1: y0 + lh, y2: y0 + lh }));
  for (const [values, name] of [[p50, 'p50'], [p99, 'p99']]) {
    const pts = values.map((v, i) => v === null ? null : [g + i * step + step / 2, y(v)]).filter(p => p);
    if (pts.length === 1) pts.push([pts[0][0] + 2, pts[0][1]]); // one bucket: a short dash, not nothing
    box.append(tip(svg('polyline', { class: `line ${name}`, points: pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ') }),
        `${name} latency per 10 s`));
  }
  label(box, g - 3, y0 + 8, latency(10 ** hi));
  label(box, g - 3, y0 + lh, latency(10 ** lo));
  cell.append(box);

  const m = stat.lastMinute || {};
  const n = number(m.requests) ?? 0;
  const failed = Object.entries(m.failed || {}).map(([k, v]) => `${v} ${String(k).toLowerCase()}`);
  cell.append(el('div', n === 0 ? 'none in the last minute'
      : `last min: ${(n / 60).toFixed(n < 60 ? 2 : 1)} req/s, p50 ${latency(number(m.p50Micros))}, p99 ${latency(number(m.p99Micros))}`
        + (failed.length ? `, failed: ${failed.join(', ')}` : ''), 'small summary'));
  return cell;
}

// ---- the tables ------------------------------------------------------------------------------------

function simulatorText(s) {
  if (!s) return '-';
  if (s.cable === 'pulled') return 'cable pulled';
  return s.listening ? String(s.behaviour).toLowerCase() : 'off';
}

function stateCell(d, now) {
  const state = known(d.state, STATES), since = instant(d.since);
  const cell = el('td', null, 'state');
  cell.append(el('span', d.state, `badge ${state}`));
  let text = '';
  if (since !== null) {
    if (state === 'DOWN') text = `down for ${duration(now - since)}`;
    else if (state === 'UP') text = `up since ${clock(since)}`;
    else text = `unknown for ${duration(now - since)}`;
  }
  const detail = el('div', text, 'small since');
  if (since !== null) detail.title = FULL.format(new Date(since));
  cell.append(detail);
  return cell;
}

function deviceRow(d, simulated, stat, notices, now) {
  const s = simulated.get(d.deviceId);
  const name = el('td', null, 'device');
  name.append(el('div', d.deviceId, 'id'), el('div', d.address, 'small muted'));
  const connections = el('td', null, 'small connections');
  connections.append(el('div', `${d.openConnections} open, ${d.connectionsInUse} in use`),
      el('div', `${plural(number(d.drops) ?? 0, 'drop')} since start`));
  // reconnect attempts count within the current outage only (0 while UP)
  if (d.state === 'DOWN') connections.append(el('div', `${plural(number(d.reconnectAttempts) ?? 0, 'reconnect attempt')} so far`));
  const simulator = el('td', null, 'simulator');
  simulator.append(el('div', simulatorText(s), 'small'));
  if (s) {
    const switches = el('div', null, 'switches');
    for (const action of SWITCHES) {
      const b = el('button', action);
      b.type = 'button';
      b.dataset.device = String(d.deviceId);
      b.dataset.action = action;
      switches.append(b);
    }
    simulator.append(switches);
  }
  const tr = row([name, stateCell(d, now), timeline(d, notices, now), requestChart(stat), connections,
    el('td', d.lastCause ?? '', 'small cause'), simulator]);
  tr.dataset.device = String(d.deviceId);
  tr.dataset.state = known(d.state, STATES) || 'OTHER';
  return tr;
}

function noticeDetail(n) {
  if (n.event === 'DROPPED') {
    const broken = number(n.connectionsAffected);
    const why = n.cause ?? 'no cause given';
    if (n.initial === true) return `unreachable when the pool opened: ${why}`;
    return `${why}; ${broken === null ? String(n.connectionsAffected) : plural(broken, 'connection')} broken`;
  }
  if (n.event === 'RESTORED') {
    if (n.initial === true) return 'reachable when the pool opened';
    const down = number(n.downtimeMs), attempts = number(n.reconnectAttempts);
    return `down ${down === null ? String(n.downtimeMs) : duration(down)}, `
        + `${attempts === null ? String(n.reconnectAttempts) : plural(attempts, 'attempt')}`;
  }
  return '';
}

function noticeRow(n, now) {
  const at = instant(n.timestamp);
  const time = el('td', at === null ? n.timestamp : `${clock(at)} (${duration(now - at)} ago)`, 'time');
  if (at !== null) time.title = String(n.timestamp);
  return row([time, el('td', n.event, known(n.event, EVENTS)), el('td', n.deviceId), el('td', noticeDetail(n))]);
}

async function refresh() {
  const asked = Date.now();
  const [devices, notices, stats, sim] = await Promise.all([json('api/devices'), json('api/notices'), json('api/stats'),
    json('api/demo/devices')]);
  if (devices.status !== 200) {
    $('#status').textContent = `${clock(serverNow())}: ${devices.body.error || 'HTTP ' + devices.status}; the page shows the last answer`;
    $('#status').className = 'DOWN';
    return;
  }
  const serverMs = number(stats.body.nowMs);
  if (stats.status === 200 && serverMs !== null) clockOffsetMs = serverMs - (asked + Date.now()) / 2;
  const now = serverNow();
  const simulated = new Map();
  if (sim.status === 200) list(sim.body).forEach(d => simulated.set(d.id, d));
  const perDevice = new Map();
  if (stats.status === 200) list(stats.body.devices).forEach(s => perDevice.set(s.deviceId, s));
  const all = list(notices.body).filter(n => n && typeof n === 'object');

  const select = $('#device'), chosen = select.value;
  select.replaceChildren(...list(devices.body).map(d => new Option(String(d.deviceId))));
  if (chosen) select.value = chosen;
  $('#devices tbody').replaceChildren(...list(devices.body).map(d => deviceRow(d, simulated, perDevice.get(d.deviceId), all, now)));
  $('#notices tbody').replaceChildren(...all.map(n => noticeRow(n, now)));
  $('#status').textContent = `Updated ${clock(now)}.`;
  $('#status').className = '';

  refreshes++;
  document.body.dataset.refreshes = String(refreshes);
  if (refreshes === 1) {
    // for the browser test and the curious: how long the page took until the first complete picture
    document.body.dataset.firstRenderMs = performance.now().toFixed(1);
    const nav = performance.getEntriesByType('navigation')[0];
    if (nav) document.body.dataset.domContentLoadedMs = nav.domContentLoadedEventEnd.toFixed(1);
  }
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

// one refresh at a time: a slow server must not pile up requests
let busy = false;
async function tick() {
  if (busy) return;
  busy = true;
  try {
    await refresh();
  } finally {
    busy = false;
  }
}
tick();
setInterval(tick, 1000);
