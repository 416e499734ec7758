// ONNX Runtime's test accuracy of a Fashion-MNIST classifier: the 10,000 test images scaled to [0, 1] in batches of
// 1000, shaped as the model's first input declares ([N,1,28,28] or [N,784]); top-1 against the labels.
// Usage: node bench/ort_accuracy.js MODEL.onnx [DATA_DIR] [threads]
//   -> {"model":..., "accuracy":..., "images":10000, "seconds":...}
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

function idx(dir, name, offset) {
  const raw = path.join(dir, name);
  const bytes = fs.existsSync(raw) ? fs.readFileSync(raw) : zlib.gunzipSync(fs.readFileSync(raw + '.gz'));
  return bytes.subarray(offset);
}

async function main() {
  const [model, dirArg, threadArg] = process.argv.slice(2);
  if (!model) throw new Error('usage: node bench/ort_accuracy.js MODEL.onnx [DATA_DIR] [threads]');
  const dir = dirArg || process.env.PRUNUS_DATA || '/usr/share/datasets/fashion-mnist';
  const images = idx(dir, 't10k-images-idx3-ubyte', 16), labels = idx(dir, 't10k-labels-idx1-ubyte', 8);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: parseInt(threadArg || '2', 10), interOpNumThreads: 1 });
  const input = session.inputNames[0], output = session.outputNames[0];
  const meta = session.inputMetadata ? session.inputMetadata[0] : null;
  const flat = meta && meta.shape && meta.shape.length === 2;
  const start = Date.now();
  let correct = 0;
  const n = labels.length, batch = 1000;
  for (let i = 0; i < n; i += batch) {
    const b = Math.min(batch, n - i);
    const x = new Float32Array(b * 784);
    for (let j = 0; j < b * 784; j++) x[j] = images[i * 784 + j] / 255;
    const result = await session.run({ [input]: new ort.Tensor('float32', x, flat ? [b, 784] : [b, 1, 28, 28]) });
    const y = result[output].data, k = y.length / b;
    for (let r = 0; r < b; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (y[r * k + c] > y[r * k + best]) best = c;
      if (best === labels[i + r]) correct++;
    }
  }
  console.log(JSON.stringify({ model, accuracy: correct / n, images: n, seconds: (Date.now() - start) / 1000 }));
}

main().catch(e => { console.error(e.message); process.exit(1); });
