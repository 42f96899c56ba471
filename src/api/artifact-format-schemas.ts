/**
 * The artifact formats a model version accepts, as JSON Schema (draft 2020-12) with a small
 * example each, served at GET /api/v1/artifact-formats/{slug}/schema and shown in
 * docs/model-artifacts.md. The loaders (src/analytics/trees, src/analytics/scoring,
 * src/platform/onnx-model.ts) stay the authority: they also check what a schema cannot say
 * (child indices pointing inside the tree, a tree without cycles, task and link agreeing); a
 * test registers every example through them.
 */

type JsonSchema = Record<string, unknown>;
export type ArtifactFormatSchema = { format: string; slug: string; mediaType: string; summary: string; schema: JsonSchema; example: unknown };

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const finite = { type: 'number' };
const nonEmptyStrings = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };

const treeNode = {
  oneOf: [
    {
      title: 'leaf',
      type: 'object',
      properties: { leaf: { ...finite, description: 'The leaf value (margin scale)' }, cover: { type: 'number', exclusiveMinimum: 0, description: 'Training rows (or hessian sum) reaching the node' } },
      required: ['leaf', 'cover'],
    },
    {
      title: 'split',
      type: 'object',
      properties: {
        feature: { type: 'integer', minimum: 0, description: 'Index into featureNames' },
        threshold: { type: 'number' },
        left: { type: 'integer', minimum: 0, description: 'Node index taken when the comparison (`decision`) holds' },
        right: { type: 'integer', minimum: 0 },
        missingGoesLeft: { type: 'boolean' },
        cover: { type: 'number', exclusiveMinimum: 0 },
      },
      required: ['feature', 'threshold', 'left', 'right', 'missingGoesLeft', 'cover'],
      not: { required: ['leaf'] },
    },
  ],
};

const treeEnsemble: ArtifactFormatSchema = {
  format: 'raia-tree-ensemble/v1',
  slug: 'raia-tree-ensemble-v1',
  mediaType: 'application/json',
  summary: 'RAIA tree ensemble: gradient-boosted or averaged trees, one output (regression or binary)',
  schema: {
    $schema: DIALECT,
    $id: 'https://raia.dev/schemas/artifacts/raia-tree-ensemble-v1.json',
    title: 'raia-tree-ensemble/v1',
    type: 'object',
    properties: {
      format: { const: 'raia-tree-ensemble/v1' },
      task: { enum: ['regression', 'binary'] },
      decision: { enum: ['<=', '<'], description: 'A row goes left when x[feature] `decision` threshold' },
      aggregation: { enum: ['sum', 'mean'], description: 'How tree outputs combine: sum (boosting) or mean (random forest)' },
      link: { enum: ['identity', 'logistic'], description: 'From margin to output: identity, or logistic for probabilities' },
      baseScore: { ...finite, description: 'Added to the aggregated margin' },
      comparisonPrecision: { enum: ['float64', 'float32'], default: 'float64', description: 'Precision inputs are rounded to before each comparison (float32 as XGBoost and LightGBM)' },
      featureNames: nonEmptyStrings,
      trees: { type: 'array', minItems: 1, items: { type: 'object', properties: { nodes: { type: 'array', minItems: 1, items: treeNode, description: 'Node 0 is the root' } }, required: ['nodes'] } },
    },
    required: ['format', 'task', 'decision', 'aggregation', 'link', 'baseScore', 'featureNames', 'trees'],
  },
  example: {
    format: 'raia-tree-ensemble/v1',
    task: 'binary',
    decision: '<=',
    aggregation: 'sum',
    link: 'logistic',
    baseScore: 0,
    featureNames: ['age', 'income'],
    trees: [
      {
        nodes: [
          { feature: 0, threshold: 30, left: 1, right: 2, missingGoesLeft: true, cover: 10 },
          { leaf: -1, cover: 4 },
          { leaf: 1, cover: 6 },
        ],
      },
    ],
  },
};

