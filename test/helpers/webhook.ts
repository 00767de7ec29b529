// A webhook receiver on loopback: records every alert POSTed to it and can be told to
// fail the next requests, to check that delivery retries.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookReceiver {
  url: string;
  /** Bodies received with a 2xx answer, oldest first. */
  received: Record<string, unknown>[];
  /** Requests answered with a failure so far. */
  failed: number;
  /** Answers the next `count` requests with this status. */
  failNext(count: number, status?: number): void;
  /** Resolves when `count` alerts have been received (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Record<string, unknown>[] = [];
  const failures: number[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received,
    failed: 0,
    failNext(count, status = 503) {
      failures.push(...Array.from({ length: count }, () => status));
    },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`webhook received ${received.length} alerts, expected ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = failures.shift();
      if (status !== undefined) {
        receiver.failed++;
        res.writeHead(status).end('scripted failure');
        return;
      }
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-token-path`;
  return receiver;
}
