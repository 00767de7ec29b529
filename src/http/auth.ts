// Authentication for the dashboards and /metrics: a bearer token or HTTP basic auth from
// configuration (FEEDLINE_DASHBOARD_TOKEN, FEEDLINE_DASHBOARD_USER/PASSWORD). Secrets are
// compared in constant time on their SHA-256 digests, so neither the content nor the
// length of a guess leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';

export type HttpAuth = Pick<Config['http'], 'token' | 'user' | 'password'>;

export function authConfigured(auth: HttpAuth): boolean {
  return Boolean(auth.token || (auth.user && auth.password));
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
export function assertSafeToServe(http: Pick<Config['http'], 'host'> & HttpAuth): void {
  if (!isLoopback(http.host) && !authConfigured(http)) {
    throw new UsageError(`refusing to serve the dashboards on ${http.host}, which is not a loopback address, without authentication: set FEEDLINE_DASHBOARD_TOKEN or FEEDLINE_DASHBOARD_USER and FEEDLINE_DASHBOARD_PASSWORD, or FEEDLINE_HTTP_HOST=127.0.0.1`);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** True when the Authorization header carries the configured token or user and password. */
export function authorized(header: string | undefined, auth: HttpAuth): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.split(/\s+/, 2) as [string, string | undefined];
  if (/^bearer$/i.test(scheme) && auth.token) return safeEqual(value, auth.token);
  if (/^basic$/i.test(scheme) && auth.user && auth.password) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both compared, always, so a right user with a wrong password takes as long as the rest.
    const userOk = safeEqual(decoded.slice(0, colon), auth.user);
    const passwordOk = safeEqual(decoded.slice(colon + 1), auth.password);
    return userOk && passwordOk;
  }
  return false;
}

/**
 * Express middleware. With no credentials configured it lets everything through (the
 * server only starts like that on loopback, see assertSafeToServe).
 */
export function requireAuth(auth: HttpAuth): RequestHandler {
  const open = !authConfigured(auth);
  return (req: Request, res: Response, next: NextFunction) => {
    if (open || authorized(req.headers.authorization, auth)) return next();
    // Basic auth gets the browser's login prompt; a token-only setup asks for a bearer token.
    res.setHeader('WWW-Authenticate', auth.user && auth.password ? 'Basic realm="feedline", charset="UTF-8"' : 'Bearer realm="feedline"');
    res.status(401).type('text/plain').send('authentication required\n');
  };
}
