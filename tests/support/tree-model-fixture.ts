// A RAIA tree ensemble small enough to score by hand: two trees over (age, income), summed, logistic.
//   tree 0: age <= 30 ? -1.0 : 0.5        tree 1: income <= 50 ? -0.25 : 0.75
export const treeModel = {
  format: 'raia-tree-ensemble/v1',
  task: 'binary',
  decision: '<=',
  aggregation: 'sum',
  baseScore: 0.1,
  link: 'logistic',
  featureNames: ['age', 'income'],
  trees: [
    { nodes: [{ feature: 0, threshold: 30, left: 1, right: 2, missingGoesLeft: true, cover: 10 }, { leaf: -1, cover: 4 }, { leaf: 0.5, cover: 6 }] },
    { nodes: [{ feature: 1, threshold: 50, left: 1, right: 2, missingGoesLeft: false, cover: 10 }, { leaf: -0.25, cover: 5 }, { leaf: 0.75, cover: 5 }] },
  ],
};

/** The ensemble's input schema, as a version declares it. */
export const treeModelSchema = [
  { name: 'age', type: 'number' },
  { name: 'income', type: 'number' },
];