const linear: ArtifactFormatSchema = {
  format: 'raia-linear/v1',
  slug: 'raia-linear-v1',
  mediaType: 'application/json',
  summary: 'Linear and logistic models: z = intercept + Σ coefficients[j]·x[j], with an identity, logistic or softmax link',
  schema: {
    $schema: DIALECT,
    $id: 'https://raia.dev/schemas/artifacts/raia-linear-v1.json',
    title: 'raia-linear/v1',
    type: 'object',
    properties: {
      format: { const: 'raia-linear/v1' },
      task: { enum: ['regression', 'binary', 'multiclass'] },
      link: { enum: ['identity', 'logistic', 'softmax'], description: 'regression: identity; binary: logistic; multiclass: softmax' },
      featureNames: { ...nonEmptyStrings, uniqueItems: true },
      coefficients: { oneOf: [{ type: 'array', items: finite, minItems: 1 }, { type: 'array', items: { type: 'array', items: finite, minItems: 1 }, minItems: 3 }], description: 'One per feature; multiclass: one array per class' },
      intercept: { oneOf: [finite, { type: 'array', items: finite, minItems: 3 }], description: 'A number; multiclass: one per class' },
      classes: { oneOf: [{ type: 'null' }, { type: 'array', items: { type: ['string', 'number'] }, minItems: 2, uniqueItems: true }], description: 'Classification labels, negative class first for binary; absent or null for regression' },
    },
    required: ['format', 'task', 'link', 'featureNames', 'coefficients', 'intercept'],
    allOf: [
      { if: { properties: { task: { const: 'regression' } } }, then: { properties: { link: { const: 'identity' } } } },
      { if: { properties: { task: { const: 'binary' } } }, then: { properties: { link: { const: 'logistic' }, classes: { type: 'array', minItems: 2, maxItems: 2 } }, required: ['classes'] } },
      { if: { properties: { task: { const: 'multiclass' } } }, then: { properties: { link: { const: 'softmax' }, classes: { type: 'array', minItems: 3 } }, required: ['classes'] } },
    ],
  },
  example: { format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['age', 'income'], coefficients: [0.05, -0.0001], intercept: -1.5, classes: ['rejected', 'accepted'] },
};

const xgboost: ArtifactFormatSchema = {
  format: 'xgboost-json',
  slug: 'xgboost-json',
  mediaType: 'application/json',
  summary: "XGBoost's Booster.save_model('model.json') for a gbtree booster with one output; the fields RAIA reads (others are ignored)",
  schema: {
    $schema: DIALECT,
    $id: 'https://raia.dev/schemas/artifacts/xgboost-json.json',
    title: 'xgboost-json',
    type: 'object',
    properties: {
      learner: {
        type: 'object',
        properties: {
          learner_model_param: {
            type: 'object',
            properties: {
              num_feature: { type: 'string', description: 'Used when feature_names is absent (features are then f0, f1, …, or the input schema names)' },
              num_class: { type: 'string', description: '"0" or "1": multi-class boosters are not supported' },
              base_score: { type: 'string', description: 'On the output scale, e.g. "5E-1" or "[5E-1]"' },
            },
            required: ['base_score'],
          },
          objective: { type: 'object', properties: { name: { enum: ['reg:squarederror', 'reg:linear', 'reg:absoluteerror', 'reg:pseudohubererror', 'binary:logistic', 'reg:logistic', 'binary:logitraw'] } }, required: ['name'] },
          gradient_booster: {
            type: 'object',
            properties: {
              name: { const: 'gbtree' },
              model: {
                type: 'object',
                properties: {
                  trees: {
                    type: 'array',
                    minItems: 1,
                    items: {
                      type: 'object',
                      description: 'Node i is a leaf when left_children[i] is -1; its value is split_conditions[i]. A row goes left when x < split_conditions[i]',
                      properties: {
                        left_children: { type: 'array', items: { type: 'integer' }, minItems: 1 },
                        right_children: { type: 'array', items: { type: 'integer' } },
                        split_indices: { type: 'array', items: { type: 'integer', minimum: 0 } },
                        split_conditions: { type: 'array', items: finite },
                        default_left: { type: 'array', items: { enum: [0, 1, true, false] } },
                        sum_hessian: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 } },
                        split_type: { type: 'array', items: { const: 0 }, description: 'Categorical splits (1) are not supported' },
                      },
                      required: ['left_children', 'right_children', 'split_indices', 'split_conditions', 'default_left', 'sum_hessian'],
                    },
                  },
                },
                required: ['trees'],
              },
            },
            required: ['name', 'model'],
          },
          feature_names: { type: 'array', items: { type: 'string' } },
        },
        required: ['learner_model_param', 'objective', 'gradient_booster'],
      },
    },
    required: ['learner'],
  },
  example: {
    learner: {
      learner_model_param: { num_feature: '2', num_class: '0', base_score: '5E-1' },
      objective: { name: 'binary:logistic' },
      gradient_booster: {
        name: 'gbtree',
        model: { trees: [{ left_children: [1, -1, -1], right_children: [2, -1, -1], split_indices: [0, 0, 0], split_conditions: [30, -0.4, 0.6], default_left: [1, 0, 0], sum_hessian: [10, 4, 6] }] },
      },
      feature_names: ['age', 'income'],
    },
  },
};

