import { FairnessInputError, type ProtectedAttribute } from './fairness-input.js';

/**
 * Intersectional groups (Crenshaw 1989; Buolamwini & Gebru 2018, "Gender Shades"): a row's group
 * under several attributes is the tuple of its levels. Only observed tuples become groups.
 */
export type CompactCoding = {
  /** Dense index of each item's observed combination, 0..count-1, in lexicographic order of levels. */
  index: Int32Array;
  count: number;
  /** levels[j][g]: the code in column j of combination g. */
  levels: Int32Array[];
};

const MAX_COMBINATION_SPACE = 1 << 28;

/** Combines categorical columns one at a time, renumbering to observed combinations after each step. */
export function compactCombine(columns: readonly Int32Array[], radices: readonly number[], length: number): CompactCoding {
  const index = new Int32Array(length);
  let count = 1;
  let levels: Int32Array[] = [];
  for (let j = 0; j < columns.length; j++) {
    const column = columns[j]!;
    const radix = radices[j]!;
    const size = count * radix;
    if (size > MAX_COMBINATION_SPACE) throw new FairnessInputError([`too many attribute combinations (${size}) to intersect`]);
    const remap = new Int32Array(size).fill(-1);
    for (let i = 0; i < length; i++) remap[index[i]! * radix + column[i]!] = 0;
    let next = 0;
    for (let key = 0; key < size; key++) if (remap[key] === 0) remap[key] = ++next;
    const nextLevels = levels.map(() => new Int32Array(next));
    nextLevels.push(new Int32Array(next));
    for (let key = 0; key < size; key++) {
      const g = remap[key]!;
      if (g <= 0) continue;
      const previous = (key / radix) | 0;
      for (let a = 0; a < levels.length; a++) nextLevels[a]![g - 1] = levels[a]![previous]!;
      nextLevels[levels.length]![g - 1] = key % radix;
    }
    for (let i = 0; i < length; i++) index[i] = remap[index[i]! * radix + column[i]!]! - 1;
    count = next;
    levels = nextLevels;
  }
  return { index, count, levels };
}

/** Which intersections to report besides each attribute alone. */
export type IntersectionSpec = 'none' | 'pairwise-and-all' | 'all' | readonly (readonly string[])[];

export type Grouping = {
  /** `sex`, or `sex × race` for an intersection. */
  name: string;
  attributes: string[];
  /** Group of each finest cell (the intersection of every attribute). */
  groupOfCell: Int32Array;
  groupCount: number;
  /** Readable group names: the label for one attribute, `sex=F, race=B` for several. */
  groupLabels: string[];
  /** groupLevels[g][a]: the label of attribute a (in `attributes` order) for group g. */
  groupLevels: string[][];
};

export function groupLabel(names: readonly string[], labels: readonly string[]): string {
  return names.length === 1 ? labels[0]! : names.map((n, i) => `${n}=${labels[i]}`).join(', ');
}

function subsetsFor(attributes: readonly ProtectedAttribute[], spec: IntersectionSpec): number[][] {
  const n = attributes.length;
  const subsets: number[][] = attributes.map((_, i) => [i]);
  const add = (s: number[]) => {
    if (s.length > 1 && !subsets.some((t) => t.length === s.length && t.every((v, i) => v === s[i]))) subsets.push(s);
  };
  if (spec === 'pairwise-and-all') {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) add([i, j]);
    add(attributes.map((_, i) => i));
  } else if (spec === 'all') {
    add(attributes.map((_, i) => i));
  } else if (spec !== 'none') {
    for (const names of spec) {
      const indices = names.map((name) => {
        const i = attributes.findIndex((a) => a.name === name);
        if (i < 0) throw new FairnessInputError([`intersection names unknown attribute ${name}`]);
        return i;
      });
      add([...new Set(indices)].sort((a, b) => a - b));
    }
  }
  return subsets;
}

/**
 * The groupings to report, each mapping the finest cells (observed combinations of all
 * attributes, `finest`) onto its own groups.
 */
export function buildGroupings(attributes: readonly ProtectedAttribute[], finest: CompactCoding, spec: IntersectionSpec): Grouping[] {
  return subsetsFor(attributes, spec).map((subset) => {
    const coding = compactCombine(
      subset.map((a) => finest.levels[a]!),
      subset.map((a) => attributes[a]!.labels.length),
      finest.count,
    );
    const names = subset.map((a) => attributes[a]!.name);
    const groupLevels: string[][] = [];
    for (let g = 0; g < coding.count; g++) groupLevels.push(subset.map((a, j) => attributes[a]!.labels[coding.levels[j]![g]!]!));
    return {
      name: names.join(' × '),
      attributes: names,
      groupOfCell: coding.index,
      groupCount: coding.count,
      groupLabels: groupLevels.map((levels) => groupLabel(names, levels)),
      groupLevels,
    };
  });
}

/**
 * One attribute standing for the intersection of several, coded by mixed radix over every
 * combination of labels (observed or not), so the coding of new data agrees with it.
 */
export function combineAttributes(attributes: readonly ProtectedAttribute[]): ProtectedAttribute {
  if (attributes.length === 0) throw new FairnessInputError(['at least one protected attribute is required']);
  const rows = attributes[0]!.codes.length;
  let space = 1;
  for (const a of attributes) space *= a.labels.length;
  if (space > 1_000_000) throw new FairnessInputError([`too many attribute combinations (${space}) to combine`]);
  const codes = new Int32Array(rows);
  for (const a of attributes) {
    const radix = a.labels.length;
    for (let i = 0; i < rows; i++) codes[i] = codes[i]! * radix + a.codes[i]!;
  }
  const names = attributes.map((a) => a.name);
  const labels: string[] = [];
  for (let code = 0; code < space; code++) {
    const levels: string[] = [];
    let rest = code;
    for (let j = attributes.length - 1; j >= 0; j--) {
      const radix = attributes[j]!.labels.length;
      levels.unshift(attributes[j]!.labels[rest % radix]!);
      rest = Math.floor(rest / radix);
    }
    labels.push(groupLabel(names, levels));
  }
  return { name: names.join(' × '), codes, labels };
}
