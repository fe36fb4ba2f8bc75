// The status page at "/": one self-contained document (HTML, CSS and script inline; nothing is
// loaded from anywhere else) that fetches /api/v1/status every 2 s and draws every load
// balancer with its pools and origins, health with reason and age, recent traffic share per
// pool, recent transitions and the zones. A token given as ?token= in the page address is sent
// as a bearer header. Every status colour comes with a word, never colour alone.
//
// Below them, refreshed every 30 s: the "Scenarios" matrix (GET /api/v1/scenarios: rows are a
// failed pool, columns where its traffic goes, each cell coloured by that pool's load against its
// capacity) and "What changed" at the last reload (GET /api/v1/whatif/last-reload).
//
// The Content-Security-Policy allows exactly the inline style and script below (by hash) and
// fetches to this origin: nothing else can load or run.
import { createHash } from 'node:crypto';

const STYLE = `
:root {
  --bg: #f4f5f7; --card: #ffffff; --text: #1c2230; --muted: #5d6778; --line: #e1e4ea; --soft: #f7f8fa;
  --ok: #116329; --ok-bg: #d8f5df; --bad: #b42318; --bad-bg: #fde4e1; --warn: #8a5a00; --warn-bg: #fff1c2;
  --info: #0b57d0; --info-bg: #e0ecff; --off: #4b5563; --off-bg: #e9ebef;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --card: #1b2029; --text: #e6e9ef; --muted: #9aa4b5; --line: #2c3340; --soft: #222835;
    --ok: #6fdc8c; --ok-bg: #17361f; --bad: #ff8b80; --bad-bg: #43201d; --warn: #f2c55c; --warn-bg: #3b3015;
    --info: #8ab4f8; --info-bg: #1b2a45; --off: #b0b7c3; --off-bg: #2a303b;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: var(--card); border-bottom: 1px solid var(--line); }
.bar { max-width: 1360px; margin: 0 auto; padding: 12px 24px; display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 18px; margin: 0; letter-spacing: .2px; }
h1 span { color: var(--muted); font-weight: 500; }
.summary { color: var(--muted); }
.spacer { flex: 1; }
main { max-width: 1360px; margin: 0 auto; padding: 16px 24px 40px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); margin: 22px 0 10px; }
.banner { margin: 12px 0 0; padding: 10px 14px; border-radius: 8px; background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; align-items: start; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px 10px; min-width: 0; }
.card-head { display: flex; align-items: baseline; gap: 10px; }
.card-head h3 { margin: 0; font-size: 16px; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: 12.5px; margin: 2px 0 10px; }
.pill { display: inline-flex; align-items: center; gap: 5px; padding: 1px 9px; border-radius: 999px; font-size: 12px;
  font-weight: 650; white-space: nowrap; border: 1px solid transparent; }
.pill::before { font-size: 10px; }
.s-ok { color: var(--ok); background: var(--ok-bg); } .s-ok::before { content: "\\25CF"; }
.s-bad { color: var(--bad); background: var(--bad-bg); } .s-bad::before { content: "\\2716"; }
.s-warn { color: var(--warn); background: var(--warn-bg); } .s-warn::before { content: "\\25B2"; }
.s-info { color: var(--info); background: var(--info-bg); } .s-info::before { content: "\\25CB"; }
.s-off { color: var(--off); background: var(--off-bg); } .s-off::before { content: "\\2013"; }
.traffic { display: grid; grid-template-columns: 1fr auto; gap: 4px 14px; align-items: center; margin: 4px 0 8px; }
.traffic svg { width: 100%; height: 34px; display: block; background: var(--soft); border-radius: 4px; }
.traffic .caption { color: var(--muted); font-size: 12px; text-align: right; }
.traffic .caption b { color: var(--text); font-size: 13px; }
.axis { display: flex; justify-content: space-between; color: var(--muted); font-size: 11px; margin-top: -2px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.pool { border-top: 1px solid var(--line); padding: 8px 0 6px; }
.pool-head { display: flex; align-items: center; gap: 8px; }
.pool-sub { color: var(--muted); font-size: 12px; margin: 1px 0 0 18px; }
.pool-name { font-weight: 650; }
.tag { font-size: 11.5px; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; }
.share { margin-left: auto; font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
.share small { color: var(--muted); font-weight: 400; }
.sharebar { height: 4px; background: var(--soft); border-radius: 2px; margin: 6px 0 4px; overflow: hidden; }
.sharebar div { height: 100%; border-radius: 2px; }
table { width: 100%; border-collapse: collapse; }
td, th { padding: 3px 8px 3px 0; text-align: left; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding-bottom: 5px; }
.origins { table-layout: fixed; }
.origins td { font-size: 13px; padding-top: 5px; padding-bottom: 5px; }
.origins td:first-child { width: 116px; }
.origins td:nth-child(2) { width: 150px; overflow-wrap: anywhere; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.detail { overflow-wrap: anywhere; }
.probe { color: var(--muted); font-size: 12px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px; }
.panel td { border-bottom: 1px solid var(--line); padding: 6px 12px 6px 0; }
.panel tr:last-child td { border-bottom: 0; }
.two { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
@media (max-width: 1100px) { .two { grid-template-columns: 1fr; } .grid { grid-template-columns: 1fr; } }
.empty { color: var(--muted); padding: 8px 0; }
.matrix td, .matrix th { text-align: center; white-space: nowrap; }
.matrix td:first-child, .matrix th:first-child { text-align: left; }
.cell { display: inline-block; min-width: 118px; padding: 2px 6px; border-radius: 6px; font-size: 12px; font-variant-numeric: tabular-nums; }
.cell small { display: block; font-size: 11px; }
footer { color: var(--muted); font-size: 12px; margin-top: 22px; }
`;

