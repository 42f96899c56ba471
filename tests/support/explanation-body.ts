const NUMBERS = new Set(['version', 'grid', 'limit', 'backgroundSize', 'seed', 'nsamples', 'datasetVersion']);

/**
 * An explanation request written as the GET's query parameters (strings such as version '1',
 * percentiles '0.05,0.95', features 'a,b'), as the JSON body of the POST that computes it.
 * Values that are not strings (rows, gridValues) are sent as they are; a string that is not what
 * the parameter takes (rows: 'not json') stays a string, for tests of refusals.
 */
export function explanationBody(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(query).map(([key, value]) => {
      if (typeof value !== 'string') return [key, value];
      if (NUMBERS.has(key)) return [key, Number(value)];
      if (key === 'percentiles') return [key, value.split(',').map(Number)];
      if (key === 'features') return [key, value.split(',')];
      if (key === 'centered') return [key, value === 'true'];
      return [key, value];
    }),
  );
}
