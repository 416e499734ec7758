#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (CPU, graph optimizations on) on inputs read from .npy files and writes every
// output as OUTDIR/<name>.npy, with characters outside [A-Za-z0-9_.-] in the name replaced by '_'.
//
// Usage: node tools/ort/run.js [--threads N] MODEL.onnx OUTDIR NAME=IN.npy ...
// Prints one JSON line: {"outputs":[{"name":..., "file":..., "type":..., "shape":[...]}, ...]}.
// Exits with status 1 and a one-line message on stderr when anything fails; status 2 for bad arguments.
'use strict';

const fs = require('fs');
const path = require('path');

class UsageError extends Error {}

// NPY element types this script reads and writes, as (descr body -> ONNX Runtime tensor type, typed array).
const NPY_TYPES = {
  f4: { ort: 'float32', array: Float32Array },
  f8: { ort: 'float64', array: Float64Array },
  i8: { ort: 'int64', array: BigInt64Array },
  i4: { ort: 'int32', array: Int32Array },
  i1: { ort: 'int8', array: Int8Array },
  u1: { ort: 'uint8', array: Uint8Array },
  b1: { ort: 'bool', array: Uint8Array },
};
const DESCR_OF_ORT = { float32: '<f4', float64: '<f8', int64: '<i8', int32: '<i4', int8: '|i1', uint8: '|u1', bool: '|b1' };

function parseArgs(argv) {
  let threads = 1;
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a === '--threads' ? argv[++i] : a.slice('--threads='.length);
      threads = Number(v);
      if (!Number.isInteger(threads) || threads < 1 || threads > 2) throw new UsageError(`--threads must be 1 or 2, got '${v}'`);
    } else if (a === '-h' || a === '--help') {
      throw new UsageError('');
    } else {
      rest.push(a);
    }
  }
  if (rest.length < 2) throw new UsageError('expected MODEL.onnx and OUTDIR');
  const [model, outDir, ...pairs] = rest;
  const inputs = [];
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw new UsageError(`input '${p}' must be NAME=FILE.npy`);
    inputs.push({ name: p.slice(0, eq), file: p.slice(eq + 1) });
  }
  return { threads, model, outDir, inputs };
}

// Header dict of an .npy file, a Python literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
function parseNpyHeader(text, file) {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error(`${file}: corrupt .npy header: ${text.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${file}: Fortran-ordered arrays are not supported`);
  const dims = shape[1].split(',').map(s => s.trim().replace(/L$/, '')).filter(s => s.length > 0).map(s => {
    if (!/^\d+$/.test(s)) throw new Error(`${file}: bad dimension '${s}' in the .npy header`);
    return Number(s);
  });
  return { descr: descr[1], dims };
}

