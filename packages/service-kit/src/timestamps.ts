/**
 * A `timestamp with time zone` column that reads back the instant that was written, whatever
 * the year. Drizzle's own `timestamp` column hands PostgreSQL's text (`0001-01-01 00:00:00+00`)
 * to `new Date()`, whose legacy parser takes years 0–99 for 1900–1999 / 2000–2049 and refuses
 * offsets with seconds (`+00:19:32`, which PostgreSQL prints for instants before a zone's
 * standard time when the session's TimeZone is not UTC). Here the text is parsed field by field.
 */
import { customType } from 'drizzle-orm/pg-core';

// PostgreSQL's ISO output: years of 4+ digits, optional fraction, offset as +HH, +HH:MM or +HH:MM:SS, ` BC`.
const pgTimestampText = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?( BC)?$/;

/** The instant PostgreSQL printed as `text` (a timestamptz, or a timestamp read as UTC); millisecond precision. */
export function parsePgTimestamp(text: string): Date {
  const match = pgTimestampText.exec(text);
  if (!match) throw new Error(`not a PostgreSQL timestamp: ${text.slice(0, 40)}`);
  const [, year, month, day, hours, minutes, seconds, fraction = '', sign, offsetHours = '0', offsetMinutes = '0', offsetSeconds = '0', bc] = match;
  // Astronomical year: 1 BC is year 0.
  const fullYear = bc ? 1 - Number(year) : Number(year);
  const instant = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC also maps years 0–99 to 1900–1999.
  instant.setUTCFullYear(fullYear, Number(month) - 1, Number(day));
  instant.setUTCHours(Number(hours), Number(minutes), Number(seconds), Number(fraction.padEnd(3, '0').slice(0, 3)));
  const offsetMs = (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60 + Number(offsetSeconds)) * 1000;
  return new Date(instant.getTime() - (sign === '-' ? -offsetMs : offsetMs));
}

/**
 * `timestamp[ (precision)] with time zone` as a JS Date, read with {@link parsePgTimestamp}. The
 * SQL type is spelled as Drizzle spells its own, so swapping one for the other needs no migration.
 * Precision 3 (milliseconds) keeps every stored value exactly what a JS Date holds.
 */
export const timestamptz = (name: string, { precision }: { precision?: number } = {}) =>
  customType<{ data: Date; driverData: string }>({
    dataType: () => `timestamp${precision === undefined ? '' : ` (${precision})`} with time zone`,
    toDriver: (value) => value.toISOString(),
    fromDriver: (value) => (typeof value === 'string' ? parsePgTimestamp(value) : value),
  })(name);
