#!/usr/bin/env python3
"""Builds a QDQ model laid out the way ONNX Runtime's quantize_static (QuantFormat.QDQ, per_channel=True, uint8
activations, int8 weights) writes one, with an input and the output that its float simulation gives, for the import tests.

Run with Debian's python3-onnx: /usr/bin/python3 make_models.py. The files are committed; rerun only to change them.
What it mimics: ONNX Runtime's names (x_QuantizeLinear, x_scale, x_zero_point, W_quantized, B_quantized_scale, ...),
its opset imports (the default domain at 13 plus an unused com.microsoft), its producer name, the Relu after the Conv
removed (the Conv output's zero point 0 clips at zero), MaxPool and Reshape between DequantizeLinear and
QuantizeLinear with their input's parameters, per-channel int8 weights with axis, int32 biases with per-channel
scales and zero points, and the graph output written by the last DequantizeLinear.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def q(x, s, z, lo, hi):
    return np.clip(np.round(x / s) + z, lo, hi)  # numpy rounds half to even, as QuantizeLinear does


def qdq(x, s, z):
    return ((q(x, s, z, 0, 255) - z) * s).astype(np.float32)


def conv(x, w, b):  # x [N,C,H,W], w [K,C,3,3], pads 1
    n, c, h, wd = x.shape
    k = w.shape[0]
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros((n, k, h, wd))
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,kc->nkhw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j].astype(np.float64))
    return (y + b[None, :, None, None]).astype(np.float32)


def main():
    # Activation parameters as calibration would give them: input in [0, 1], conv output [0, 4], logits [-6, 6].
    x_scale, x_zp = np.float32(1 / 255), 0
    c_scale, c_zp = np.float32(4 / 255), 0
    y_scale, y_zp = np.float32(12 / 255), 128
    # Weights kept within 7 bits so that ONNX Runtime's AVX2 kernels compute exact sums too.
    wc_q = rng.integers(-60, 61, size=(4, 1, 3, 3)).astype(np.int8)
    wc_s = np.array([0.01, 0.02, 0.015, 0.005], np.float32)
    bc = np.array([0.3, -0.2, 0.1, 0.05], np.float32)
    wf_q = rng.integers(-60, 61, size=(3, 64)).astype(np.int8)
    wf_s = np.array([0.004, 0.006, 0.005], np.float32)
    bf = np.array([0.5, -0.25, 0.0], np.float32)
    bc_s = (x_scale * wc_s).astype(np.float32)
    bf_s = (c_scale * wf_s).astype(np.float32)
    bc_q = np.round(bc / bc_s).astype(np.int32)
    bf_q = np.round(bf / bf_s).astype(np.int32)

    init = [
        numpy_helper.from_array(np.array(x_scale, np.float32), "x_scale"),
        numpy_helper.from_array(np.array(x_zp, np.uint8), "x_zero_point"),
        numpy_helper.from_array(np.array(c_scale, np.float32), "c_scale"),
        numpy_helper.from_array(np.array(c_zp, np.uint8), "c_zero_point"),
        numpy_helper.from_array(np.array(y_scale, np.float32), "y_scale"),
        numpy_helper.from_array(np.array(y_zp, np.uint8), "y_zero_point"),
        numpy_helper.from_array(wc_q, "conv.weight_quantized"),
        numpy_helper.from_array(wc_s, "conv.weight_scale"),
        numpy_helper.from_array(np.zeros(4, np.int8), "conv.weight_zero_point"),
        numpy_helper.from_array(bc_q, "conv.bias_quantized"),
        numpy_helper.from_array(bc_s, "conv.bias_quantized_scale"),
        numpy_helper.from_array(np.zeros(4, np.int32), "conv.bias_quantized_zero_point"),
        numpy_helper.from_array(wf_q, "fc.weight_quantized"),
        numpy_helper.from_array(wf_s, "fc.weight_scale"),
        numpy_helper.from_array(np.zeros(3, np.int8), "fc.weight_zero_point"),
        numpy_helper.from_array(bf_q, "fc.bias_quantized"),
        numpy_helper.from_array(bf_s, "fc.bias_quantized_scale"),
        numpy_helper.from_array(np.zeros(3, np.int32), "fc.bias_quantized_zero_point"),
        numpy_helper.from_array(np.array([-1, 64], np.int64), "shape"),
    ]
    node = helper.make_node
    nodes = [
        node("QuantizeLinear", ["x", "x_scale", "x_zero_point"], ["x_QuantizeLinear_Output"], name="x_QuantizeLinear"),
        node("DequantizeLinear", ["x_QuantizeLinear_Output", "x_scale", "x_zero_point"], ["x_DequantizeLinear_Output"], name="x_DequantizeLinear"),
        node("DequantizeLinear", ["conv.weight_quantized", "conv.weight_scale", "conv.weight_zero_point"], ["conv.weight_DequantizeLinear_Output"],
             name="conv.weight_DequantizeLinear", axis=0),
        node("DequantizeLinear", ["conv.bias_quantized", "conv.bias_quantized_scale", "conv.bias_quantized_zero_point"],
             ["conv.bias_quantized_DequantizeLinear_Output"], name="conv.bias_quantized_DequantizeLinear", axis=0),
        node("Conv", ["x_DequantizeLinear_Output", "conv.weight_DequantizeLinear_Output", "conv.bias_quantized_DequantizeLinear_Output"], ["c"],
             name="/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        node("QuantizeLinear", ["c", "c_scale", "c_zero_point"], ["c_QuantizeLinear_Output"], name="c_QuantizeLinear"),
        node("DequantizeLinear", ["c_QuantizeLinear_Output", "c_scale", "c_zero_point"], ["c_DequantizeLinear_Output"], name="c_DequantizeLinear"),
        node("MaxPool", ["c_DequantizeLinear_Output"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        node("QuantizeLinear", ["p", "c_scale", "c_zero_point"], ["p_QuantizeLinear_Output"], name="p_QuantizeLinear"),
        node("DequantizeLinear", ["p_QuantizeLinear_Output", "c_scale", "c_zero_point"], ["p_DequantizeLinear_Output"], name="p_DequantizeLinear"),
        node("Reshape", ["p_DequantizeLinear_Output", "shape"], ["f"], name="/Reshape"),
        node("QuantizeLinear", ["f", "c_scale", "c_zero_point"], ["f_QuantizeLinear_Output"], name="f_QuantizeLinear"),
        node("DequantizeLinear", ["f_QuantizeLinear_Output", "c_scale", "c_zero_point"], ["f_DequantizeLinear_Output"], name="f_DequantizeLinear"),
        node("DequantizeLinear", ["fc.weight_quantized", "fc.weight_scale", "fc.weight_zero_point"], ["fc.weight_DequantizeLinear_Output"],
             name="fc.weight_DequantizeLinear", axis=0),
        node("DequantizeLinear", ["fc.bias_quantized", "fc.bias_quantized_scale", "fc.bias_quantized_zero_point"],
             ["fc.bias_quantized_DequantizeLinear_Output"], name="fc.bias_quantized_DequantizeLinear", axis=0),
        node("Gemm", ["f_DequantizeLinear_Output", "fc.weight_DequantizeLinear_Output", "fc.bias_quantized_DequantizeLinear_Output"],
             ["y_QuantizeLinear_Input"], name="/fc/Gemm", alpha=1.0, beta=1.0, transB=1),
        node("QuantizeLinear", ["y_QuantizeLinear_Input", "y_scale", "y_zero_point"], ["y_QuantizeLinear_Output"], name="y_QuantizeLinear"),
        node("DequantizeLinear", ["y_QuantizeLinear_Output", "y_scale", "y_zero_point"], ["y"], name="y_DequantizeLinear"),
    ]
    graph = helper.make_graph(nodes, "torch_jit",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], initializer=init)
    model = helper.make_model(graph, producer_name="onnx.quantize", producer_version="0.1.0",
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "ort_qdq_cnn.onnx"))

    # The float simulation of the QDQ graph on 5 inputs in [0, 1].
    x = rng.random((5, 1, 8, 8)).astype(np.float32)
    h = qdq(x, x_scale, x_zp)
    c = qdq(conv(h, wc_q.astype(np.float32) * wc_s[:, None, None, None], bc_q * bc_s), c_scale, c_zp)
    p = c.reshape(5, 4, 4, 2, 4, 2).max(axis=(3, 5))
    f = p.reshape(5, 64)
    y = f.astype(np.float64) @ (wf_q.astype(np.float32) * wf_s[:, None]).T.astype(np.float64) + bf_q * bf_s
    y = qdq(y.astype(np.float32), y_scale, y_zp)
    np.save(os.path.join(HERE, "ort_qdq_cnn.x.npy"), x)
    np.save(os.path.join(HERE, "ort_qdq_cnn.y.npy"), y)
    print("wrote ort_qdq_cnn.onnx and its input and output;", "y:", y[0])


if __name__ == "__main__":
    main()
