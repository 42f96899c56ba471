/**
 * XGBoost save_model JSON (schema: dmlc/xgboost doc/model.schema), written by hand.
 * Tree 0: x0 < 0.5 (missing left) ? -0.4 : (x2 < 1.5 (missing right) ? 0.2 : 0.6).
 * Tree 1: x1 < 2 (missing right) ? 0.1 : -0.3.
 */
export const xgboostModel = (objective = 'binary:logistic', baseScore = '[5E-1]') => ({
  learner: {
    attributes: {},
    feature_names: [],
    feature_types: [],
    gradient_booster: {
      model: {
        gbtree_model_param: { num_parallel_tree: '1', num_trees: '2' },
        iteration_indptr: [0, 1, 2],
        tree_info: [0, 0],
        trees: [
          {
            base_weights: [0, -0.8, 0.5, 0.4, 1.2],
            categories: [],
            categories_nodes: [],
            categories_segments: [],
            categories_sizes: [],
            default_left: [1, 0, 0, 0, 0],
            id: 0,
            left_children: [1, -1, 3, -1, -1],
            loss_changes: [3.2, 0, 1.1, 0, 0],
            parents: [2147483647, 0, 0, 2, 2],
            right_children: [2, -1, 4, -1, -1],
            split_conditions: [0.5, -0.4, 1.5, 0.2, 0.6],
            split_indices: [0, 0, 2, 0, 0],
            split_type: [0, 0, 0, 0, 0],
            sum_hessian: [10, 4, 6, 2, 4],
            tree_param: { num_deleted: '0', num_feature: '3', num_nodes: '5', size_leaf_vector: '1' },
          },
          {
            base_weights: [0, 0.2, -0.6],
            categories: [],
            categories_nodes: [],
            categories_segments: [],
            categories_sizes: [],
            default_left: [0, 0, 0],
            id: 1,
            left_children: [1, -1, -1],
            loss_changes: [0.7, 0, 0],
            parents: [2147483647, 0, 0],
            right_children: [2, -1, -1],
            split_conditions: [2, 0.1, -0.3],
            split_indices: [1, 0, 0],
            split_type: [0, 0, 0],
            sum_hessian: [10, 5, 5],
            tree_param: { num_deleted: '0', num_feature: '3', num_nodes: '3', size_leaf_vector: '1' },
          },
        ],
      },
      name: 'gbtree',
    },
    learner_model_param: { base_score: baseScore, boost_from_average: '1', num_class: '0', num_feature: '3', num_target: '1' },
    objective: { name: objective, reg_loss_param: { scale_pos_weight: '1' } },
  },
  version: [2, 1, 0],
});
