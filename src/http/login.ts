// The login page for people, and logout. A person signs in once with the dashboard user and
// password (or pastes the token) and gets a session cookie (src/http/session.ts); machines
// keep sending `Authorization: Bearer` (src/http/auth.ts). Failed logins are counted per
// client address and refused for a while after too many; each is logged without the secret.
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { safeEqual } from './compare.js';
import { escapeHtml } from './html.js';
import { verifyPassword } from './passwords.js';
import { clearSessionCookies, CSRF_FIELD, csrfToken, decodeSession, newSession, readCookie, SESSION_COOKIE, sessionKey, sentCsrfToken, setSessionCookies, type Role } from './session.js';
import { systemClock } from '../clock.js';

export const LOGIN_PATH = '/login';
export const LOGOUT_PATH = '/logout';
const LOGIN_CSRF_COOKIE = 'feedline_login';
/** At most this many failed logins per client address per window; then 429 until the window ends. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;

type HttpConfig = Config['http'];

/** The role the given credentials earn, or undefined. Every configured check runs, whatever matches. */
export async function checkCredentials(http: HttpConfig, given: { user: string; password: string; token: string }): Promise<Role | undefined> {
  const matches = async (user: string | undefined, password: string | undefined, hash: string | undefined) => {
    if (!user || (!password && !hash) || !given.user) return false;
    const userOk = safeEqual(given.user, user);
    const passwordOk = hash ? await verifyPassword(given.password, hash) : safeEqual(given.password, password!);
    return userOk && passwordOk;
  };
  if (await matches(http.adminUser, http.adminPassword, http.adminPasswordHash)) return 'admin';
  if (await matches(http.user, http.password, http.passwordHash)) return 'viewer';
  if (http.token && given.token && safeEqual(given.token, http.token)) return 'viewer';
  return undefined;
}

/** Only a path on this server: never `//host` or an absolute URL, which would make the login an open redirect. */
function safeNext(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : fallback;
}

function loginPage(options: { csrf: string; next: string; error?: string; token: boolean; action: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · feedline</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}input{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}
button{margin-top:1rem;padding:.4rem 1.2rem;font:inherit}.error{color:#cf222e;font-weight:600}small{color:#57606a}</style></head>
<body><h1>feedline</h1>
${options.error ? `<p class="error" id="login-error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="${escapeHtml(options.action)}">
<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(options.csrf)}"><input type="hidden" name="next" value="${escapeHtml(options.next)}">
<label for="user">User</label><input id="user" name="user" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
${options.token ? '<label for="token">or the dashboard token</label><input id="token" name="token" type="password" autocomplete="off">' : ''}
<button type="submit">Sign in</button></form>
<p><small>Scripts and Prometheus use <code>Authorization: Bearer</code> instead.</small></p></body></html>`;
}

export function createLoginRoutes(http: HttpConfig, logger: Logger, now: () => number = () => systemClock().getTime()): Router {
  const log = logger.child({ component: 'login' });
  const key = sessionKey(http);
  const failures = new Map<string, { count: number; since: number }>();
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const base = (req: Request) => req.baseUrl || '';

  const showForm = (req: Request, res: Response, status: number, next: string, error?: string) => {
    const csrf = randomBytes(16).toString('base64url');
    res.cookie(LOGIN_CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: `${base(req)}${LOGIN_PATH}` });
    res.status(status).type('html').setHeader('Cache-Control', 'no-store');
    res.send(loginPage({ csrf, next, error, token: Boolean(http.token), action: `${base(req)}${LOGIN_PATH}` }));
  };

  router.get(LOGIN_PATH, (req, res) => showForm(req, res, 200, safeNext(req.query.next, `${base(req)}/`)));

  router.post(LOGIN_PATH, form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
    const next = safeNext(body.next, `${base(req)}/`);
    const expected = readCookie(req, LOGIN_CSRF_COOKIE);
    if (!expected || !safeEqual(text(CSRF_FIELD), expected)) return showForm(req, res, 403, next, 'The form expired; sign in again.');
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const record = failures.get(address);
    if (record && now() - record.since > LOGIN_FAILURE_WINDOW_MS) failures.delete(address);
    const current = failures.get(address);
    if (current && current.count >= LOGIN_MAX_FAILURES) {
      const retryAfter = Math.ceil((current.since + LOGIN_FAILURE_WINDOW_MS - now()) / 1000);
      log.warn({ address, failures: current.count }, 'dashboard login refused: too many failed logins from this address');
      res.setHeader('Retry-After', String(retryAfter));
      return showForm(req, res, 429, next, `Too many failed sign-ins; try again in ${Math.ceil(retryAfter / 60)} min.`);
    }
    const user = text('user').trim();
    const role = await checkCredentials(http, { user, password: text('password'), token: text('token') });
    if (!role) {
      const entry = failures.get(address) ?? { count: 0, since: now() };
      entry.count++;
      failures.set(address, entry);
      // The user name only when it is a configured one: a password typed into the wrong box stays out of the log.
      const known = user !== '' && (user === http.user || user === http.adminUser);
      log.warn({ address, user: known ? user : undefined, failures: entry.count }, 'dashboard login failed');
      return showForm(req, res, 401, next, 'Wrong user, password or token.');
    }
    failures.delete(address);
    const session = newSession(role === 'viewer' && !user ? 'token' : user, role, http.sessionHours, now());
    setSessionCookies(req, res, key, session, base(req) || '/');
    log.info({ user: session.user, role, address }, 'dashboard login');
    res.redirect(303, next);
  });

  router.post(LOGOUT_PATH, form, (req, res) => {
    const session = decodeSession(key, readCookie(req, SESSION_COOKIE), now());
    if (session && sentCsrfToken(req) !== csrfToken(key, session)) return res.status(403).type('text/plain').send('CSRF token missing or wrong\n');
    clearSessionCookies(req, res, base(req) || '/');
    if (session) log.info({ user: session.user }, 'dashboard logout');
    res.redirect(303, `${base(req)}${LOGIN_PATH}`);
  });
  return router;
}
