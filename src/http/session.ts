// Login sessions for people: a signed cookie, no server-side store, so every api replica
// accepts a session another one issued (they share FEEDLINE_SESSION_SECRET, or the
// credentials it is derived from). The cookie carries who, which role and until when; its
// CSRF token is derived from it, so a page can send the token back without a lookup.
import { createHmac, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../config/schema.js';
import { safeEqual } from './compare.js';
import { systemClock } from '../clock.js';

export type Role = 'viewer' | 'admin';

export interface Session {
  user: string;
  role: Role;
  /** Expiry, ms since the epoch. */
  expires: number;
  /** Random per login: makes each session's CSRF token its own. */
  nonce: string;
}

export const SESSION_COOKIE = 'feedline_session';
/** Readable by the page's scripts on purpose: bull-board's HTTP client (axios) sends it back as X-XSRF-TOKEN. */
export const CSRF_COOKIE = 'XSRF-TOKEN';
export const CSRF_HEADERS = ['x-xsrf-token', 'x-csrf-token'] as const;
export const CSRF_FIELD = '_csrf';

type HttpConfig = Config['http'];

/** The signing key: configured, or derived from every configured credential (changing one ends all sessions). */
export function sessionKey(http: HttpConfig): Buffer {
  const material = http.sessionSecret
    ?? ['token', http.token, 'user', http.user, http.password ?? http.passwordHash, 'admin', http.adminUser, http.adminPassword ?? http.adminPasswordHash].join('\0');
  return createHmac('sha256', 'feedline dashboard sessions').update(material).digest();
}

const sign = (key: Buffer, value: string) => createHmac('sha256', key).update(value).digest('base64url');

export function newSession(user: string, role: Role, hours: number, now = systemClock().getTime()): Session {
  return { user, role, expires: now + hours * 3_600_000, nonce: randomBytes(16).toString('base64url') };
}

export function encodeSession(key: Buffer, session: Session): string {
  const body = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${body}.${sign(key, body)}`;
}

/** The session a cookie value carries, or undefined when it is forged, malformed or expired. */
export function decodeSession(key: Buffer, value: string | undefined, now = systemClock().getTime()): Session | undefined {
  if (!value) return undefined;
  const [body, signature] = value.split('.');
  if (!body || !signature || !safeEqual(signature, sign(key, body))) return undefined;
  try {
    const s = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Session;
    if (typeof s.user !== 'string' || (s.role !== 'viewer' && s.role !== 'admin') || typeof s.expires !== 'number' || typeof s.nonce !== 'string') return undefined;
    return s.expires > now ? s : undefined;
  } catch {
    return undefined;
  }
}

export function csrfToken(key: Buffer, session: Session): string {
  return sign(key, `csrf:${session.nonce}`);
}

/** The CSRF token a request sent: a header (scripts, bull-board) or a form field. */
export function sentCsrfToken(req: Request): string | undefined {
  for (const name of CSRF_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string' && value) return value;
  }
  const field = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  return typeof field === 'string' ? field : undefined;
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Over TLS (directly, or behind a proxy that says so) the cookies are Secure. */
export function servedOverTls(req: Request): boolean {
  return req.secure || String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim() === 'https';
}

export function setSessionCookies(req: Request, res: Response, key: Buffer, session: Session, path: string): void {
  const common = { sameSite: 'strict' as const, secure: servedOverTls(req), path, expires: new Date(session.expires) };
  res.cookie(SESSION_COOKIE, encodeSession(key, session), { ...common, httpOnly: true });
  res.cookie(CSRF_COOKIE, csrfToken(key, session), { ...common, httpOnly: false });
}

export function clearSessionCookies(req: Request, res: Response, path: string): void {
  const common = { sameSite: 'strict' as const, secure: servedOverTls(req), path };
  res.clearCookie(SESSION_COOKIE, { ...common, httpOnly: true });
  res.clearCookie(CSRF_COOKIE, common);
}
