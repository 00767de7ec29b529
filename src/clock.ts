// The one clock: code that reads the time takes a Clock, so a test can move time instead of
// waiting for it. Production passes nothing and gets the system clock.
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
