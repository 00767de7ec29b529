// A graceful close bounded by the shutdown grace period (FEEDLINE_SHUTDOWN_GRACE_MS).

/** Waits for `closing` up to `graceMs`, then forces. */
export async function closeWithin(closing: Promise<unknown>, graceMs: number, force: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(() => resolve('expired'), graceMs); });
  const outcome = await Promise.race([closing.then(() => 'closed' as const), expired]);
  clearTimeout(timer);
  if (outcome === 'expired') await force();
}
