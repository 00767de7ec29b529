// The SLA page at `/`: server-rendered HTML, no front-end build. Every configured feed with
// its state, pending changes, oldest pending age and a countdown to its nearest deadline;
// open alerts, recent breaches and recent takedowns. It reloads itself every 30 seconds and
// a few lines of script tick the countdowns in between. Everything shown is escaped: item
// ids, titles and error messages come from feeds.
import type { Config, FeedSpec } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { systemClock } from '../clock.js';
import { slaBoard } from '../sla/board.js';
import { formatDuration } from '../sla/deadlines.js';
import { feedLabel } from '../sla/subjects.js';
import type { Viewer } from './auth.js';
import { DASHBOARD_SCRIPT_PATH } from './dashboard-script.js';
import { headlineFor } from './headline.js';
import { escapeHtml } from './html.js';
import { CSRF_FIELD } from './session.js';

export const DASHBOARD_REFRESH_SECONDS = 30;

export interface DashboardDeps {
  db: Database;
  sla: Config['sla'];
  source: string;
  feeds: readonly FeedSpec[];
  now?: () => Date;
  /** Who is looking: a login session gets a sign-out button carrying its CSRF token. */
  viewer?: Viewer;
}

/** "just now", "12 min ago", "3 h ago", "4 d ago": the same words as the page script. */
export function relativeTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export async function renderDashboard(deps: DashboardDeps): Promise<string> {
  const board = await slaBoard(deps.db, { sla: deps.sla, feeds: deps.feeds, now: (deps.now ?? systemClock)() });
  const { now, snapshot, alerts, breaches, takedowns } = board;
  const { overall, headline } = headlineFor(snapshot, alerts, deps.sla.windowHours);
  /** Relative ("3 h ago"), the ISO time on hover; the page script keeps it current. */
  const ago = (at: Date) => `<time class="ago" datetime="${at.toISOString()}" title="${at.toISOString()}">${escapeHtml(relativeTime((now.getTime() - at.getTime()) / 1000))}</time>`;

  const countdown = (deadline: Date | null) => deadline
    ? `<span class="countdown" data-deadline="${deadline.getTime()}">${escapeHtml(formatDuration((deadline.getTime() - now.getTime()) / 1000))}</span>`
    : '—';
  const feedRows = board.feeds.map((r) => `
      <tr class="state-${r.state}">
        <td>${escapeHtml(r.label)}</td>
        <td><span class="badge ${r.state}">${escapeHtml(r.state)}</span></td>
        <td>${escapeHtml(r.lastApplied ?? '—')}${r.lagDays === null ? '' : ` <small>(${r.lagDays} d)</small>`}</td>
        <td class="num">${r.runs.length}</td>
        <td class="num">${r.pendingChanges}</td>
        <td class="num">${r.oldestAgeSeconds === null ? '—' : escapeHtml(formatDuration(r.oldestAgeSeconds))}</td>
        <td class="num">${countdown(r.deadline)}</td>
        <td class="num">${r.alerts}</td>
      </tr>`).join('');
  const runRows = snapshot.runs.map((r) => `
      <tr class="state-${r.state}">
        <td class="num">${r.id}</td><td>${escapeHtml(feedLabel(r))}</td><td>${escapeHtml(r.status)}</td>
        <td class="num">${r.batchesApplied}/${r.batchesTotal ?? '?'}</td>
        <td class="num">${r.pendingInserts}/${r.pendingUpdates}/${r.pendingDeletes}</td>
        <td>${ago(r.publishedAt)}</td><td class="num">${countdown(r.deadline)}</td>
        <td><span class="badge ${r.state}">${escapeHtml(r.state)}</span></td>
      </tr>`).join('');
  const alertRows = alerts.map((a) => `
      <tr class="state-${a.state}">
        <td><span class="badge ${a.state}">${escapeHtml(a.state)}</span></td><td>${escapeHtml(a.kind)}</td>
        <td>${escapeHtml(a.message)}</td><td>${ago(a.openedAt)}</td>
        <td>${a.acknowledged ? `<span class="ack">acknowledged by ${escapeHtml(a.acknowledged.by)} ${ago(a.acknowledged.at)}${a.acknowledged.note ? `: ${escapeHtml(a.acknowledged.note)}` : ''}</span>` : '<span class="unack">not acknowledged</span>'}</td>
      </tr>`).join('');
  const breachRows = breaches.map((b) => `
      <tr><td>${ago(b.createdAt)}</td><td>${escapeHtml(b.kind)}</td><td>${escapeHtml(b.message)}</td></tr>`).join('');
  const takedownRows = takedowns.map((t) => {
    const latency = t.latencySeconds;
    const within = t.withinWindow === null ? '—' : t.withinWindow ? 'yes' : '<strong>no</strong>';
    return `
      <tr><td>${escapeHtml(t.entity)} ${escapeHtml(t.itemId)}</td><td>${escapeHtml(t.country)}</td><td>${escapeHtml(t.feed ?? t.reason)}</td>
        <td>${ago(t.appliedAt)}</td><td class="num">${latency === null ? '—' : escapeHtml(formatDuration(latency))}</td><td>${within}</td></tr>`;
  }).join('');
  const signOut = deps.viewer?.csrf
    ? ` · ${escapeHtml(deps.viewer.user)} <form method="post" action="logout" class="inline"><input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(deps.viewer.csrf)}"><button type="submit" id="sign-out">Sign out</button></form>`
    : '';
  const empty = (cols: number, text: string) => `<tr><td colspan="${cols}" class="empty">${escapeHtml(text)}</td></tr>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${DASHBOARD_REFRESH_SECONDS}">
<title>${overall === 'ok' ? '' : overall === 'breach' ? '[BREACH] ' : '[warning] '}feedline SLA</title>
<style>
  :root { --ok: #1a7f37; --warning: #9a6700; --breach: #cf222e; --missing: #8250df; --muted: #57606a; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1.2rem 2rem 3rem; max-width: 1400px; color: #1f2328; }
  header { display: flex; align-items: baseline; gap: 1.2rem; flex-wrap: wrap; border-bottom: 4px solid var(--${overall === 'ok' ? 'ok' : overall}); padding-bottom: .6rem; }
  h1 { font-size: 1.5rem; margin: 0; } h2 { font-size: 1.1rem; margin: 1.8rem 0 .5rem; }
  .headline { font-size: 1.15rem; font-weight: 600; color: var(--${overall === 'ok' ? 'ok' : overall}); }
  .meta { color: var(--muted); margin-left: auto; font-size: .9rem; } .meta a { color: inherit; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } td.empty { color: var(--muted); font-style: italic; }
  .badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-size: .8rem; font-weight: 600; color: #fff; background: var(--muted); }
  .badge.ok { background: var(--ok); } .badge.warning { background: var(--warning); } .badge.breach { background: var(--breach); } .badge.missing { background: var(--missing); }
  tr.state-breach td { background: #ffebe9; } tr.state-warning td { background: #fff8c5; } tr.state-missing td { background: #fbefff; }
  small { color: var(--muted); } time.ago, .ack, .unack { white-space: nowrap; } .unack { color: var(--muted); }
  form.inline { display: inline; } form.inline button { font: inherit; padding: 0 .4rem; }
</style>
</head>
<body data-now="${now.getTime()}">
<header>
  <h1>feedline SLA</h1>
  <span class="headline" id="headline">${escapeHtml(headline)}</span>
  <span class="meta">window ${deps.sla.windowHours} h, warning at ${deps.sla.warningHours} h · as of ${escapeHtml(now.toISOString().replace('T', ' ').slice(0, 19))} UTC · refreshes every ${DASHBOARD_REFRESH_SECONDS} s · <a href="admin/queues">queues</a> · <a href="metrics">metrics</a>${signOut}</span>
</header>

<h2>Feeds</h2>
<table id="feeds">
  <thead><tr><th>Feed</th><th>State</th><th>Last applied</th><th class="num">Pending runs</th><th class="num">Pending changes</th><th class="num">Oldest pending</th><th class="num">Deadline in</th><th class="num">Alerts</th></tr></thead>
  <tbody>${feedRows || empty(8, 'No feeds configured or received yet')}</tbody>
</table>

<h2>Pending runs</h2>
<table id="pending">
  <thead><tr><th class="num">Run</th><th>Feed</th><th>Status</th><th class="num">Batches</th><th class="num">I/U/D pending</th><th>Published</th><th class="num">Deadline in</th><th>SLA</th></tr></thead>
  <tbody>${runRows || empty(8, 'Nothing pending')}</tbody>
</table>

<h2>Open alerts</h2>
<table id="alerts">
  <thead><tr><th>State</th><th>Kind</th><th>Message</th><th>Since</th><th>Acknowledged</th></tr></thead>
  <tbody>${alertRows || empty(5, 'No open alerts')}</tbody>
</table>

<h2>Recent breaches</h2>
<table id="breaches">
  <thead><tr><th>When</th><th>Kind</th><th>Message</th></tr></thead>
  <tbody>${breachRows || empty(3, 'No breaches recorded')}</tbody>
</table>

<h2>Recent takedowns (7 days)</h2>
<table id="takedowns">
  <thead><tr><th>Item</th><th>Country</th><th>Feed</th><th>Applied</th><th class="num">Latency</th><th>Within window</th></tr></thead>
  <tbody>${takedownRows || empty(6, 'No takedowns in the last 7 days')}</tbody>
</table>
<script src="${DASHBOARD_SCRIPT_PATH.slice(1)}" defer></script>
</body>
</html>
`;
}