// Plain ES2017 without template literals (this text sits inside one). DOM built with
// textContent only: names and reasons from the server are never parsed as HTML.
const SCRIPT = `
(function () {
  'use strict';
  var REFRESH_MS = 2000;
  var token = new URLSearchParams(location.search).get('token');
  var app = document.getElementById('app');
  var last = null;
  var lastOkAt = 0;
  var refreshes = 0;
  var PALETTE = ['#4e79a7', '#f28e2b', '#76b7b2', '#b07aa1', '#edc948', '#9c755f', '#59a14f', '#ff9da7'];

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') el.textContent = attrs[k];
      else if (k === 'cls') el.className = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined) el.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) el.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); });
      else el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }
  function pill(cls, text) { return h('span', { cls: 'pill ' + cls, text: text }); }
  function age(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + ' s';
    var m = Math.round(s / 60);
    if (m < 90) return m + ' min';
    var hr = Math.round(m / 60);
    if (hr < 48) return hr + ' h';
    return Math.round(hr / 24) + ' d';
  }
  function zoneName(z) { return z === '' ? '.' : z; }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  var POLICY = { off: 'failover in pool order', random: 'random by pool weight', geo: 'geo by client location', proximity: 'nearest pool', hash: 'hash of client subnet', dynamic: 'lowest probe RTT' };

  var ORIGIN = {
    up: ['s-ok', 'UP'], down: ['s-bad', 'DOWN'], unknown: ['s-info', 'PENDING'],
    unmonitored: ['s-off', 'NO CHECK'], drained: ['s-off', 'DRAINED']
  };
  var LB = { ok: ['s-ok', 'OK'], degraded: ['s-warn', 'DEGRADED'], fallback: ['s-warn', 'FALLBACK'], down: ['s-bad', 'DOWN'] };

  function originDetail(o, now) {
    if (o.health === 'up') return 'up ' + age(now - o.since) + ': ' + o.reason;
    if (o.health === 'down') return 'down ' + age(now - o.since) + ': ' + o.reason;
    if (o.health === 'unknown') return 'not probed yet (counts as up)';
    if (o.health === 'unmonitored') return 'no monitor: always answered';
    return 'drained: never answered';
  }
  function probeText(o, now) {
    if (!o.lastProbe) return null;
    var p = o.lastProbe;
    return 'last probe ' + age(now - p.at) + ' ago: ' + p.reason + ' in ' + Math.round(p.durationMs) + ' ms \\u00b7 ' +
      o.probesPassed + ' passed, ' + o.probesFailed + ' failed';
  }

  function trafficChart(lb, colors) {
    var NS = 'http://www.w3.org/2000/svg';
    var n = lb.traffic.bucketStarts.length;
    var svg = document.createElementNS(NS, 'svg');
    var W = 300, H = 34, slots = Math.max(n, lb.traffic.buckets, 1);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    var max = 0;
    for (var i = 0; i < n; i++) {
      var t = 0;
      lb.pools.forEach(function (p) { t += p.answers[i] || 0; });
      max = Math.max(max, t);
    }
    svg.setAttribute('aria-label', 'answers per ' + lb.traffic.bucketSeconds + ' s, by pool');
    var w = W / slots;
    for (var j = 0; j < n; j++) {
      var x = (slots - n + j) * w;
      var y = H;
      lb.pools.forEach(function (p, k) {
        var v = p.answers[j] || 0;
        if (!v || !max) return;
        var hh = Math.max(1, (v / max) * (H - 2));
        y -= hh;
        var r = document.createElementNS(NS, 'rect');
        r.setAttribute('x', (x + 0.5).toFixed(1)); r.setAttribute('width', (w - 1).toFixed(1));
        r.setAttribute('y', y.toFixed(1)); r.setAttribute('height', hh.toFixed(1));
        r.setAttribute('fill', colors[k]);
        var title = document.createElementNS(NS, 'title');
        title.textContent = p.name + ': ' + v + ' answers';
        r.appendChild(title);
        svg.appendChild(r);
      });
    }
    return svg;
  }

  function lbCard(lb, now) {
    var colors = lb.pools.map(function (_, i) { return PALETTE[i % PALETTE.length]; });
    var totals = lb.pools.map(function (p) { return p.answers.reduce(function (a, b) { return a + b; }, 0); });
    var total = totals.reduce(function (a, b) { return a + b; }, 0);
    var seconds = lb.traffic.bucketStarts.length ? now - lb.traffic.bucketStarts[0] : 0;
    var windowText = seconds < 60000 ? Math.max(1, Math.round(seconds / 1000)) + ' s' : Math.round(seconds / 60000) + ' min';
    var span = Math.round(Math.max(lb.traffic.buckets, 1) * lb.traffic.bucketSeconds / 60);
    var st = LB[lb.state];
    var kind = lb.recordType === 'address' ? 'A/AAAA/CNAME' : lb.recordType;
    var head = h('div', { cls: 'card-head' }, h('h3', { text: lb.owner + '.' }), pill(st[0], st[1]));
    var meta = h('div', { cls: 'meta' },
      'zone ' + zoneName(lb.zone) + ' \\u00b7 ' + (POLICY[lb.policy] || lb.policy) + ' (' + lb.policy + ') \\u00b7 ' + kind + ' \\u00b7 TTL ' + lb.ttl + ' s' +
      ' \\u00b7 fallback ' + (lb.fallbackPool || 'none (fail closed)') +
      (lb.primaryPool ? ' \\u00b7 primary ' + lb.primaryPool : ' \\u00b7 no healthy default pool') +
      (lb.description ? ' \\u00b7 ' + lb.description : ''));
    var legend = h('div', { cls: 'legend' }, lb.pools.map(function (p, i) {
      return h('span', null, h('span', { cls: 'swatch', 'data-color': colors[i] }), p.name);
    }));
    var traffic = h('div', { cls: 'traffic' },
      h('div', null, trafficChart(lb, colors), h('div', { cls: 'axis' }, h('span', { text: span + ' min ago' }), h('span', { text: 'now' }))),
      h('div', { cls: 'caption' }, h('b', { text: String(total) }), ' answers', h('br'), 'in the last ' + windowText),
      legend);
    var pools = lb.pools.map(function (p, i) {
      var share = total ? Math.round((totals[i] / total) * 100) : 0;
      var health = !p.enabled ? pill('s-off', 'DISABLED') : p.healthy ? pill('s-ok', 'HEALTHY') : pill('s-bad', 'UNHEALTHY');
      var roles = p.roles.map(function (r) {
        if (r === 'default') return h('span', { cls: 'tag', text: 'default #' + (lb.defaultPools.indexOf(p.name) + 1) });
        return h('span', { cls: 'tag', text: r === 'fallback' ? 'fallback' : 'geo/subnet rule' });
      });
      var bar = h('div', { cls: 'sharebar' }, h('div', { 'data-width': share, 'data-color': colors[i] }));
      var rows = p.origins.map(function (o) {
        var s = ORIGIN[o.health];
        var probe = probeText(o, now);
        return h('tr', { 'data-origin': o.name, 'data-health': o.health },
          h('td', null, pill(s[0], s[1])),
          h('td', null, h('div', { text: o.name }), h('div', { cls: 'mono muted', text: o.address + (o.weight !== 1 ? ' \\u00b7 weight ' + o.weight : '') })),
          h('td', { cls: 'detail' }, h('div', { text: originDetail(o, now) }), probe ? h('div', { cls: 'probe', text: probe }) : null));
      });
      return h('div', { cls: 'pool', 'data-pool': p.name, 'data-healthy': String(p.healthy) },
        h('div', { cls: 'pool-head' },
          h('span', { cls: 'swatch', 'data-color': colors[i] }),
          h('span', { cls: 'pool-name', text: p.name }), roles, health,
          h('span', { cls: 'share' }, share + ' %', h('small', { text: ' of answers' }))),
        h('div', { cls: 'pool-sub', text: p.upOrigins + ' of ' + p.enabledOrigins + ' origins up \u00b7 needs ' + p.minimumOrigins +
          (p.monitor ? ' \u00b7 monitor ' + p.monitor : ' \u00b7 no monitor') + (p.description ? ' \u00b7 ' + p.description : '') }),
        bar,
        h('table', { cls: 'origins' }, h('tbody', null, rows)));
    });
    // Rules in file order, with what each one alone would answer from now.
    var rules = lb.rules && lb.rules.length ? h('div', { cls: 'pool' },
      h('div', { cls: 'pool-head' }, h('span', { cls: 'pool-name', text: 'Rules' })),
      h('table', { cls: 'origins' }, h('tbody', null, lb.rules.map(function (r) {
        return h('tr', { 'data-rule': r.name },
          h('td', null, h('div', { text: r.name }), h('div', { cls: 'mono muted', text: r.condition })),
          h('td', { cls: 'detail', text: (r.continue ? 'continue \u00b7 ' : '') + (r.primaryPool ? 'answers from ' + r.primaryPool : 'no healthy pool') }));
      })))) : null;
    return h('article', { cls: 'card', 'data-lb': lb.owner, 'data-state': lb.state }, head, meta, traffic, pools, rules);
  }

  function transitionsPanel(data, now) {
    if (!data.transitions.length) return h('div', { cls: 'panel' }, h('div', { cls: 'empty', text: 'No health transitions yet.' }));
    return h('div', { cls: 'panel' }, h('table', null,
      h('thead', null, h('tr', null, h('th', { text: 'When' }), h('th', { text: 'Change' }), h('th', { text: 'Origins' }), h('th', { text: 'Reason' }))),
      h('tbody', null, data.transitions.slice(0, 15).map(function (t) {
        var names = t.origins.length ? t.origins.map(function (o) { return o.pool + '/' + o.origin; }).join(', ') : t.target;
        return h('tr', null,
          h('td', { cls: 'muted', text: age(now - t.at) + ' ago' }),
          h('td', null, t.up ? pill('s-ok', 'UP') : pill('s-bad', 'DOWN')),
          h('td', null, h('div', { text: names }), h('div', { cls: 'mono muted', text: t.target })),
          h('td', { cls: 'detail', text: t.reason }));
      }))));
  }

  function dnssecText(d) {
    if (!d) return 'unsigned';
    var active = d.keys.filter(function (k) { return k.active; }).map(function (k) { return k.tag + ' ' + k.role; });
    return 'signed: ' + (active.join(', ') || 'no active key');
  }

  function notificationsPanel(data, now) {
    return h('div', { cls: 'panel' }, h('table', null,
      h('thead', null, h('tr', null, h('th', { text: 'Receiver' }), h('th', { text: 'Delivered' }), h('th', { text: 'Failed' }),
        h('th', { text: 'Pending' }), h('th', { text: 'Last error' }))),
      h('tbody', null, data.notifications.map(function (n) {
        return h('tr', { 'data-receiver': n.zone + '/' + n.receiver },
          h('td', null, h('div', { text: n.receiver + ' (' + zoneName(n.zone) + ')' }), h('div', { cls: 'mono muted', text: n.endpoint })),
          h('td', { text: String(n.delivered) + (n.lastDeliveredAt ? ', last ' + age(now - n.lastDeliveredAt) + ' ago' : '') }),
          h('td', null, n.failed ? pill('s-bad', String(n.failed)) : h('span', { text: '0' })),
          h('td', { text: String(n.pending) }),
          h('td', { cls: 'detail', text: n.lastError || '' }));
      }))));
  }

  function zonesPanel(data, now) {
    return h('div', { cls: 'panel' }, h('table', null,
      h('thead', null, h('tr', null, h('th', { text: 'Zone' }), h('th', { text: 'Serial' }), h('th', { text: 'Records' }), h('th', { text: 'LBs' }), h('th', { text: 'DNSSEC' }), h('th', { text: 'Loaded' }))),
      h('tbody', null, data.zones.map(function (z) {
        return h('tr', { 'data-zone': z.name },
          h('td', { text: zoneName(z.name) }), h('td', { cls: 'mono', text: String(z.serial) }),
          h('td', { text: String(z.records) }), h('td', { text: String(z.loadBalancers) }),
          h('td', { text: dnssecText(z.dnssec), title: z.dnssec ? z.dnssec.ds.join('\\n') : '' }),
          h('td', { cls: 'muted', text: age(now - z.loadedAt) + ' ago' }));
      }))));
  }

  // Fleet mode only: /api/v1/fleet answers 404 when the server runs alone, and the section is left out.
  var fleet = null;
  var inFleet = document.body.getAttribute('data-fleet') === '1';
  function fleetPanel(f, now) {
    var state = f.degraded ? pill('s-bad', 'DEGRADED: STORE UNREACHABLE') : f.store.reachable ? pill('s-ok', 'STORE OK') : pill('s-warn', 'STORE UNREACHABLE');
    return h('div', { cls: 'panel' },
      h('p', null, state, ' this node: ' + f.node + ' (site ' + f.site + ') \u00b7 ' + plural(f.members.length, 'member', 'members') +
        ' \u00b7 ' + f.probersPerSite + ' probers per site \u00b7 health gen ' + f.healthGeneration +
        (f.configMismatch ? '' : ' \u00b7 config fingerprints agree')),
      f.configMismatch ? h('p', null, pill('s-bad', 'CONFIG MISMATCH'), ' ' + plural(f.configMismatch, 'node serves', 'nodes serve') + ' other zone or LB files') : null,
      h('table', null, h('tbody', null, f.members.map(function (m) {
        return h('tr', null, h('td', { text: m.node }), h('td', { text: m.site }), h('td', { text: 'v' + m.version }),
          h('td', null, m.mismatch ? pill('s-bad', m.fingerprint.slice(0, 8)) : h('span', { cls: 'muted', text: m.fingerprint.slice(0, 8) })),
          h('td', { text: 'probes ' + m.probing + ' (assigned ' + m.assigned + ')' }),
          h('td', { text: 'health gen ' + m.generation }),
          h('td', null, m.degraded ? pill('s-bad', 'DEGRADED') : null),
          h('td', { cls: 'muted', text: 'heartbeat ' + age(now - m.heartbeat) + ' ago' }));
      }))));
  }

  function render(data, error) {
    var nodes = [];
    if (error) nodes.push(h('div', { cls: 'banner', role: 'alert', text: 'Cannot reach the status API: ' + error +
      (last ? '. Showing data from ' + age(Date.now() - lastOkAt) + ' ago.' : '.') }));
    if (data) {
      var now = data.generatedAt;
      var down = 0, origins = 0;
      data.loadBalancers.forEach(function (lb) { lb.pools.forEach(function (p) { p.origins.forEach(function (o) { origins++; if (o.health === 'down') down++; }); }); });
      document.getElementById('ready').replaceChildren(data.ready ? pill('s-ok', 'READY') : pill('s-warn', 'NOT READY: ' + data.readiness));
      document.getElementById('summary').textContent = plural(data.loadBalancers.length, 'load balancer', 'load balancers') + ' \\u00b7 ' +
        plural(data.zones.length, 'zone', 'zones') + ' \\u00b7 ' + plural(origins, 'origin', 'origins') + ', ' + down + ' down \\u00b7 config gen ' +
        data.configGeneration + ', health gen ' + data.healthGeneration;
      if (fleet) nodes.push(h('section', { id: 'fleet' }, h('h2', { text: 'Fleet' }), fleetPanel(fleet, now)));
      nodes.push(h('h2', { text: 'Load balancers' }));
      nodes.push(data.loadBalancers.length ? h('div', { cls: 'grid' }, data.loadBalancers.map(function (lb) { return lbCard(lb, now); }))
        : h('div', { cls: 'panel' }, h('div', { cls: 'empty', text: 'No load balancers configured.' })));
      nodes.push(h('div', { cls: 'two' },
        h('section', null, h('h2', { text: 'Recent health transitions' }), transitionsPanel(data, now)),
        h('section', null, h('h2', { text: 'Zones' }), zonesPanel(data, now))));
      if (data.ramps && data.ramps.length) {
        nodes.push(h('section', null, h('h2', { text: 'Weight ramps' }), h('div', { cls: 'panel' }, h('table', null,
          h('thead', null, h('tr', null, h('th', { text: 'Origin or pool' }), h('th', { text: 'Weight' }), h('th', { text: 'State' }), h('th', { text: 'Why' }))),
          h('tbody', null, data.ramps.map(function (r) {
            var pool = r.kind === 'pool';
            return h('tr', { 'data-ramp': pool ? r.zone + '/' + r.loadBalancer + '/pool/' + r.pool : r.zone + '/' + r.pool + '/' + r.origin },
              h('td', { text: (pool ? 'pool ' + r.pool + ' in ' + r.loadBalancer : r.pool + '/' + r.origin + ' (' + zoneName(r.zone) + ')') }),
              h('td', { text: r.weight + ' (' + r.from + ' to ' + r.to + ')' }),
              h('td', null, r.state === 'aborted' ? pill('s-bad', 'ABORTED') : r.state === 'done' ? pill('s-ok', 'DONE') : pill('s-info', 'RUNNING')),
              h('td', { cls: 'detail', text: r.reason + (r.state === 'running' ? ', ends in ' + age(r.endsAt - now) : '') }));
          }))))));
      }
      if (data.overrides && data.overrides.length) {
        nodes.push(h('section', null, h('h2', { text: 'Operator overrides' }), h('div', { cls: 'panel' }, h('table', null,
          h('thead', null, h('tr', null, h('th', { text: 'Target' }), h('th', { text: 'Action' }), h('th', { text: 'Reason' }), h('th', { text: 'Author' }), h('th', { text: 'Expires' }))),
          h('tbody', null, data.overrides.map(function (o) {
            return h('tr', { 'data-override': o.id },
              h('td', { text: o.target + ' (' + zoneName(o.zone) + ')' }),
              h('td', null, o.action === 'force-up' ? pill('s-ok', 'FORCE-UP') : o.action === 'force-down' ? pill('s-bad', 'FORCE-DOWN') : pill('s-info', 'DRAIN')),
              h('td', { cls: 'detail', text: o.reason }),
              h('td', { text: o.author + ', ' + age(now - o.createdAt) + ' ago' }),
              h('td', { text: o.expiresAt === null ? 'never' : 'in ' + age(o.expiresAt - now) }));
          }))))));
      }
      if (data.notifications && data.notifications.length) {
        nodes.push(h('section', null, h('h2', { text: 'Notifications' }), notificationsPanel(data, now)));
      }
      var r = data.lastReload;
      nodes.push(h('footer', { text: (r ? 'Last reload ' + age(now - r.at) + ' ago: ' + (r.ok ? 'ok' : 'failed, ' + r.errors.length + ' error(s); previous version kept') + '. ' : 'No reload since start. ') +
        'Refreshes every ' + REFRESH_MS / 1000 + ' s. JSON: /api/v1/status \\u00b7 schema: /api/v1/status/schema \\u00b7 metrics: /metrics' }));
    }
    app.replaceChildren.apply(app, nodes);
    // Colours and widths through the CSSOM: the CSP forbids inline style attributes.
    app.querySelectorAll('[data-color]').forEach(function (el) { el.style.background = el.getAttribute('data-color'); });
    app.querySelectorAll('[data-width]').forEach(function (el) { el.style.width = el.getAttribute('data-width') + '%'; });
    document.getElementById('updated').textContent = lastOkAt ? 'updated ' + new Date(lastOkAt).toLocaleTimeString() : '';
    document.body.setAttribute('data-refreshes', String(refreshes));
    if (data) document.body.dispatchEvent(new CustomEvent('steerdns-status', { detail: data.configGeneration }));
  }

  function refresh() {
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    fetch('/api/v1/status', { headers: headers, cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status + (res.status === 401 ? ' (open the page as /?token=YOUR_TOKEN)' : ''));
        return res.json();
      })
      .then(function (data) {
        if (!inFleet) return data;
        return fetch('/api/v1/fleet', { headers: headers, cache: 'no-store' })
          .then(function (res) { return res.ok ? res.json() : null; }, function () { return null; })
          .then(function (f) { fleet = f; return data; });
      })
      .then(function (data) { last = data; lastOkAt = Date.now(); refreshes++; render(data, null); },
            function (err) { refreshes++; render(last, err && err.message ? err.message : String(err)); })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  refresh();

  // What-if views: heavier (a replay of recent traffic), so every 30 s, into their own element.
  var WHATIF_MS = 30000;
  var whatifApp = document.getElementById('whatif');
  function pct(n) { return (Math.round(n * 10) / 10) + ' %'; }
  function loadClass(u) { return u === null ? 's-off' : u > 1 ? 's-bad' : u > 0.8 ? 's-warn' : 's-ok'; }
  function loadWord(l) {
    if (!l || l.utilisation === null) return (l ? l.rate.toFixed(1) + '/s' : '') + ', no capacity';
    return l.rate.toFixed(1) + '/s, ' + pct(l.utilisation * 100) + ' of capacity' + (l.utilisation > 1 ? ' OVER' : '');
  }
  function scenariosPanel(sc) {
    var pools = sc.baseline.map(function (b) { return b.pool; });
    var rows = sc.scenarios.filter(function (s) { return s.kind === 'pool'; });
    if (!rows.length || !sc.queries) {
      return h('div', { cls: 'panel' }, h('div', { cls: 'empty', text: 'No recent traffic to replay yet (one query in ' + sc.sampleEvery + ' is kept).' }));
    }
    return h('div', { cls: 'panel' }, h('table', { cls: 'matrix', 'data-scenarios': String(rows.length) },
      h('thead', null, h('tr', null, h('th', { text: 'Failed pool \u2192 its traffic goes to' }), pools.map(function (p) { return h('th', { text: p }); }),
        h('th', { text: 'Lost answers' }))),
      h('tbody', null, rows.map(function (s) {
        var failed = s.pools[0];
        var moved = {};
        s.moves.forEach(function (m) { if (m.from === failed) { var to = m.to.replace(/ \\(fallback\\)$/, ''); moved[to] = (moved[to] || 0) + m.queries; } });
        var out = 0;
        for (var k in moved) out += moved[k];
        return h('tr', { 'data-failed': failed, 'data-flagged': String(s.flagged) },
          h('td', null, h('div', { text: failed }), s.flagged ? pill('s-bad', 'FLAGGED') : null),
          pools.map(function (p) {
            if (p === failed) return h('td', { cls: 'muted', text: 'failed' });
            var l = s.load.filter(function (x) { return x.pool === p; })[0];
            var share = out ? (moved[p] || 0) / out * 100 : 0;
            return h('td', null, h('span', { cls: 'cell ' + loadClass(l ? l.utilisation : null), 'data-to': p, 'data-over': String(!!(l && l.utilisation > 1)) },
              share ? pct(share) + ' of its traffic' : '\u2013', h('small', { text: loadWord(l) })));
          }),
          h('td', { text: String(s.lostAnswers) }));
      }))),
      h('div', { cls: 'probe', text: 'Over the last ' + sc.minutes + ' min of traffic (one query in ' + sc.sampleEvery + '), health as now. Cells: share of the failed pool\u2019s traffic, and the pool\u2019s load against its capacity in that scenario.' }));
  }
  function changedPanel(w) {
    if (!w.reload) return h('div', { cls: 'panel' }, h('div', { cls: 'empty', text: 'No reload has changed the configuration since start.' }));
    var lbs = w.loadBalancers.filter(function (l) { return l.moved > 0; });
    return h('div', { cls: 'panel', 'data-changed': String(w.totals.changed) },
      h('div', null, 'Reload at ' + new Date(w.reload.at).toLocaleTimeString() + ': of ' + w.totals.queries + ' queries in the ' + w.minutes + ' min before it, ' +
        w.totals.changed + ' would now be answered differently, ' + w.totals.lostAnswers + ' would lose their answer.'),
      lbs.length ? h('table', null,
        h('thead', null, h('tr', null, h('th', { text: 'Load balancer' }), h('th', { text: 'Moves' }), h('th', { text: 'Pools before \u2192 after' }))),
        h('tbody', null, lbs.map(function (l) {
          return h('tr', { 'data-lb': l.lb }, h('td', { text: l.lb }), h('td', { text: pct(l.shift) }),
            h('td', { text: l.pools.map(function (p) { return p.key + ' ' + pct(p.beforeShare) + ' \u2192 ' + pct(p.afterShare); }).join(', ') }));
        }))) : null,
      w.networks.length ? h('div', { cls: 'probe', text: 'Networks changed most: ' + w.networks.slice(0, 5).map(function (n) { return n.network + ' (' + n.before + ' \u2192 ' + n.after + ')'; }).join(', ') }) : null);
  }
  function getJson(path) {
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    return fetch(path, { headers: headers, cache: 'no-store' }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    });
  }
  var whatifTimer = null;
  function refreshWhatif() {
    if (whatifTimer !== null) { clearTimeout(whatifTimer); whatifTimer = null; }
    Promise.all([getJson('/api/v1/scenarios'), getJson('/api/v1/whatif/last-reload')])
      .then(function (r) {
        if (r[0].available === false) { whatifApp.replaceChildren(); return; }
        whatifApp.replaceChildren(
          h('h2', { text: 'Scenarios' }), scenariosPanel(r[0]),
          h('h2', { text: 'What changed at the last reload' }), changedPanel(r[1]));
        whatifApp.setAttribute('data-loaded', String(Date.now()));
      }, function (err) { whatifApp.replaceChildren(h('div', { cls: 'empty', text: 'What-if views unavailable: ' + (err && err.message ? err.message : String(err)) })); })
      .then(function () { if (whatifTimer === null) whatifTimer = setTimeout(refreshWhatif, WHATIF_MS); });
  }
  refreshWhatif();
  // A reload changes the configuration generation: draw "what changed" at once, not within 30 s.
  var seenConfigGeneration = null;
  document.body.addEventListener('steerdns-status', function (e) {
    var gen = e.detail;
    if (seenConfigGeneration !== null && gen !== seenConfigGeneration) refreshWhatif();
    seenConfigGeneration = gen;
  });
})();
`;

const BODY = `<header><div class="bar">
<h1>steerdns <span>status</span></h1>
<span id="ready"></span>
<span id="summary" class="summary"></span>
<span class="spacer"></span>
<span id="updated" class="summary"></span>
</div></header>
<main id="app"><p class="empty">Loading status…</p></main>
<main id="whatif"></main>`;

export interface StatusPage {
  readonly html: string;
  /** Content-Security-Policy header value for `html`. */
  readonly csp: string;
}

const built = new Map<boolean, StatusPage>();

/** The page; `fleet` adds the Fleet section (fed by /api/v1/fleet). */
export function statusPage(fleet = false): StatusPage {
  const cached = built.get(fleet);
  if (cached !== undefined) return cached;
  const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>steerdns status</title>
<style>${STYLE}</style>
</head>
<body${fleet ? ' data-fleet="1"' : ''}>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `style-src ${hash(STYLE)}`,
    `script-src ${hash(SCRIPT)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const page = { html, csp };
  built.set(fleet, page);
  return page;
}
