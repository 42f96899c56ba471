import { z } from 'zod';

/**
 * Any JSON value. `z.json()` is recursive; registered once under an id, its recursion is a
 * `$ref` to `#/components/schemas/JsonValue` in the OpenAPI document instead of an unnamed
 * cycle that no component resolves.
 */
export const jsonValue = z.json();
z.globalRegistry.add(jsonValue, { id: 'JsonValue', description: 'Any JSON value' });
