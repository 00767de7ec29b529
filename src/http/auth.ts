// Authentication for the dashboards and /metrics: a login session (src/http/login.ts) for
// people; a bearer token or HTTP basic auth from configuration (FEEDLINE_DASHBOARD_TOKEN,
// FEEDLINE_DASHBOARD_USER/PASSWORD) for machines, compared in constant time (compare.ts).
import { isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { safeEqual } from './compare.js';
import { checkCredentials, LOGIN_PATH } from './login.js';
import { csrfToken, decodeSession, readCookie, sentCsrfToken, SESSION_COOKIE, sessionKey, type Role } from './session.js';

export type HttpAuth = Config['http'];

type CredentialsSet = Pick<HttpAuth, 'token' | 'user' | 'password'> & Partial<Pick<HttpAuth, 'passwordHash' | 'adminUser'>>;

export function authConfigured(auth: CredentialsSet): boolean {
  return Boolean(auth.token || (auth.user && (auth.password || auth.passwordHash)) || auth.adminUser);
}

/** Loopback only: 127.0.0.0/8, ::1, localhost. Anything else (0.0.0.0 included) is reachable from outside. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * The dashboards show the catalogue's compliance state and bull-board can retry or delete
 * jobs: on an address others can reach, they must not be open. Throws before listening.
 */
export function assertSafeToServe(http: Pick<HttpAuth, 'host'> & CredentialsSet): void {
  if (!isLoopback(http.host) && !authConfigured(http)) {
    throw new UsageError(`refusing to serve the dashboards on ${http.host}, which is not a loopback address, without authentication: set FEEDLINE_DASHBOARD_TOKEN or FEEDLINE_DASHBOARD_USER and FEEDLINE_DASHBOARD_PASSWORD, or FEEDLINE_HTTP_HOST=127.0.0.1`);
  }
}

/** The role the Authorization header earns (the token, or a configured user and password), or undefined. */
export async function authorized(header: string | undefined, auth: HttpAuth): Promise<Role | undefined> {
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(/\s+/, 2) as [string, string | undefined];
  if (/^bearer$/i.test(scheme)) return auth.token && safeEqual(value, auth.token) ? 'viewer' : undefined;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return checkCredentials(auth, { user: decoded.slice(0, colon), password: decoded.slice(colon + 1), token: '' });
  }
  return undefined;
}

/** Who is asking, as the routes behind requireAuth see it (`res.locals.viewer`). */
export interface Viewer {
  user: string;
  role: Role;
  /** Set for a login session: the token its forms must send back. */
  csrf?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Express middleware. A request passes with a valid Authorization header (machines) or a
 * login session cookie (people); a state-changing request on a session must also carry the
 * session's CSRF token. A browser asking for a page without either is sent to the login
 * page; anything else gets 401. With no credentials configured everything passes, read-only
 * (the server only starts like that on loopback, see assertSafeToServe).
 */
export function requireAuth(auth: HttpAuth): RequestHandler {
  const open = !authConfigured(auth);
  const key = sessionKey(auth);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (open) {
      res.locals.viewer = { user: 'anonymous', role: 'viewer' } satisfies Viewer;
      return next();
    }
    const headerRole = await authorized(req.headers.authorization, auth);
    if (headerRole) {
      res.locals.viewer = { user: 'api', role: headerRole } satisfies Viewer;
      return next();
    }
    const session = decodeSession(key, readCookie(req, SESSION_COOKIE));
    if (session) {
      const csrf = csrfToken(key, session);
      const sent = sentCsrfToken(req);
      if (!SAFE_METHODS.has(req.method) && !(sent && safeEqual(sent, csrf))) {
        res.status(403).type('text/plain').send('CSRF token missing or wrong: reload the page\n');
        return;
      }
      res.locals.viewer = { user: session.user, role: session.role, csrf } satisfies Viewer;
      return next();
    }
    // Browsers ask for text/html by name; scripts and Prometheus send */* or nothing.
    if (req.method === 'GET' && /\btext\/html\b/.test(req.headers.accept ?? '')) {
      res.redirect(303, `${req.baseUrl}${LOGIN_PATH}?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    res.setHeader('WWW-Authenticate', auth.user ? 'Basic realm="feedline", charset="UTF-8"' : 'Bearer realm="feedline"');
    res.status(401).type('text/plain').send(`authentication required: sign in at ${req.baseUrl}${LOGIN_PATH}, or send Authorization: Bearer\n`);
  };
}
