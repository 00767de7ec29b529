// Values PostgreSQL refuses though their text has the right shape, as fast-check generators
// that the CSV, DDEX and Catalogue Events property tests share (README "Bad input").
import fc from 'fast-check';

/** Days past the end of their month: they match the date pattern and are no calendar day. */
export const impossibleDay = fc.constantFrom('02-29', '02-30', '02-31', '04-31', '06-31', '09-31', '11-31')
  .chain((monthDay) => fc.integer({ min: 1, max: 9999 })
    .filter((y) => monthDay !== '02-29' || !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)))
    .map((y) => `${String(y).padStart(4, '0')}-${monthDay}`));

/** Integers an int4 column cannot hold, either side of its range. */
export const outsideInt4 = fc.oneof(fc.bigInt({ min: 2n ** 31n, max: 10n ** 18n }), fc.bigInt({ min: -(10n ** 18n), max: -(2n ** 31n) - 1n }));

/** Text with a NUL somewhere (without `drop`'s characters, which the format would read as structure). */
export function withNul(drop?: RegExp): fc.Arbitrary<string> {
  return fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })).map(([a, b]) => (drop ? `${a}\u0000${b}`.replace(drop, '') : `${a}\u0000${b}`));
}

/** Text PostgreSQL cannot hold: a NUL, or a lone UTF-16 surrogate (only JSON can carry one; UTF-8 cannot). fc.string is ASCII, so no neighbour pairs it. */
export const unstorableText = fc.oneof(
  withNul(),
  fc.tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 5 }))
    .map(([a, surrogate, b]) => `${a}${String.fromCharCode(surrogate)}${b}`),
);
