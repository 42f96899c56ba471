/**
 * What a caller asserted about a stream before asking for a change (HTTP `If-Match`): that it
 * exists, or that its version is one of those it saw. The command handler checks it against the
 * version it loads and appends expecting that same version, so the check is atomic with the append.
 */
export type StreamPrecondition = { kind: 'exists' } | { kind: 'at'; versions: readonly number[] };

export function preconditionHolds(precondition: StreamPrecondition, current: number | null): boolean {
  if (current === null) return false;
  return precondition.kind === 'exists' || precondition.versions.includes(current);
}

/** The stream is not in the state the caller asserted; nothing was appended. */
export class PreconditionFailed extends Error {
  readonly code = 'PRECONDITION_FAILED';
  constructor(
    public readonly streamId: string,
    public readonly current: number | null,
  ) {
    super(current === null ? `stream ${streamId} does not exist` : `stream ${streamId} is at version ${current}, not a version the request names`);
    this.name = 'PreconditionFailed';
  }
}
