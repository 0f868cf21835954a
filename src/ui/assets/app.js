// The lbsim dashboard: polls GET /_lbsim/ui/overview once a second and redraws the topology,
// the quota bars, the Events and the recent API calls. No framework: the page is small and the
// whole view is redrawn from one JSON document only when that document changed.
'use strict';

const POLL_MS = 1000;
const QUOTAS_SHOWN = 16;
const state = { last: '', data: null, selected: null, allQuotas: false, token: sessionStorage.getItem('lbsim-token') || '' };

// A token in the address (#token=…) is taken once and removed from the visible URL.
(function takeTokenFromHash() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    state.token = decodeURIComponent(m[1]);
    sessionStorage.setItem('lbsim-token', state.token);
    history.replaceState(null, '', location.pathname + location.search);
  }
})();

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function setStatus(text, ok) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.className = 'status ' + (ok ? 'ok' : 'error');
}

async function poll() {
  try {
    const headers = state.token ? { 'x-lbsim-admin-token': state.token } : {};
    const resp = await fetch('/_lbsim/ui/overview', { headers, cache: 'no-store' });
    if (resp.status === 403) {
      const body = await resp.json().catch(() => ({}));
      document.getElementById('token-form').hidden = false;
      document.getElementById('token-error').textContent = state.token ? 'that token was refused' : '';
      setStatus((body.error && body.error.message) || 'forbidden', false);
      return;
    }
    if (!resp.ok) throw new Error('HTTP ' + resp.status);
    const text = await resp.text();
    document.getElementById('token-form').hidden = true;
    setStatus('live', true);
    if (text !== state.last) {
      state.last = text;
      state.data = JSON.parse(text);
      render();
    }
  } catch (e) {
    setStatus('lbsim unreachable: ' + e.message, false);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function render() {
  const d = state.data;
  document.getElementById('version').textContent = 'v' + d.version;
  document.getElementById('clock').textContent = d.time;
  renderTopology(d);
  renderDetail(d);
  renderQuotas(d);
  renderEvents(d);
  renderRequests(d);
}

// ---- topology --------------------------------------------------------------------------------

const ROLE_LABEL = { frontend: 'frontend group', backend: 'backend group', node: 'node group', lb: 'load balancer group', other: 'group' };

function clusterOf(d, account, region, vpc) {
  return d.clusters.find((c) => c.account === account && c.region === region && c.vpc_id === vpc);
}

function groupCard(g) {
  const full = g.rule_limit > 0 && g.ingress_rules >= g.rule_limit;
  return h('div', {
    class: `card group ${g.role}` + (state.selected === g.id ? ' selected' : ''),
    'data-node': g.id, 'data-role': g.role, title: 'click for its rules',
    onclick: () => { state.selected = state.selected === g.id ? null : g.id; render(); },
  },
  h('div', { class: 'kind' }, ROLE_LABEL[g.role] || 'group'),
  h('div', { class: 'name' }, g.name),
  h('div', { class: 'sub' }, g.id),
  h('div', { class: 'sub' }, g.owner),
  h('div', {}, h('span', { class: 'badge' + (full ? ' full' : '') }, `${g.ingress_rules} / ${g.rule_limit} inbound rules`),
    g.interfaces ? h('span', { class: 'badge' }, `${g.interfaces} interfaces`) : null));
}

function lbCard(lb) {
  return h('div', { class: 'card lb', 'data-node': lb.id, 'data-type': lb.type },
    h('div', { class: 'kind' }, `${lb.label} · ${lb.scheme}`),
    h('div', { class: 'name' }, lb.name),
    h('div', { class: 'sub' }, lb.owner || 'not the controller\'s'),
    h('div', { class: 'sub' }, lb.dns_name),
    h('div', {}, lb.listeners.map((l) => h('span', { class: 'badge' }, l)),
      lb.security_groups.length === 0 ? h('span', { class: 'badge' }, 'no security groups') : null),
    h('div', { class: 'sub', title: lb.target_groups.map((t) => `${t.name} ${t.protocol}:${t.port} ${t.target_type}, ${t.targets} targets`).join('\n') },
      `→ ${lb.target_groups.length} target group${lb.target_groups.length === 1 ? '' : 's'} (${lb.target_groups.map((t) => t.port).join(', ')}), ` +
      `${lb.target_groups.reduce((n, t) => n + t.targets, 0)} targets`));
}

function instanceCard(i) {
  return h('div', { class: 'card instance', 'data-node': i.id },
    h('div', { class: 'kind' }, `instance · ${i.state}`),
    h('div', { class: 'name' }, i.name || i.id),
    h('div', { class: 'sub' }, `${i.id} · ${i.private_ip} · ${i.availability_zone}`),
    i.interfaces.map((e) => h('div', { class: 'sub' }, `${e.id}${e.primary ? ' (primary)' : ''}: ${e.security_groups.join(', ')}`)));
}

function renderTopology(d) {
  const root = document.getElementById('topology');
  root.replaceChildren(h('h2', {}, 'Topology'));
  let any = false;
  for (const r of d.regions) {
    for (const v of r.vpcs) {
      any = true;
      const c = clusterOf(d, r.account, r.region, v.id);
      const title = `${c ? 'cluster ' + c.name + ' · ' : ''}${r.account} · ${r.region} · ${v.id} ${v.name ? '(' + v.name + ') ' : ''}${v.cidr}`;
      const lbGroups = v.groups.filter((g) => g.role === 'frontend' || g.role === 'backend' || g.role === 'lb' || g.role === 'other');
      const nodeGroups = v.groups.filter((g) => g.role === 'node');
      const col = (name, cards) => h('div', { class: 'col' }, h('div', { class: 'col-title' }, name), cards.length ? cards : h('div', { class: 'muted' }, '—'));
      const grid = h('div', { class: 'grid' },
        col('Sources', v.sources.map((s) => h('div', { class: 'card source', 'data-node': s.id }, h('div', { class: 'kind' }, 'CIDR'), h('div', { class: 'name' }, s.label)))),
        col('Load balancers', v.load_balancers.map(lbCard)),
        col('Load balancer groups', lbGroups.map(groupCard)),
        col('Node groups', nodeGroups.map(groupCard)),
        col('Instances', v.instances.map(instanceCard)));
      const section = h('div', { class: 'vpc', 'data-vpc': v.id }, h('div', { class: 'vpc-title' }, title), grid);
      root.append(section);
      section._edges = v.edges;
    }
  }
  if (!any) root.append(h('p', { class: 'muted' }, 'No VPC with load balancers or instances yet.'));
  requestAnimationFrame(drawEdges);
}

const SVG = 'http://www.w3.org/2000/svg';

function drawEdges() {
  for (const section of document.querySelectorAll('.vpc')) {
    const grid = section.querySelector('.grid');
    grid.querySelectorAll('svg.edges, .edge-label').forEach((e) => e.remove());
    const box = grid.getBoundingClientRect();
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'edges');
    const find = (id) => grid.querySelector(`[data-node="${CSS.escape(id)}"]`);
    for (const e of section._edges || []) {
      const a = find(e.from), b = find(e.to);
      if (!a || !b) continue;
      const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
      let x1 = ra.right - box.left, x2 = rb.left - box.left;
      if (rb.left < ra.left) { x1 = ra.left - box.left; x2 = rb.right - box.left; }
      const y1 = ra.top + ra.height / 2 - box.top, y2 = rb.top + rb.height / 2 - box.top;
      const dx = Math.max(30, Math.abs(x2 - x1) / 2) * (x2 >= x1 ? 1 : -1);
      const hot = e.kind === 'rule' && b.dataset.role === 'node' && b.querySelector('.badge.full');
      const p = document.createElementNS(SVG, 'path');
      p.setAttribute('d', `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`);
      p.setAttribute('class', e.kind + (hot ? ' hot' : ''));
      p.dataset.from = e.from;
      p.dataset.to = e.to;
      svg.append(p);
      if (e.label) {
        // The label sits near the target, where fan-in lines are already apart.
        const t = 0.75;
        const lx = (1 - t) ** 3 * x1 + 3 * (1 - t) ** 2 * t * (x1 + dx) + 3 * (1 - t) * t * t * (x2 - dx) + t ** 3 * x2;
        const ly = (1 - t) ** 3 * y1 + 3 * (1 - t) ** 2 * t * y1 + 3 * (1 - t) * t * t * y2 + t ** 3 * y2;
        const l = h('div', { class: 'edge-label ' + e.kind + (hot ? ' hot' : ''), 'data-from': e.from, 'data-to': e.to }, e.label);
        l.style.left = lx + 'px';
        l.style.top = ly + 'px';
        grid.append(l);
      }
    }
    grid.prepend(svg);
  }
}

window.addEventListener('resize', () => requestAnimationFrame(drawEdges));

// ---- the selected group ------------------------------------------------------------------------

function renderDetail(d) {
  const aside = document.getElementById('detail');
  let g = null;
  for (const r of d.regions) for (const v of r.vpcs) for (const x of v.groups) if (x.id === state.selected) g = x;
  if (!g) { aside.hidden = true; aside.replaceChildren(); return; }
  aside.hidden = false;
  const rows = g.rules.map((r) => h('tr', { 'data-rule': r.id },
    h('td', {}, r.direction), h('td', {}, r.family), h('td', {}, r.ports), h('td', {}, r.peer), h('td', {}, r.description), h('td', {}, r.owner)));
  aside.replaceChildren(
    h('h2', {}, `${g.name} `, h('small', {}, g.id)),
    h('div', { class: 'muted' }, `${ROLE_LABEL[g.role]} · ${g.owner}`),
    h('div', { class: 'scroll' }, h('table', { class: 'rules' },
      h('thead', {}, h('tr', {}, ['direction', 'family', 'ports', 'peer', 'description', 'owned by'].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows))),
    h('button', { type: 'button', onclick: () => { state.selected = null; render(); } }, 'close'));
}

// ---- quotas, Events, requests ------------------------------------------------------------------

function renderQuotas(d) {
  const rows = d.regions.flatMap((r) => r.quotas.map((q) => ({ ...q, where: `${r.account} ${r.region}` })));
  rows.sort((a, b) => b.percent - a.percent || b.used - a.used);
  const shown = state.allQuotas ? rows : rows.slice(0, QUOTAS_SHOWN);
  const box = document.getElementById('quotas');
  box.replaceChildren(...shown.map((q) => {
    const cls = q.percent >= 100 ? 'full' : q.percent >= 80 ? 'warn' : 'ok';
    const fill = h('div', { class: 'fill' });
    fill.style.width = Math.min(100, q.percent) + '%';
    return h('div', { class: 'quota ' + cls, 'data-quota': q.quota, 'data-scope': q.scope },
      h('div', { class: 'head' }, h('span', {}, q.label), h('span', { class: 'used' }, `${q.used} / ${q.limit}`)),
      h('div', { class: 'bar', role: 'meter', 'aria-valuenow': q.used, 'aria-valuemax': q.limit, 'aria-label': q.label }, fill),
      h('div', { class: 'scope' }, q.scope));
  }));
  const more = document.getElementById('quotas-more');
  more.hidden = rows.length <= QUOTAS_SHOWN;
  more.textContent = state.allQuotas ? 'show fewer' : `show all ${rows.length}`;
  more.onclick = () => { state.allQuotas = !state.allQuotas; render(); };
}

function renderEvents(d) {
  const rows = d.clusters.flatMap((c) => c.events.map((e) => ({ ...e, cluster: c.name })));
  rows.sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0));
  document.querySelector('#events tbody').replaceChildren(...rows.map((e) => h('tr', { class: e.type === 'Warning' ? 'warning' : '' },
    h('td', { class: 'nowrap' }, e.last.replace(/^.*T/, '').replace(/\..*$/, '')), h('td', {}, e.cluster), h('td', {}, e.type), h('td', {}, e.reason),
    h('td', {}, `${e.kind} ${e.namespace ? e.namespace + '/' : ''}${e.name}`), h('td', {}, e.count), h('td', {}, e.message))));
}

function renderRequests(d) {
  document.querySelector('#requests tbody').replaceChildren(...d.requests.map((r) => h('tr', { class: r.status >= 400 ? 'error' : '' },
    h('td', { class: 'nowrap' }, r.time.replace(/^.*T/, '').replace(/\..*$|\+.*$|Z$/, '')), h('td', {}, r.service || ''), h('td', {}, r.action || ''),
    h('td', {}, r.status), h('td', {}, r.error_code || ''), h('td', {}, r.duration_ms.toFixed(1)))));
}

document.getElementById('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = document.getElementById('token').value.trim();
  sessionStorage.setItem('lbsim-token', state.token);
});

poll();
