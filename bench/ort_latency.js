// ONNX Runtime latency of a model whose first input is float32 [N,...], with the rest of the shape from the model.
// Usage: node bench/ort_latency.js MODEL.onnx BATCH [threads]  ->  {"model":..., "batch":..., "threads":..., "ms":...}
const ort = require('onnxruntime-node');

async function main() {
  const [model, batchArg, threadArg] = process.argv.slice(2);
  const batch = parseInt(batchArg || '1', 10), threads = parseInt(threadArg || '2', 10);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const meta = session.inputMetadata ? session.inputMetadata[0] : null;
  const dims = meta && meta.shape ? meta.shape.slice(1).map(d => (typeof d === 'number' ? d : 1)) : [1, 28, 28];
  const size = batch * dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 2654435761 % 1000) / 1000;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, ...dims]) };
  for (let i = 0; i < 50; i++) await session.run(feeds);
  const times = [];
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline || times.length < 20) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ model: model.split('/').pop(), batch, threads, ms: times[Math.floor(times.length / 2)] }));
}
main().catch(e => { console.error(String(e)); process.exit(1); });
