import type { LocationQueryRaw, LocationQueryValue } from 'vue-router';

/** The first value of a query parameter, trimmed; '' when absent (a hand-edited URL may repeat it). */
export function firstQueryValue(value: LocationQueryValue | LocationQueryValue[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v.trim() : '';
}

/** The URL query of a set of filters: empty ones are left out. */
export function queryOfFilters(filters: object): LocationQueryRaw {
  const query: LocationQueryRaw = {};
  for (const [key, value] of Object.entries(filters)) if (value) query[key] = value as string;
  return query;
}
