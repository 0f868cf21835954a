// Drives Debian's chromium headless (playwright-core, no browser download) through lbsim's
// dashboard and HTML report, asserting on what a person sees. Started by tests/it/ui.rs, which
// starts the servers and writes the report; prints one line per check and exits 1 on the first
// failure with what was expected and what the page showed.
//
// Environment: SG_URL (demo cluster, NLB security groups, admin token TOKEN), LEGACY_URL
// (worked-example cluster, NLBSecurityGroup off), WEB_MANIFEST, LEGACY_MANIFEST (with {{i}}),
// LEGACY_COUNT, REPORT_HTML, REPORT_CHARTS (the number of charts the report must show), OUT_DIR.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing environment variable ${k}`);
  return v;
};
const OUT = env('OUT_DIR');
const TIMEOUT = 20000;

function check(ok, what, detail) {
  if (!ok) {
    console.error(`FAILED: ${what}${detail ? `\n  the page showed: ${detail}` : ''}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

async function apply(base, yaml, token) {
  const headers = { 'content-type': 'application/yaml' };
  if (token) headers['x-lbsim-admin-token'] = token;
  const r = await fetch(`${base}/_lbsim/k8s/apply`, { method: 'POST', body: yaml, headers });
  if (!r.ok) throw new Error(`apply: HTTP ${r.status} ${await r.text()}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/403/.test(m.text())) errors.push(m.text()); });

  // ---- security-group mode, with the admin token -------------------------------------------
  const sg = env('SG_URL');
  await page.goto(sg + '/');
  check(page.url().endsWith('/_lbsim/ui'), 'GET / redirects to the dashboard', page.url());
  await page.locator('#token-form').waitFor({ state: 'visible', timeout: TIMEOUT });
  check(true, 'the page asks for the admin token');
  await page.fill('#token', env('TOKEN'));
  await page.click('#token-form button');
  await page.locator('#status.ok').waitFor({ timeout: TIMEOUT });
  check(await page.locator('#token-form').isHidden(), 'with the token the page is live and the form gone');

  await apply(sg, readFileSync(env('WEB_MANIFEST'), 'utf8'), env('TOKEN'));
  const lb = page.locator('.card.lb', { hasText: 'k8s-default-web-' });
  await lb.waitFor({ timeout: TIMEOUT });
  check((await lb.innerText()).includes('NLB'), 'the NLB of Service default/web is shown', await lb.innerText());
  const frontend = page.locator('.card.group.frontend', { hasText: 'default/web' });
  await frontend.waitFor({ timeout: TIMEOUT });
  const backend = page.locator('.card.group.backend');
  await backend.waitFor({ timeout: TIMEOUT });
  const node = page.locator('.card.group.node');
  await node.first().waitFor({ timeout: TIMEOUT });
  check(true, 'its frontend group, the backend group and the node group are shown');
  const [lbId, feId, beId, nodeId] = await Promise.all([lb, frontend, backend, node.first()].map((l) => l.getAttribute('data-node')));
  // The NLB is attached to both of its groups; the rule from the backend group to the node group.
  for (const g of [feId, beId]) {
    const n = await page.locator(`svg.edges path.attached[data-from="${lbId}"][data-to="${g}"]`).count();
    check(n === 1, `a connector from the NLB to its group ${g}`, `${n} connectors`);
  }
  const rule = page.locator(`.edge-label.rule[data-from="${beId}"][data-to="${nodeId}"]`);
  await rule.waitFor({ timeout: TIMEOUT });
  const ruleText = await rule.innerText();
  check(/^tcp 3\d{4}$/.test(ruleText), 'the rule from the backend group to the node group is labelled with its NodePort', ruleText);
  const any = await page.locator(`.edge-label.rule[data-from="cidr:0.0.0.0/0"][data-to="${feId}"]`).innerText();
  check(any === 'tcp 80', 'the frontend group opens tcp 80 to anywhere', any);

  await node.first().click();
  const row = page.locator('#detail tr', { hasText: beId });
  await row.waitFor({ timeout: TIMEOUT });
  const cells = await row.locator('td').allInnerTexts();
  check(cells[0] === 'ingress' && cells[2] === ruleText && /TargetGroupBinding k8s-default-web-/.test(cells[5]),
    'clicking the node group lists its rule: ingress, ports, the backend group as peer, the owning TargetGroupBinding', cells.join(' | '));
  const events = await page.locator('#events tbody tr', { hasText: 'SuccessfullyReconciled' }).count();
  check(events > 0, 'the Event stream shows SuccessfullyReconciled', `${events} rows`);
  const calls = await page.locator('#requests tbody tr', { hasText: 'CreateLoadBalancer' }).count();
  check(calls > 0, 'the recent API calls show CreateLoadBalancer', `${calls} rows`);
  await page.screenshot({ path: join(OUT, 'dashboard-sg-mode.png'), fullPage: true });

  // ---- legacy mode: the node group fills up -------------------------------------------------
  const legacy = env('LEGACY_URL');
  const page2 = await ctx.newPage();
  page2.on('pageerror', (e) => errors.push(String(e)));
  await page2.goto(legacy + '/_lbsim/ui');
  await page2.locator('#status.ok').waitFor({ timeout: TIMEOUT });
  const template = readFileSync(env('LEGACY_MANIFEST'), 'utf8');
  const count = Number(env('LEGACY_COUNT'));
  for (let i = 1; i <= count; i++) {
    await apply(legacy, template.replaceAll('{{i}}', String(i).padStart(2, '0')));
  }
  const nodeCard = page2.locator('.card.group.node').first();
  await nodeCard.waitFor({ timeout: TIMEOUT });
  const nodeName = (await nodeCard.locator('.name').innerText()).trim();
  const bar = page2.locator(`.quota[data-quota="rules-per-security-group"][data-scope^="${nodeName} "]`).first();
  await page2.waitForFunction((name) => {
    const q = document.querySelector(`.quota[data-quota="rules-per-security-group"][data-scope^="${name} "]`);
    return q && q.classList.contains('full');
  }, nodeName, { timeout: 60000 }).catch(() => {});
  const barText = await bar.innerText().catch(() => 'no bar');
  check(await bar.evaluate((q) => q.classList.contains('full')).catch(() => false) && barText.includes('60 / 60'),
    `after legacy Service #${count} the node group's rule bar is full`, barText);
  const fill = bar.locator('.fill');
  const [width, color, barWidth] = await fill.evaluate((f) => [f.getBoundingClientRect().width, getComputedStyle(f).backgroundColor, f.parentElement.getBoundingClientRect().width]);
  check(Math.abs(width - barWidth) < 1 && color === 'rgb(224, 49, 49)', 'the bar is filled to the end, and red', `width ${width} of ${barWidth}, ${color}`);
  const first = await page2.locator('#quotas .quota').first().getAttribute('data-scope');
  check(first.startsWith(nodeName + ' '), 'the full bar is listed first (largest share first)', first);
  const edge = page2.locator(`.edge-label.rule[data-from="cidr:0.0.0.0/0"][data-to="${await nodeCard.getAttribute('data-node')}"]`);
  const edgeText = await edge.innerText();
  check(edgeText.startsWith('60 rules · tcp 30000–'), 'the node group shows its 60 rules from anywhere as one connector', edgeText);
  await page2.locator('#requests tr.error', { hasText: 'RulesPerSecurityGroupLimitExceeded' }).first().waitFor({ timeout: TIMEOUT });
  check(true, 'the refused AuthorizeSecurityGroupIngress calls are highlighted in the API calls');
  await page2.locator('#events tr.warning', { hasText: 'RulesPerSecurityGroupLimitExceeded' }).first().waitFor({ timeout: TIMEOUT });
  check(true, 'the FailedReconcile Warning Events are highlighted');
  await page2.screenshot({ path: join(OUT, 'dashboard-legacy-full.png'), fullPage: true });
  await page2.setViewportSize({ width: 1600, height: 900 });
  await page2.screenshot({ path: join(OUT, 'dashboard.png') });

  // ---- the HTML report ----------------------------------------------------------------------
  const page3 = await ctx.newPage();
  page3.on('pageerror', (e) => errors.push(String(e)));
  await page3.goto('file://' + env('REPORT_HTML'));
  const charts = await page3.locator('svg.chart').count();
  check(charts === Number(env('REPORT_CHARTS')), `the report renders ${env('REPORT_CHARTS')} charts`, `${charts}`);
  const box = await page3.locator('section.comparison svg.chart').boundingBox();
  check(box && box.width > 300 && box.height > 150, 'the comparison chart is laid out', JSON.stringify(box));
  await page3.locator('section.comparison svg.chart').screenshot({ path: join(OUT, 'report-chart.png') });
  await page3.screenshot({ path: join(OUT, 'report.png') });
  check(errors.length === 0, 'no script errors on any page', errors.join('; '));
} finally {
  await browser.close();
}
console.log('browser: all checks passed');
