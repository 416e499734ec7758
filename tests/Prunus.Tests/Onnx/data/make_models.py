#!/usr/bin/env python3
"""Builds the small ONNX files the Prunus ONNX reader tests load.

Run from any folder with Debian's python3-onnx: /usr/bin/python3 make_models.py
The files are committed; rerun this only to change them. Weights follow simple formulas of their flat index so that
the tests can recompute every expected value exactly (all values are exactly representable in their types).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

HERE = os.path.dirname(os.path.abspath(__file__))


def pattern(shape, scale):
    """Values ((i % 7) - 3) * scale for flat index i: small, signed, exact in float16 for scale 1/8."""
    n = int(np.prod(shape))
    return (((np.arange(n) % 7) - 3) * scale).astype(np.float32).reshape(shape)


def tiny_cnn():
    """Conv + Relu + MaxPool + Reshape + Gemm, opset 13, batch dimension symbolic."""
    conv_w = numpy_helper.from_array(pattern((4, 1, 3, 3), 0.125), "conv.weight")  # raw_data
    conv_b = helper.make_tensor("conv.bias", TensorProto.FLOAT, [4], [0.5, -0.5, 0.25, 0.0])  # float_data
    fc_w = numpy_helper.from_array(pattern((3, 64), 0.0625), "fc.weight")  # raw_data
    fc_b = helper.make_tensor("fc.bias", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])  # float_data

    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Constant", [], ["shape"], name="shape_const",
                         value=helper.make_tensor("shape_value", TensorProto.INT64, [2], [-1, 64])),  # int64_data
        helper.make_node("Reshape", ["p", "shape"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1, alpha=1.0, beta=1.0),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        initializer=[conv_w, conv_b, fc_w, fc_b],
        doc_string="A tiny convolutional classifier for reader tests.",
    )
    model = helper.make_model(graph, producer_name="prunus-test-fixtures", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    model.model_version = 3
    model.doc_string = "Made by make_models.py."
    helper.set_model_props(model, {"license": "MIT", "purpose": "tests"})
    model = shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    return model


def mixed_types():
    """Initializers of every type Prunus loads, in both raw_data and typed encodings, plus sparse ones and an If."""
    f16 = pattern((2, 3), 0.125)
    inits = [
        numpy_helper.from_array(f16.astype(np.float16), "f16_raw"),
        helper.make_tensor("f16_typed", TensorProto.FLOAT16, [2, 3], f16.astype(np.float16)),  # int32_data bit patterns
        helper.make_tensor("bf16_typed", TensorProto.BFLOAT16, [2, 3], f16.flatten().tolist()),  # int32_data
        helper.make_tensor("bf16_raw", TensorProto.BFLOAT16, [2],
                           np.array([0x3FC0, 0xC040], dtype=np.uint16).tobytes(), raw=True),  # 1.5, -3.0
        helper.make_tensor("i8_typed", TensorProto.INT8, [4], [-128, -1, 0, 127]),
        numpy_helper.from_array(np.array([0, 1, 200, 255], dtype=np.uint8), "u8_raw"),
        helper.make_tensor("bool_typed", TensorProto.BOOL, [3], [True, False, True]),
        numpy_helper.from_array(np.array([True, False, False, True]), "bool_raw"),
        helper.make_tensor("i32_typed", TensorProto.INT32, [2, 2], [-2147483648, -1, 0, 2147483647]),
        helper.make_tensor("i64_typed", TensorProto.INT64, [3], [-(2 ** 63), 0, 2 ** 63 - 1]),
        helper.make_tensor("f64_typed", TensorProto.DOUBLE, [2], [0.1, -2.5]),
        numpy_helper.from_array(np.array(7.0, dtype=np.float32), "scalar_raw"),
        numpy_helper.from_array(np.zeros((0, 3), dtype=np.float32), "empty_raw"),
    ]
    sparse = [
        # [NNZ, rank] coordinate indices
        helper.make_sparse_tensor(
            numpy_helper.from_array(np.array([1.5, -2.0, 4.0], dtype=np.float32), "sparse_coo"),
            numpy_helper.from_array(np.array([[0, 1], [1, 0], [2, 3]], dtype=np.int64), "sparse_coo_indices"),
            [3, 4]),
        # [NNZ] linear indices
        helper.make_sparse_tensor(
            numpy_helper.from_array(np.array([5, -6], dtype=np.int64), "sparse_linear"),
            numpy_helper.from_array(np.array([2, 9], dtype=np.int64), "sparse_linear_indices"),
            [2, 5]),
    ]
    then_graph = helper.make_graph(
        [helper.make_node("Constant", [], ["then_out"], value_floats=[1.0, 2.0])], "then_branch", [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [2])])
    else_graph = helper.make_graph(
        [helper.make_node("Constant", [], ["else_out"],
                          value=numpy_helper.from_array(np.array([3.0, 4.0], dtype=np.float32), "else_value"))],
        "else_branch", [], [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [2])])
    nodes = [
        helper.make_node("If", ["cond"], ["branch"], name="choose", then_branch=then_graph, else_branch=else_graph),
        helper.make_node("Identity", ["f16_raw"], ["same"], name="id"),
    ]
    graph = helper.make_graph(
        nodes, "mixed_types",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("branch", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("same", TensorProto.FLOAT16, [2, 3]),
         helper.make_tensor_sequence_value_info("unused_seq", TensorProto.FLOAT, ["L"])],
        initializer=inits, sparse_initializer=sparse)
    model = helper.make_model(graph, producer_name="prunus-test-fixtures",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model


def main():
    for name, model in [("tiny_cnn", tiny_cnn()), ("mixed_types", mixed_types())]:
        path = os.path.join(HERE, name + ".onnx")
        onnx.save(model, path)
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
