import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { buildOnnxGraph } from './onnx-model-builder.js';

const { onnx } = onnxProto;

/** Token ids of the tiny model's vocabulary and the embedding row of each (its whole "network"). */
export const TINY_VOCAB = ['[PAD]', '[UNK]', 'risk', 'model', 'drift'] as const;
export const TINY_EMBEDDINGS = [
  [0, 0, 0],
  [1, 1, 1],
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

/**
 * Writes a model folder as transformers.js loads one (config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx): a word-level tokenizer and an ONNX graph whose
 * last_hidden_state is an embedding lookup (Gather) of the input ids, so every sentence
 * embedding is computable by hand.
 */
export async function writeTinySentenceModel(folder: string): Promise<void> {
  await mkdir(join(folder, 'onnx'), { recursive: true });
  const hidden = TINY_EMBEDDINGS[0]!.length;
  await writeFile(join(folder, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: hidden, vocab_size: TINY_VOCAB.length }));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  await writeFile(
    join(folder, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '[PAD]'), special(1, '[UNK]')],
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: Object.fromEntries(TINY_VOCAB.map((w, i) => [w, i])), unk_token: '[UNK]' },
    }),
  );
  await writeFile(join(folder, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'PreTrainedTokenizer', pad_token: '[PAD]', unk_token: '[UNK]', model_max_length: 512 }));
  const graph = buildOnnxGraph({
    nodes: [{ opType: 'Gather', input: ['embeddings', 'input_ids'], output: ['last_hidden_state'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }],
    initializers: [{ name: 'embeddings', dims: [TINY_VOCAB.length, hidden], dataType: onnx.TensorProto.DataType.FLOAT, floatData: TINY_EMBEDDINGS.flat() }],
    inputs: [
      { name: 'input_ids', elemType: onnx.TensorProto.DataType.INT64, shape: ['batch', 'sequence'] },
      { name: 'attention_mask', elemType: onnx.TensorProto.DataType.INT64, shape: ['batch', 'sequence'] },
    ],
    outputs: [{ name: 'last_hidden_state', elemType: onnx.TensorProto.DataType.FLOAT, shape: ['batch', 'sequence', hidden] }],
  });
  await writeFile(join(folder, 'onnx', 'model.onnx'), graph);
}