const thresholdWrapper: ArtifactFormatSchema = {
  format: 'raia-threshold-wrapper/v1',
  slug: 'raia-threshold-wrapper-v1',
  mediaType: 'application/json',
  summary: 'A fairness post-processing rule over a registered binary classifier; written by POST /api/v1/bias/mitigation/{modelId} with register: true, not uploaded',
  schema: {
    $schema: DIALECT,
    $id: 'https://raia.dev/schemas/artifacts/raia-threshold-wrapper-v1.json',
    title: 'raia-threshold-wrapper/v1',
    type: 'object',
    properties: {
      format: { const: 'raia-threshold-wrapper/v1' },
      wraps: { type: 'object', properties: { modelId: { type: 'string', format: 'uuid' }, version: { type: 'integer', minimum: 1 } }, required: ['modelId', 'version'] },
      attribute: { type: 'object', properties: { name: { type: 'string', minLength: 1 }, labels: nonEmptyStrings }, required: ['name', 'labels'] },
      artifact: {
        type: 'object',
        description: 'The threshold optimiser artifact: per group a randomised threshold rule',
        properties: {
          kind: { const: 'raia.fairness.threshold-optimizer' },
          version: { const: 1 },
          decision: { const: 'predict 1 when score >= threshold' },
          constraint: { enum: ['demographic_parity', 'equalized_odds'] },
          tolerance: finite,
          attribute: { type: 'string', description: 'Equal to attribute.name' },
          labels: { type: 'array', items: { type: 'string' }, description: 'Equal to attribute.labels' },
          groups: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              description: 'Score >= thresholdHigh: 1; score < thresholdLow: 0; between: 1 with probabilityLow; constantRate of rows get 1 with probabilityConstant',
              properties: {
                code: { type: 'integer', minimum: 0, description: 'Index of the group in attribute.labels' },
                group: { type: 'string', description: 'attribute.labels[code]' },
                thresholdHigh: finite,
                thresholdLow: finite,
                probabilityLow: { type: 'number', minimum: 0, maximum: 1 },
                probabilityConstant: { type: 'number', minimum: 0, maximum: 1 },
                constantRate: { type: 'number', minimum: 0, maximum: 1 },
                expected: { type: 'object', description: 'The rule\'s expected rates on the data it was fitted on' },
              },
              required: ['code', 'group', 'thresholdHigh', 'thresholdLow', 'probabilityLow', 'probabilityConstant', 'constantRate', 'expected'],
            },
          },
        },
        required: ['kind', 'version', 'decision', 'constraint', 'tolerance', 'attribute', 'labels', 'groups'],
      },
      seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    },
    required: ['format', 'wraps', 'attribute', 'artifact', 'seed'],
  },
  example: {
    format: 'raia-threshold-wrapper/v1',
    wraps: { modelId: '0193b0a4-6c1e-7d2a-9f3b-4a5c6d7e8f90', version: 1 },
    attribute: { name: 'sex', labels: ['F', 'M'] },
    artifact: {
      kind: 'raia.fairness.threshold-optimizer',
      version: 1,
      decision: 'predict 1 when score >= threshold',
      constraint: 'demographic_parity',
      tolerance: 0,
      attribute: 'sex',
      labels: ['F', 'M'],
      groups: [
        { code: 0, group: 'F', thresholdHigh: 0.4, thresholdLow: 0.4, probabilityLow: 0, probabilityConstant: 0, constantRate: 0, expected: { selectionRate: 0.5, truePositiveRate: null, falsePositiveRate: null } },
        { code: 1, group: 'M', thresholdHigh: 0.6, thresholdLow: 0.6, probabilityLow: 0, probabilityConstant: 0, constantRate: 0, expected: { selectionRate: 0.5, truePositiveRate: null, falsePositiveRate: null } },
      ],
    },
    seed: 123456789,
  },
};

const onnx: ArtifactFormatSchema = {
  format: 'onnx',
  slug: 'onnx',
  mediaType: 'application/octet-stream',
  summary: 'An ONNX graph (binary protobuf): the schema states the constraints on its inputs and outputs, which RAIA checks when the version is added',
  schema: {
    $schema: DIALECT,
    $id: 'https://raia.dev/schemas/artifacts/onnx.json',
    title: 'onnx',
    description:
      'Binary ONNX protobuf, not JSON. Constraints: exactly one input, a float tensor of shape [N, F] with a dynamic batch dimension, F equal to the number of inputSchema fields (whose names and order the graph does not carry); a regressor has one float output [N] or [N, 1] (named "variable" when there are several); a classifier has a float probability output [N, C] (no ZipMap: export skl2onnx models with options={"zipmap": False}); binary has C = 2 (or one probability column with a label output).',
    type: 'string',
    contentMediaType: 'application/octet-stream',
    'x-raia-constraints': {
      inputs: { count: 1, elementType: 'float', shape: ['N (dynamic)', 'number of inputSchema fields'] },
      outputs: { regression: 'one float tensor [N] or [N, 1]', binary: 'float probabilities [N, 2]', multiclass: 'float probabilities [N, C], C = number of classes' },
    },
  },
  example: { python: "from skl2onnx import to_onnx\nonx = to_onnx(model, X[:1].astype('float32'), options={'zipmap': False})\nopen('model.onnx', 'wb').write(onx.SerializeToString())" },
};

export const ARTIFACT_FORMAT_SCHEMAS: readonly ArtifactFormatSchema[] = [treeEnsemble, linear, xgboost, thresholdWrapper, onnx];
