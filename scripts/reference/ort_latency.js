// Latency of an ONNX model in ONNX Runtime (the npm package onnxruntime-node,
// CPU execution provider), the reference `qbench net` is compared with.
//
//   npm install --ignore-scripts --prefix DIR onnxruntime-node
//   NODE_PATH=DIR/node_modules node scripts/reference/ort_latency.js MODEL.onnx \
//       [--batch 1] [--threads 1] [--runs 200] [--warmup 20]
//
// Prints one JSON object: ORT's version, the settings, the latency of every
// run in milliseconds and their p50/p90/p99. The input is seeded uniform
// noise in [-1, 1) of the model's input shape with the batch replaced.
'use strict';
const ort = require('onnxruntime-node');

function arg(name, dflt) {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

function quantile(sorted, q) {
    const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
    const model = process.argv[2];
    if (!model) throw new Error('usage: ort_latency.js MODEL.onnx [--batch N] [--threads N] [--runs N]');
    const batch = arg('--batch', 1), threads = arg('--threads', 1);
    const runs = arg('--runs', 200), warmup = arg('--warmup', 20);
    const session = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
    });
    const name = session.inputNames[0];
    const meta = session.inputMetadata ? session.inputMetadata[0] : null;
    let dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, 3, 224, 224];
    dims[0] = batch;
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        data[i] = s / 2147483648 - 1;
    }
    const feeds = {[name]: new ort.Tensor('float32', data, dims)};
    for (let i = 0; i < warmup; i++) await session.run(feeds);
    const ms = [];
    for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const sorted = ms.slice().sort((a, b) => a - b);
    console.log(JSON.stringify({
        runtime: 'onnxruntime-node ' + ort.env.versions.common, model, batch, threads,
        p50_ms: quantile(sorted, 0.5), p90_ms: quantile(sorted, 0.9), p99_ms: quantile(sorted, 0.99),
        samples_ms: ms,
    }));
}

main().catch((e) => {
    console.error('ort_latency: ' + e.message);
    process.exit(2);
});
