// ONNX Runtime latency of a model at a batch size: every input gets the batch size as its first dimension and 1 for
// any other symbolic dimension (as `prunus bench` does), of the type the model declares (float inputs hold a fixed
// pattern in [0, 1), integer and bool inputs zeros). Median of the timed runs after 50 untimed ones.
// Usage: node bench/ort_latency.js MODEL.onnx BATCH [threads] [seconds]
//   -> {"model":..., "batch":..., "threads":..., "ms":..., "runs":..., "inputs":{"name":[dims], ...}}
const ort = require('onnxruntime-node');

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array,
  int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

function feedFor(meta, batch) {
  if (!meta.isTensor) throw new Error(`input '${meta.name}' is not a tensor`);
  const make = ARRAYS[meta.type];
  if (!make) throw new Error(`input '${meta.name}' has type ${meta.type}, which this script cannot fill`);
  const dims = (meta.shape || []).map((d, i) => (i === 0 ? batch : typeof d === 'number' && d >= 0 ? d : 1));
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new make(size);
  if (meta.type === 'float32' || meta.type === 'float64')
    for (let i = 0; i < size; i++) data[i] = (i * 2654435761 % 1000) / 1000;
  return new ort.Tensor(meta.type, data, dims);
}

async function main() {
  const [model, batchArg, threadArg, secondsArg] = process.argv.slice(2);
  if (!model) throw new Error('usage: node bench/ort_latency.js MODEL.onnx BATCH [threads] [seconds]');
  const batch = parseInt(batchArg || '1', 10), threads = parseInt(threadArg || '2', 10);
  const seconds = parseFloat(secondsArg || '3');
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const metas = session.inputMetadata;
  if (!metas) throw new Error('this onnxruntime-node gives no input metadata');
  const feeds = {}, shapes = {};
  for (const meta of metas) {
    feeds[meta.name] = feedFor(meta, batch);
    shapes[meta.name] = Array.from(feeds[meta.name].dims);
  }
  for (let i = 0; i < 50; i++) await session.run(feeds);
  const times = [];
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline || times.length < 20) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ model: model.split('/').pop(), batch, threads, ms: times[Math.floor(times.length / 2)], runs: times.length, inputs: shapes }));
}
main().catch(e => { console.error(String(e)); process.exit(1); });
