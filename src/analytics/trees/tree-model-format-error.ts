/** A tree-model document that does not describe a valid ensemble; `field` is a JSON path such as `trees[3].nodes[7].right`. */
export class TreeModelFormatError extends Error {
  readonly code = 'TREE_MODEL_FORMAT';
  constructor(
    public readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'TreeModelFormatError';
  }
}
