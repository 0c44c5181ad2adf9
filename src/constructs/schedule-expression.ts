// What EventBridge Scheduler accepts, without cdktf: the configuration rules check it too, and
// loading the config must not load the provider classes.

/** `cron(min hour day-of-month month day-of-week year)` (six fields) or `rate(<n> minute(s)|hour(s)|day(s))`. */
export const SCHEDULE_EXPRESSION = /^(cron\(\S+( \S+){5}\)|rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\))$/;

/** Whether Node's ICU knows the zone (the IANA names Scheduler accepts; `UTC` included). */
export function isTimeZone(zone: string): boolean {
  if (zone === 'UTC') return true;
  return Intl.supportedValuesOf('timeZone').includes(zone);
}
