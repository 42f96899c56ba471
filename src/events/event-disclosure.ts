import type { EventCatalogue, EventDefinition } from './event-catalogue.js';
import type { JsonObject, JsonValue, StoredEvent } from './envelope.js';
import { classifyFields, fieldPathCovers, type ClassifiedField, type FieldClass, type FieldPath } from './field-classification.js';
import { isSealedField, type PersonalDataVault } from './personal-data.js';

/** How a reader sees personal fields: in clear (it may read personal data) or as pseudonyms. */
export type PersonalDataView = 'clear' | 'pseudonymised';

/** What a credential, or a sealed field of no known class, reads as: to everyone, always. */
export const WITHHELD = '[withheld]';

type Disclosable = Pick<StoredEvent, 'type' | 'schemaVersion' | 'data'> & { metadata?: JsonObject };

// Classified fields per definition, computed once (definitions never change once registered).
const classifiedByDefinition = new WeakMap<object, ClassifiedField[]>();

function classifiedOf(definition: EventDefinition): ClassifiedField[] {
  let found = classifiedByDefinition.get(definition);
  if (!found) classifiedByDefinition.set(definition, (found = classifyFields(definition.schema).classified));
  return found;
}

/** The classified fields of an event's type and version; none for a type RAIA does not know. */
function fieldsOf(catalogue: EventCatalogue, event: Pick<StoredEvent, 'type' | 'schemaVersion'>): ClassifiedField[] {
  const definition = catalogue.definition(event.type, event.schemaVersion);
  return definition ? classifiedOf(definition) : [];
}

/** Whether disclosure may rewrite events of this type and version: their schema declares classified fields. Sealed values of no declared class are the caller's to look for (SEALED_FIELD_JSON_KEY). */
export const hasClassifiedFields = (catalogue: EventCatalogue, event: Pick<StoredEvent, 'type' | 'schemaVersion'>): boolean => fieldsOf(catalogue, event).length > 0;

/**
 * Ledger events as they may leave the server, by the classes their catalogue schemas declare
 * (field-classification.ts): credentials withheld, personal fields in clear or pseudonymised,
 * sealed fields of no declared class withheld (default deny), public fields as stored. Only the
 * data is rewritten; the hash still verifies, because the chain covers the sealed form as stored,
 * not the plaintext. Erased subjects' fields read `[redacted]` in either view.
 */
export async function discloseEvents<E extends Disclosable>(events: E[], deps: { catalogue: EventCatalogue; vault: PersonalDataVault }, view: PersonalDataView): Promise<E[]> {
  const { catalogue, vault } = deps;
  // Two walks in the same order: the first gathers personal values, which are opened in one
  // batch (one key read), the second builds each event from them.
  const personalValues: JsonValue[] = [];
  // Most events declare no classified field and hold no sealed value: they leave as stored,
  // without the walks (which rebuild every object and path of the data).
  const plain = events.map((e) => isPlainEvent(catalogue, e));
  events.forEach((e, i) => plain[i] || walk(e.data, [], fieldsOf(catalogue, e), (value) => void personalValues.push(value)));
  const opened = personalValues.length === 0 ? [] : ((await vault.reveal([{ data: { values: personalValues } }]))[0]!.data.values as JsonValue[]);
  let next = 0;
  const present = (): JsonValue => {
    const value = opened[next++]!;
    return view === 'clear' ? value : vault.pseudonym(value);
  };
  return events.map((e, i) =>
    plain[i]
      ? { ...e }
      : {
          ...e,
          data: walk(e.data, [], fieldsOf(catalogue, e), present) as JsonObject,
          ...(e.metadata ? { metadata: walk(e.metadata, [], [], present) as JsonObject } : {}),
        },
  );
}

/**
 * Whether an event leaves as stored, to any reader and whatever is erased later: its type declares no
 * classified field and it holds no sealed value (what `discloseEvents` returns unchanged).
 */
export const isPlainEvent = (catalogue: EventCatalogue, e: Disclosable): boolean => fieldsOf(catalogue, e).length === 0 && !holdsSealed(e.data) && (!e.metadata || !holdsSealed(e.metadata));

/** Whether a sealed value occurs anywhere in `value`. */
function holdsSealed(value: JsonValue): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isSealedField(value)) return true;
  if (Array.isArray(value)) return value.some(holdsSealed);
  for (const k in value) if (holdsSealed(value[k]!)) return true;
  return false;
}

/** The class of the field at exactly `path`, if one is declared there. */
function classAt(fields: readonly ClassifiedField[], path: FieldPath): FieldClass | null {
  let found: FieldClass | null = null;
  for (const f of fields) {
    if (f.path.length !== path.length || !fieldPathCovers(f.path, path)) continue;
    // Where classes disagree (union options), the stricter wins.
    if (f.fieldClass === 'credential') return 'credential';
    found = f.fieldClass;
  }
  return found;
}

/** Rebuilds a value with every field disclosed; `personal` is called for each personal value, in order. */
function walk(value: JsonValue, path: FieldPath, fields: readonly ClassifiedField[], personal: (value: JsonValue) => JsonValue | void): JsonValue {
  const cls = classAt(fields, path);
  if (cls === 'credential') return WITHHELD;
  if (cls === 'personal') return value === null ? null : (personal(value) ?? null);
  if (isSealedField(value)) return WITHHELD;
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)], fields, personal));
  if (typeof value === 'object' && value !== null) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k], fields, personal);
    return out;
  }
  return value;
}

/**
 * The fields a JSON containment query on event data (audit search) would test, when some event
 * type classifies them: matching is done on the stored form, so a query on a plaintext field
 * shown only pseudonymised, or on a credential digest, would confirm guesses about its value.
 */
export function classifiedFieldsQueried(catalogue: EventCatalogue, query: JsonObject): { path: FieldPath; fieldClass: FieldClass }[] {
  const fields = catalogue.types().flatMap(classifiedOf);
  const found: { path: FieldPath; fieldClass: FieldClass }[] = [];
  const visit = (value: JsonValue, path: FieldPath): void => {
    const touched = fields.filter((f) => fieldPathCovers(f.path, path) || fieldPathCovers(path, f.path));
    const deeper = typeof value === 'object' && value !== null;
    if (touched.length > 0 && (!deeper || touched.some((f) => fieldPathCovers(f.path, path)))) {
      found.push({ path, fieldClass: touched.some((f) => f.fieldClass === 'credential') ? 'credential' : 'personal' });
      return;
    }
    if (Array.isArray(value)) value.forEach((v) => visit(v, [...path, '*']));
    else if (deeper) for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  for (const [k, v] of Object.entries(query)) visit(v, [k]);
  return found;
}