function readNpy(file) {
  let buf;
  try { buf = fs.readFileSync(file); } catch (e) { throw new Error(`${file}: cannot read (${e.code || e.message})`); }
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not an .npy file`);
  const major = buf[6];
  if (major < 1 || major > 3) throw new Error(`${file}: .npy format version ${major}.${buf[7]} is not supported`);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  if (start > buf.length) throw new Error(`${file}: truncated .npy header`);
  const { descr, dims } = parseNpyHeader(buf.toString(major === 3 ? 'utf8' : 'latin1', major === 1 ? 10 : 12, start), file);
  const order = descr.length === 3 ? descr[0] : '';
  const body = descr.length === 3 ? descr.slice(1) : descr;
  const kind = NPY_TYPES[body === '?' ? 'b1' : body];
  if (!kind) throw new Error(`${file}: dtype '${descr}' is not supported (${Object.keys(NPY_TYPES).join(', ')})`);
  if (order === '>' && kind.array.BYTES_PER_ELEMENT > 1) throw new Error(`${file}: big-endian dtype '${descr}' is not supported`);
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = count * kind.array.BYTES_PER_ELEMENT;
  if (buf.length - start !== bytes) {
    throw new Error(`${file}: the header declares ${descr} (${dims.join('x') || 'scalar'}), ${bytes} bytes, but ${buf.length - start} bytes follow`);
  }
  // Copy into a fresh, aligned buffer: the data offset in the file need not suit the typed array's alignment.
  const data = new kind.array(count);
  Buffer.from(data.buffer, data.byteOffset, bytes).set(buf.subarray(start, start + bytes));
  return { type: kind.ort, data: kind.ort === 'bool' ? Uint8Array.from(data, v => (v ? 1 : 0)) : data, dims };
}

function npyBytes(type, data, dims) {
  const descr = DESCR_OF_ORT[type];
  if (!descr) throw new Error(`output type ${type} cannot be written as .npy`);
  const shape = dims.length === 0 ? '()' : dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const major = dict.length + 11 <= 0xffff ? 1 : 2;
  const prefix = major === 1 ? 10 : 12;
  dict += ' '.repeat((64 - ((prefix + dict.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(prefix);
  head[0] = 0x93;
  head.write('NUMPY', 1, 'latin1');
  head[6] = major;
  head[7] = 0;
  if (major === 1) head.writeUInt16LE(dict.length, 8); else head.writeUInt32LE(dict.length, 8);
  const payload = type === 'bool' ? Buffer.from(Uint8Array.from(data, v => (v ? 1 : 0)))
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), payload]);
}

// Output file name: characters outside [A-Za-z0-9_.-] become '_'; names that would escape or be hidden are guarded.
function fileNameOf(name) {
  let s = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (s.length === 0 || s.startsWith('.')) s = '_' + s;
  return s + '.npy';
}

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    throw new Error(`onnxruntime-node is not installed next to ${__filename} (${e.code || e.message}); run scripts/setup.sh`);
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) process.stderr.write(`ort-run: ${e.message}\n`);
    process.stderr.write('usage: node tools/ort/run.js [--threads N] MODEL.onnx OUTDIR NAME=IN.npy ...\n');
    process.exit(2);
  }
  const ort = loadOrt();
  if (!fs.existsSync(args.model)) throw new Error(`${args.model}: model file not found`);
  const feeds = {};
  for (const { name, file } of args.inputs) {
    if (name in feeds) throw new Error(`input '${name}' is given twice`);
    const t = readNpy(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }

  let session;
  try {
    session = await ort.InferenceSession.create(args.model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: args.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
  } catch (e) {
    throw new Error(`ONNX Runtime refused ${args.model}: ${String(e.message || e).trim()}`);
  }
  const unknown = Object.keys(feeds).filter(n => !session.inputNames.includes(n));
  if (unknown.length) throw new Error(`the model has no input ${unknown.map(n => `'${n}'`).join(', ')}; its inputs: ${session.inputNames.join(', ')}`);
  const missing = session.inputNames.filter(n => !(n in feeds));
  if (missing.length) throw new Error(`missing input ${missing.map(n => `'${n}'`).join(', ')}; give each as NAME=FILE.npy`);

  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    throw new Error(`ONNX Runtime failed to run ${args.model}: ${String(e.message || e).trim()}`);
  }

  fs.mkdirSync(args.outDir, { recursive: true });
  const seen = new Map();
  const outputs = [];
  for (const name of session.outputNames) {
    const t = results[name];
    const file = fileNameOf(name);
    if (seen.has(file)) throw new Error(`outputs '${seen.get(file)}' and '${name}' would both be written to ${file}`);
    seen.set(file, name);
    fs.writeFileSync(path.join(args.outDir, file), npyBytes(t.type, t.data, t.dims));
    outputs.push({ name, file, type: t.type, shape: Array.from(t.dims) });
  }
  await session.release?.();
  process.stdout.write(JSON.stringify({ outputs }) + '\n');
}

main().catch(e => {
  process.stderr.write(`ort-run: ${String(e && e.message ? e.message : e).replace(/\s+/g, ' ').trim()}\n`);
  process.exit(1);
});
