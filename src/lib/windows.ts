// AWS maintenance and backup windows (UTC): parsing and overlap checks, shared by the constructs that
// take windows and by the config rules that report bad ones with a field name.

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

const DAILY = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const WEEKLY = /^(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)-(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)$/;

/** A window as [start, end) in minutes of the week; `end` may exceed one week when it wraps. */
type Interval = readonly [number, number];

/** Parses a daily window `hh:mm-hh:mm` (UTC). Undefined when malformed. */
export function parseDailyWindow(window: string): { start: number; minutes: number } | undefined {
  const m = DAILY.exec(window);
  if (!m) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return { start, minutes: (end - start + MINUTES_PER_DAY) % MINUTES_PER_DAY };
}

/** Parses a weekly window `ddd:hh:mm-ddd:hh:mm` (UTC, lower-case day). Undefined when malformed. */
export function parseWeeklyWindow(window: string): { start: number; minutes: number } | undefined {
  const m = WEEKLY.exec(window);
  if (!m) return undefined;
  const at = (day: string, h: string, min: string) => DAYS.indexOf(day as (typeof DAYS)[number]) * MINUTES_PER_DAY + Number(h) * 60 + Number(min);
  const start = at(m[1], m[2], m[3]);
  const end = at(m[4], m[5], m[6]);
  return { start, minutes: (end - start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK };
}

function intersects(a: Interval, b: Interval): boolean {
  // Compare over two weeks so that windows wrapping past Saturday midnight are seen.
  for (const shift of [-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK]) {
    if (a[0] < b[1] + shift && b[0] + shift < a[1]) return true;
  }
  return false;
}

/**
 * Whether a daily window (e.g. snapshots, `hh:mm-hh:mm`) overlaps a weekly window (maintenance,
 * `ddd:hh:mm-ddd:hh:mm`) on any day. Both UTC; malformed input counts as no overlap (format errors are
 * reported separately).
 */
export function dailyOverlapsWeekly(daily: string, weekly: string): boolean {
  const d = parseDailyWindow(daily);
  const w = parseWeeklyWindow(weekly);
  if (!d || !w) return false;
  const week: Interval = [w.start, w.start + w.minutes];
  for (let day = 0; day < 7; day++) {
    const start = day * MINUTES_PER_DAY + d.start;
    if (intersects([start, start + d.minutes], week)) return true;
  }
  return false;
}
