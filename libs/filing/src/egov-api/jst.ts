/**
 * e-Gov writes dates as "YYYY-MM-DD HH:MM:SS" (and "YYYY-MM-DD") in Japan time without a zone.
 * Japan has no daylight saving time, so JST is always UTC+09:00.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function build(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h - 9, mi, s);
  const check = new Date(ms + 9 * 3600_000);
  // Rejects 2026-02-30 and the like (Date.UTC would roll them over silently).
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return new Date(ms);
}

/** "2026-04-01 09:30:00" (JST) → the instant 2026-04-01T00:30:00Z; undefined when it is not that shape or not a real date. */
export function parseEgovDateTime(value: string): Date | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return build(y, mo, d, h, mi, s);
}

/** "2026-04-15" (a JST calendar day) → the instant that day starts in Japan. */
export function parseEgovDate(value: string): Date | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [y, mo, d] = m.slice(1).map(Number);
  return build(y, mo, d, 0, 0, 0);
}

/** The JST calendar day of an instant, as e-Gov's query parameters want it ("YYYY-MM-DD"). */
export function formatEgovDate(at: Date): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

/** An instant as e-Gov writes it (JST, no zone): for recorded answers and the simulator. */
export function formatEgovDateTime(at: Date): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * e-Gov's date-time text as an ISO 8601 string with its +09:00 offset ("2026-04-01 09:30:00" →
 * "2026-04-01T09:30:00+09:00"), so that a client parses the right instant whatever its own time zone is
 * (a zone-less string is read as local time by browsers: 9 hours off outside Japan). A calendar day
 * ("2026-04-15") and anything not e-Gov's shape are returned as they are.
 */
export function egovTextToIso(value: string): string {
  return parseEgovDateTime(value) ? `${value.replace(' ', 'T')}+09:00` : value;
}
