import { describe, expect, it } from 'vitest';
import { RAIA_RESULT_NAMESPACE, resultEventId } from '../../src/processors/result-event-id.js';

// Expected ids computed outside our code, with Python's standard library:
//   python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('71054dff-e55d-4b0a-a217-cdcb2d85da17'), '<causation>:<processor>'))"
const CAUSE_1 = '0190a5b2-7c3e-7a10-8f00-000000000001';
const CAUSE_2 = '0190a5b2-7c3e-7a10-8f00-000000000002';

describe('resultEventId', () => {
  it('is the UUID v5 of "<causationId>:<processorName>" under the RAIA namespace', () => {
    expect(RAIA_RESULT_NAMESPACE).toBe('71054dff-e55d-4b0a-a217-cdcb2d85da17');
    expect(resultEventId(CAUSE_1, 'explain')).toBe('49f7f055-dda9-5e7c-bce6-fffc4bb3113a');
    expect(resultEventId(CAUSE_1, 'drift')).toBe('4d8df5c5-3bd0-5f14-bf9b-f5a61a55fe31');
    expect(resultEventId(CAUSE_2, 'explain')).toBe('2e717128-6214-5789-8f25-73b84557313d');
  });

  it('hashes names as UTF-8, as RFC 9562 requires', () => {
    expect(resultEventId('x', 'é')).toBe('fa75ae7a-0be4-5a29-a643-10d96b99744b');
  });

  it('gives a redelivered cause the same id and other causes or processors different ones', () => {
    expect(resultEventId(CAUSE_1, 'explain')).toBe(resultEventId(CAUSE_1, 'explain'));
    const ids = new Set([resultEventId(CAUSE_1, 'explain'), resultEventId(CAUSE_1, 'drift'), resultEventId(CAUSE_2, 'explain')]);
    expect(ids.size).toBe(3);
    expect(resultEventId(CAUSE_1, 'explain')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
