// The Fleet dashboard webview: plain DOM, no framework. The extension posts every row once
// ({ type: 'rows', rows, message }) and then small updates ({ type: 'update', updates }: a new row, the fields
// of one row that changed, or a removal); only the touched cells are redrawn and only a row whose sort key changed
// moves. Rows come from src/fleet/dashboard.ts (DashboardRow). Enter or a click on a row posts { type: 'reveal', id }.
// Everything from the extension goes in as textContent or attributes, never as HTML.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  const HEALTH = { down: 0, degraded: 1, unknown: 2, healthy: 3 };
  const STATUS = { error: 0, warning: 1, progress: 2, unknown: 3, ok: 4 };

  const ratio = (a, b) => (b ? a / b : -1);
  // Each column: what it sorts on, which row fields it shows, how it draws a cell.
  const COLUMNS = [
    { key: 'name', label: 'Cluster', fields: ['id'], sort: (r) => r.id, draw: drawName },
    { key: 'phase', label: 'Phase', fields: ['phase', 'status'], sort: (r) => STATUS[r.status] * 100 + r.phase.length, draw: drawPhase },
    { key: 'version', label: 'Version', fields: ['version', 'target'], sort: (r) => r.version, draw: drawVersion },
    { key: 'cp', label: 'Control plane', fields: ['cpReady', 'cpTotal'], sort: (r) => ratio(r.cpReady, r.cpTotal), draw: drawCp },
    {
      key: 'etcd',
      label: 'etcd',
      fields: ['etcd', 'etcdHealth', 'etcdReady', 'etcdTotal'],
      sort: (r) => HEALTH[r.etcdHealth],
      draw: drawEtcd,
    },
    { key: 'db', label: 'etcd DB (1 h)', fields: ['dbSize', 'spark'], sort: (r) => (r.dbSize === undefined ? -1 : r.dbSize), draw: drawDb },
    {
      key: 'machines',
      label: 'Machines',
      fields: ['machinesReady', 'machinesTotal'],
      sort: (r) => ratio(r.machinesReady, r.machinesTotal),
      draw: drawMachines,
    },
    { key: 'last', label: 'Last event', fields: ['lastMessage', 'lastTime'], sort: (r) => r.lastTime || '', draw: drawLast },
  ];

  const table = document.getElementById('fleet');
  const headRow = table.tHead.rows[0];
  const body = table.tBodies[0];
  const filterInput = document.getElementById('filter');
  const count = document.getElementById('count');
  const empty = document.getElementById('empty');

  /** id → { row, tr, cells, visible } */
  const entries = new Map();
  /** ids in display order */
  let order = [];
  const saved = vscode.getState() || {};
  let sortKey = saved.sortKey || 'phase';
  let sortDir = saved.sortDir || 1;
  let filter = saved.filter || '';
  filterInput.value = filter;

  // ---- cells ----
  function text(parent, tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    parent.appendChild(el);
    return el;
  }
  function drawName(td, r) {
    text(td, 'span', r.name, 'name');
    text(td, 'span', r.namespace, 'ns');
  }
  function drawPhase(td, r) {
    text(td, 'span', r.phase, 'pill status-' + r.status);
  }
  function drawVersion(td, r) {
    td.append(r.version);
    if (r.target) text(td, 'span', '→ ' + r.target, 'target');
  }
  function drawCp(td, r) {
    text(td, 'span', r.cpTotal ? r.cpReady + '/' + r.cpTotal : '–', r.cpTotal && r.cpReady === r.cpTotal ? 'ok' : 'warn');
  }
  function drawEtcd(td, r) {
    text(td, 'span', r.etcdHealth, 'pill health-' + r.etcdHealth);
    if (r.etcdTotal) text(td, 'span', ' ' + r.etcdReady + '/' + r.etcdTotal, 'dim');
    td.title = r.etcd;
  }
  function drawDb(td, r) {
    text(td, 'span', humanBytes(r.dbSize), 'size');
    if (!r.spark) return;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 60 16');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'etcd DB size over the last hour');
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', r.spark);
    svg.appendChild(line);
    td.appendChild(svg);
  }
  function drawMachines(td, r) {
    text(td, 'span', r.machinesReady + '/' + r.machinesTotal, r.machinesReady === r.machinesTotal ? 'ok' : 'warn');
  }
  function drawLast(td, r) {
    if (r.lastTime) {
      const t = text(td, 'time', shortTime(r.lastTime), 'dim');
      t.dateTime = r.lastTime;
    }
    if (r.lastMessage) text(td, 'span', ' ' + r.lastMessage, 'msg');
    td.title = r.lastMessage || '';
  }
  function humanBytes(n) {
    if (n === undefined || n === null) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return n.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
  }
  function shortTime(iso) {
    const d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // ---- rows ----
  function buildRow(r) {
    const tr = document.createElement('tr');
    tr.tabIndex = 0;
    tr.dataset.id = r.id;
    const cells = COLUMNS.map((c, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.scope = 'row';
      c.draw(td, r);
      tr.appendChild(td);
      return td;
    });
    tr.className = 'row-' + r.status;
    return { row: r, tr, cells, visible: true };
  }
  function redraw(e, fields) {
    COLUMNS.forEach((c, i) => {
      if (!c.fields.some((f) => f in fields)) return;
      const td = e.cells[i];
      td.textContent = '';
      td.removeAttribute('title');
      c.draw(td, e.row);
    });
    e.tr.className = 'row-' + e.row.status;
  }
  function matches(r) {
    if (!filter) return true;
    const hay = (r.id + ' ' + r.phase + ' ' + r.version + ' ' + (r.target || '') + ' ' + r.etcdHealth + ' ' + (r.lastMessage || '')).toLowerCase();
    return filter
      .toLowerCase()
      .split(/\s+/)
      .every((w) => hay.includes(w));
  }
  function compare(a, b) {
    const col = COLUMNS.find((c) => c.key === sortKey);
    const x = col.sort(a);
    const y = col.sort(b);
    const d = x < y ? -1 : x > y ? 1 : 0;
    return d * sortDir || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  // ---- whole table ----
  function renderAll(rows, message) {
    entries.clear();
    const frag = document.createDocumentFragment();
    const sorted = rows.slice().sort(compare);
    order = sorted.map((r) => r.id);
    for (const r of sorted) {
      const e = buildRow(r);
      entries.set(r.id, e);
      e.visible = matches(e.row);
      e.tr.hidden = !e.visible;
      frag.appendChild(e.tr);
    }
    body.replaceChildren(frag);
    empty.hidden = rows.length > 0;
    empty.textContent = message || 'No business clusters in this meta cluster.';
    showCount();
  }
  function resort() {
    order = [...entries.values()]
      .map((e) => e.row)
      .sort(compare)
      .map((r) => r.id);
    const frag = document.createDocumentFragment();
    for (const id of order) frag.appendChild(entries.get(id).tr);
    body.replaceChildren(frag);
  }
  function showCount() {
    let shown = 0;
    for (const e of entries.values()) if (e.visible) shown++;
    count.textContent = shown === entries.size ? entries.size + ' clusters' : shown + ' of ' + entries.size + ' clusters';
  }

  // ---- one row at a time ----
  /** Where `id` belongs in `order` (without it), by binary search. */
  function slot(row) {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(entries.get(order[mid]).row, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  function place(e) {
    const at = slot(e.row);
    const before = order[at];
    order.splice(at, 0, e.row.id);
    body.insertBefore(e.tr, before ? entries.get(before).tr : null);
  }
  function unplace(id) {
    const i = order.indexOf(id);
    if (i >= 0) order.splice(i, 1);
  }
  function applyUpdate(u) {
    const e = entries.get(u.id);
    if (u.removed) {
      if (!e) return;
      unplace(u.id);
      e.tr.remove();
      entries.delete(u.id);
    } else if (u.row) {
      if (e) applyUpdate({ id: u.id, removed: true });
      const n = buildRow(u.row);
      entries.set(u.id, n);
      n.visible = matches(n.row);
      n.tr.hidden = !n.visible;
      place(n);
    } else if (e) {
      const col = COLUMNS.find((c) => c.key === sortKey);
      const before = col.sort(e.row);
      e.row = Object.assign({}, e.row, u.set);
      redraw(e, u.set);
      if (col.sort(e.row) !== before) {
        unplace(u.id);
        place(e);
      }
      e.visible = matches(e.row);
      e.tr.hidden = !e.visible;
    }
  }

  // ---- header, filter, keyboard ----
  function buildHeader() {
    for (const c of COLUMNS) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = 'col-' + c.key;
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.key = c.key;
      b.textContent = c.label;
      th.appendChild(b);
      headRow.appendChild(th);
    }
    showSort();
  }
  function showSort() {
    for (const th of headRow.cells) {
      const key = th.firstChild.dataset.key;
      th.setAttribute('aria-sort', key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }
  function save() {
    vscode.setState({ sortKey, sortDir, filter });
  }
  headRow.addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (b.dataset.key === sortKey) sortDir = -sortDir;
    else {
      sortKey = b.dataset.key;
      sortDir = 1;
    }
    showSort();
    resort();
    save();
  });
  filterInput.addEventListener('input', () => {
    filter = filterInput.value.trim();
    for (const e of entries.values()) {
      e.visible = matches(e.row);
      e.tr.hidden = !e.visible;
    }
    showCount();
    save();
  });
  function reveal(tr) {
    if (tr && tr.dataset.id) vscode.postMessage({ type: 'reveal', id: tr.dataset.id });
  }
  body.addEventListener('click', (ev) => reveal(ev.target.closest('tr')));
  body.addEventListener('keydown', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr) return;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      reveal(tr);
      return;
    }
    const step = ev.key === 'ArrowDown' ? 'nextElementSibling' : ev.key === 'ArrowUp' ? 'previousElementSibling' : undefined;
    if (!step) return;
    ev.preventDefault();
    let next = tr[step];
    while (next && next.hidden) next = next[step];
    if (next) next.focus();
  });

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (m.type === 'rows') {
      renderAll(m.rows, m.message);
    } else if (m.type === 'update') {
      for (const u of m.updates) applyUpdate(u);
      empty.hidden = entries.size > 0;
      showCount();
    }
  });

  buildHeader();
  vscode.postMessage({ type: 'ready' });
})();
