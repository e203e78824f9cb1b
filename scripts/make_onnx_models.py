#!/usr/bin/python3
"""Write the architectures of qbench's model zoo as ONNX files, the way a
framework exports them, with seeded random weights; nothing is downloaded.

    /usr/bin/python3 scripts/make_onnx_models.py OUTDIR [--only NAME,...] [--large]

Files (in OUTDIR):
  mobilenet-v2.onnx      Conv + BatchNormalization + Clip (ReLU6), residual Add,
                         GlobalAveragePool, Flatten, Gemm
  mobilenet-v2-opset10.onnx  the same at opset 10 (Clip's bounds as attributes)
  mobilenet-v2-qdq.onnx  the same with batch norm folded and QuantizeLinear /
                         DequantizeLinear around each conv, add, pool and the
                         classifier: weights int8 per output channel, biases int32
  resnet-50.onnx         Conv + BatchNormalization + Relu, MaxPool, bottlenecks
  bert-base-layer.onnx   MatMul + Add, Reshape (one target computed by a
                         Shape/Gather/Unsqueeze/Concat chain), Transpose,
                         Softmax, Dropout, LayerNormalization, GELU as Erf
  bert-base-layer-opset13.onnx  the same at opset 13, layer norm spelt out
                         (ReduceMean, Sub, Pow or Mul, Add, Sqrt, Div, Mul, Add)
  lstm-lm.onnx           Gather, Transpose, LSTM + Squeeze, MatMul + Add
  dynamic.onnx           a small conv net whose height and width are symbolic
  unsupported.onnx       a small conv net with a HardSwish in the middle
  external.onnx          a small net whose weights live in an external file
  large-mlp.onnx         (--large) three Gemm layers, about 104 MB of weights

Node names are the zoo's, so `qbench model --json` of a file and of the zoo
model can be compared layer by layer. Needs Debian's python3-onnx and
python3-numpy.
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class Builder:
    """Nodes, initializers and a seeded generator for one graph."""

    def __init__(self, seed, opset=OPSET):
        self.nodes = []
        self.inits = []
        self.rng = np.random.default_rng(seed)
        self.opset = opset

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, name, shape, fan_in):
        a = np.float32(math.sqrt(6.0 / fan_in))
        w = self.rng.random(shape, dtype=np.float32)
        w *= 2 * a
        w -= a
        return self.const(name, w)

    def node(self, op, inputs, name, outputs=None, **attrs):
        outputs = outputs or [name]
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0]

    def model(self, name, x, x_type, x_shape, y, y_shape):
        graph = helper.make_graph(
            self.nodes, name, [helper.make_tensor_value_info(x, x_type, x_shape)],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, y_shape)], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="qbench make_onnx_models.py")
        m.ir_version = 8
        return m


def conv_bn_act(b, name, x, cin, cout, k, stride, group, act):
    """Conv without bias, BatchNormalization, then Relu or Clip 0..6 (or none)."""
    w = b.weight(name + ".weight", (cout, cin // group, k, k), cin // group * k * k)
    y = b.node("Conv", [x, w], name, kernel_shape=[k, k], strides=[stride, stride],
               pads=[k // 2] * 4, group=group)
    bn = [b.const(name + ".bn." + p, v.astype(np.float32)) for p, v in (
        ("gamma", b.rng.uniform(0.5, 1.5, cout)), ("beta", b.rng.uniform(-0.1, 0.1, cout)),
        ("mean", b.rng.uniform(-0.1, 0.1, cout)), ("var", b.rng.uniform(0.5, 1.5, cout)))]
    y = b.node("BatchNormalization", [y] + bn, name + ".bn", epsilon=1e-5)
    if act == "relu":
        y = b.node("Relu", [y], name + ".relu")
    elif act == "relu6" and b.opset < 11:  # bounds as attributes before opset 11
        y = b.node("Clip", [y], name + ".relu6", min=0.0, max=6.0)
    elif act == "relu6":
        lo = b.const(name + ".min", np.array(0, np.float32))
        hi = b.const(name + ".max", np.array(6, np.float32))
        y = b.node("Clip", [y, lo, hi], name + ".relu6")
    return y


def head(b, x, cin, names):
    pool, flat, fc = names
    y = b.node("GlobalAveragePool", [x], pool)
    y = b.node("Flatten", [y], flat, axis=1)
    w = b.weight(fc + ".weight", (1000, cin), cin)
    bias = b.weight(fc + ".bias", (1000,), 600)
    return b.node("Gemm", [y, w, bias], fc, transB=1)


MOBILENET_ROWS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                  (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_blocks(x, conv, add):
    """MobileNetV2's inverted residual blocks after the stem, built with
    conv(name, x, cin, cout, k, stride, group, relu6) and add(name, h, x);
    returns the last block's output and its channels."""
    c, block = 32, 0
    for t, cout, n, s in MOBILENET_ROWS:
        for i in range(n):
            block += 1
            name, stride, hidden = "block%d" % block, s if i == 0 else 1, c * t
            h = x
            if t != 1:
                h = conv(name + ".expand", h, c, hidden, 1, 1, 1, True)
            h = conv(name + ".dw", h, hidden, hidden, 3, stride, hidden, True)
            h = conv(name + ".project", h, hidden, cout, 1, 1, 1, False)
            if stride == 1 and c == cout:
                h = add(name + ".add", h, x)
            x, c = h, cout
    return x, c


def mobilenet_v2(seed, opset=OPSET):
    b = Builder(seed, opset)
    x = conv_bn_act(b, "stem", "input", 3, 32, 3, 2, 1, "relu6")

    def conv(name, x, cin, cout, k, stride, group, relu6):
        return conv_bn_act(b, name, x, cin, cout, k, stride, group, "relu6" if relu6 else None)

    x, c = mobilenet_blocks(x, conv, lambda name, h, x: b.node("Add", [h, x], name))
    x = conv_bn_act(b, "head.conv", x, c, 1280, 1, 1, 1, "relu6")
    y = head(b, x, 1280, ("head.pool", "head.flatten", "head.fc"))
    return b.model("mobilenet-v2", "input", TensorProto.FLOAT, ["batch", 3, 224, 224], y, ["batch", 1000])


class QdqBuilder(Builder):
    """MobileNetV2 in the QDQ form: batch norm folded, a QuantizeLinear /
    DequantizeLinear pair on each activation a conv, add, pool or Gemm reads
    (uint8, per tensor), weights int8 symmetric per output channel and
    biases int32 at the input scale times the weight scale. Activation
    scales are fixed by what produced them: ReLU6 outputs span 0..6, linear
    ones +-8, the input +-4."""

    def __init__(self, seed):
        super().__init__(seed)
        self.scale = {}  # activation -> (scale, zero point)
        self.dq = {}     # activation -> its dequantized name

    def act(self, x):
        if x not in self.dq:
            s, z = self.scale[x]
            sn = self.const(x + ".q.scale", np.array(s, np.float32))
            zn = self.const(x + ".q.zero_point", np.array(z, np.uint8))
            q = self.node("QuantizeLinear", [x, sn, zn], x + ".q")
            self.dq[x] = self.node("DequantizeLinear", [q, sn, zn], x + ".dq")
        return self.dq[x]

    def qweight(self, name, w, axis):
        amax = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
        s = np.maximum(amax, 1e-8).astype(np.float32) / 127
        shape = (-1,) + (1,) * (w.ndim - 1)
        q = np.clip(np.round(w / s.reshape(shape)), -127, 127).astype(np.int8)
        qn = self.const(name, q)
        sn = self.const(name + ".scale", s)
        zn = self.const(name + ".zero_point", np.zeros(w.shape[0], np.int8))
        return self.node("DequantizeLinear", [qn, sn, zn], name + ".dq", axis=axis), s

    def qbias(self, name, bias, scale):
        q = np.round(bias / scale).astype(np.int32)
        sn = self.const(name + ".scale", scale.astype(np.float32))
        zn = self.const(name + ".zero_point", np.zeros(bias.shape[0], np.int32))
        return self.node("DequantizeLinear", [self.const(name, q), sn, zn], name + ".dq", axis=0)

    def conv(self, name, x, cin, cout, k, stride, group, relu6):
        fan = cin // group * k * k
        a = math.sqrt(6.0 / fan)
        w = self.rng.uniform(-a, a, size=(cout, cin // group, k, k)).astype(np.float32)
        gamma, beta = self.rng.uniform(0.5, 1.5, cout), self.rng.uniform(-0.1, 0.1, cout)
        mean, var = self.rng.uniform(-0.1, 0.1, cout), self.rng.uniform(0.5, 1.5, cout)
        s = gamma / np.sqrt(var + 1e-5)
        w = (w * s.reshape(-1, 1, 1, 1)).astype(np.float32)
        bias = (beta - mean * s).astype(np.float32)
        xin = self.act(x)
        wdq, ws = self.qweight(name + ".weight", w, 0)
        bdq = self.qbias(name + ".bias", bias, self.scale[x][0] * ws)
        y = self.node("Conv", [xin, wdq, bdq], name, kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4, group=group)
        if relu6:
            lo = self.const(name + ".min", np.array(0, np.float32))
            hi = self.const(name + ".max", np.array(6, np.float32))
            y = self.node("Clip", [y, lo, hi], name + ".relu6")
            self.scale[y] = (6 / 255, 0)
        else:
            self.scale[y] = (16 / 255, 128)
        return y

    def add(self, name, h, x):
        y = self.node("Add", [self.act(h), self.act(x)], name)
        self.scale[y] = (16 / 255, 128)
        return y


def mobilenet_v2_qdq(seed):
    b = QdqBuilder(seed)
    b.scale["input"] = (8 / 255, 128)
    x = b.conv("stem", "input", 3, 32, 3, 2, 1, True)
    x, c = mobilenet_blocks(x, b.conv, b.add)
    x = b.conv("head.conv", x, c, 1280, 1, 1, 1, True)
    y = b.node("GlobalAveragePool", [b.act(x)], "head.pool")
    b.scale[y] = (6 / 255, 0)
    y = b.node("Flatten", [b.act(y)], "head.flatten", axis=1)
    b.scale[y] = (6 / 255, 0)
    a = math.sqrt(6.0 / 1280)
    w = b.rng.uniform(-a, a, size=(1000, 1280)).astype(np.float32)
    wdq, ws = b.qweight("head.fc.weight", w, 0)
    bias = b.rng.uniform(-0.1, 0.1, 1000).astype(np.float32)
    bdq = b.qbias("head.fc.bias", bias, b.scale[y][0] * ws)
    y = b.node("Gemm", [b.act(y), wdq, bdq], "head.fc", transB=1)
    return b.model("mobilenet-v2-qdq", "input", TensorProto.FLOAT, ["batch", 3, 224, 224], y,
                   ["batch", 1000])


def resnet50(seed):
    b = Builder(seed)
    x = conv_bn_act(b, "conv1", "input", 3, 64, 7, 2, 1, "relu")
    x = b.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = 64
    for s, blocks in enumerate((3, 4, 6, 3)):
        width = 64 << s
        for i in range(blocks):
            name, stride = "layer%d.%d" % (s + 1, i), 2 if i == 0 and s > 0 else 1
            h = conv_bn_act(b, name + ".conv1", x, c, width, 1, 1, 1, "relu")
            h = conv_bn_act(b, name + ".conv2", h, width, width, 3, stride, 1, "relu")
            h = conv_bn_act(b, name + ".conv3", h, width, width * 4, 1, 1, 1, None)
            skip = x
            if i == 0:
                skip = conv_bn_act(b, name + ".downsample", x, c, width * 4, 1, stride, 1, None)
            h = b.node("Add", [h, skip], name + ".add")
            x = b.node("Relu", [h], name + ".relu")
            c = width * 4
    y = head(b, x, 2048, ("avgpool", "flatten", "fc"))
    return b.model("resnet-50", "input", TensorProto.FLOAT, ["batch", 3, 224, 224], y, ["batch", 1000])


def bert_layer(seed, opset=OPSET):
    b = Builder(seed, opset)
    hidden, heads, head_dim, ffn = 768, 12, 64, 3072

    def linear(name, x, n_in, n_out):
        w = b.weight(name + ".weight", (n_in, n_out), n_in)
        bias = b.weight(name + ".bias", (n_out,), 600)
        return b.node("Add", [b.node("MatMul", [x, w], name), bias], name + ".bias_add")

    def layernorm(name, x):
        g = b.const(name + ".weight", np.ones(hidden, np.float32))
        beta = b.const(name + ".bias", np.zeros(hidden, np.float32))
        if b.opset >= 17:
            return b.node("LayerNormalization", [x, g, beta], name, axis=-1, epsilon=1e-12)
        # spelt out, as exporters did before LayerNormalization: the variance
        # squared with Pow in one norm and with Mul in the other
        m = b.node("ReduceMean", [x], name + ".mean", axes=[-1])
        d = b.node("Sub", [x, m], name + ".sub")
        if name.startswith("attn"):
            p = b.node("Pow", [d, b.const(name + ".two", np.array(2, np.float32))], name + ".pow")
        else:
            p = b.node("Mul", [d, d], name + ".square")
        v = b.node("ReduceMean", [p], name + ".var", axes=[-1])
        e = b.node("Add", [v, b.const(name + ".eps", np.array(1e-12, np.float32))], name + ".add_eps")
        s = b.node("Sqrt", [e], name + ".sqrt")
        n = b.node("Div", [d, s], name + ".div")
        return b.node("Add", [b.node("Mul", [n, g], name + ".scale"), beta], name)

    x = "hidden"
    split = b.const("attn.split_shape", np.array([0, 0, heads, head_dim], np.int64))
    merge = b.const("attn.merge_shape", np.array([0, 0, hidden], np.int64))
    q = linear("attn.q", x, hidden, hidden)
    k = linear("attn.k", x, hidden, hidden)
    v = linear("attn.v", x, hidden, hidden)
    # The split of q computes its target from q's shape, as torch.onnx writes it.
    shape = b.node("Shape", [q], "attn.q.shape")
    dims = []
    for i in (0, 1):
        idx = b.const("attn.q.shape.idx%d" % i, np.array(i, np.int64))
        g = b.node("Gather", [shape, idx], "attn.q.shape.gather%d" % i, axis=0)
        ax = b.const("attn.q.shape.axes%d" % i, np.array([0], np.int64))
        dims.append(b.node("Unsqueeze", [g, ax], "attn.q.shape.unsqueeze%d" % i))
    tail = b.const("attn.q.shape.tail", np.array([heads, head_dim], np.int64))
    qsplit = b.node("Concat", dims + [tail], "attn.q.shape.concat", axis=0)
    q = b.node("Transpose", [b.node("Reshape", [q, qsplit], "attn.q.reshape")], "attn.q.transpose",
               perm=[0, 2, 1, 3])
    k = b.node("Transpose", [b.node("Reshape", [k, split], "attn.k.reshape")], "attn.k.transpose",
               perm=[0, 2, 3, 1])
    v = b.node("Transpose", [b.node("Reshape", [v, split], "attn.v.reshape")], "attn.v.transpose",
               perm=[0, 2, 1, 3])
    s = b.node("MatMul", [q, k], "attn.scores")
    s = b.node("Div", [s, b.const("attn.scale.divisor", np.array(8.0, np.float32))], "attn.scale")
    s = b.node("Softmax", [s], "attn.softmax", axis=-1)
    s = b.node("Dropout", [s], "attn.dropout")
    c = b.node("MatMul", [s, v], "attn.context")
    c = b.node("Transpose", [c], "attn.context.transpose", perm=[0, 2, 1, 3])
    c = b.node("Reshape", [c, merge], "attn.context.reshape")
    c = linear("attn.out", c, hidden, hidden)
    c = b.node("Identity", [c], "attn.out.identity")
    c = layernorm("attn.norm", b.node("Add", [c, x], "attn.residual"))
    f = linear("ffn.up", c, hidden, ffn)
    # GELU as exporters write it: x * 0.5 * (1 + erf(x / sqrt 2))
    d = b.node("Div", [f, b.const("ffn.gelu.sqrt2", np.array(math.sqrt(2), np.float32))], "ffn.gelu.div")
    e = b.node("Erf", [d], "ffn.gelu.erf")
    a = b.node("Add", [e, b.const("ffn.gelu.one", np.array(1.0, np.float32))], "ffn.gelu.add")
    m = b.node("Mul", [f, a], "ffn.gelu.mul")
    f = b.node("Mul", [m, b.const("ffn.gelu.half", np.array(0.5, np.float32))], "ffn.gelu")
    f = linear("ffn.down", f, ffn, hidden)
    y = layernorm("ffn.norm", b.node("Add", [f, c], "ffn.residual"))
    return b.model("bert-base-layer", x, TensorProto.FLOAT, ["batch", 128, hidden], y,
                   ["batch", 128, hidden])


def lstm_lm(seed):
    b = Builder(seed)
    vocab, embed, hidden = 10000, 650, 650
    e = b.weight("embed.weight", (vocab, embed), 3)
    x = b.node("Gather", [e, "tokens"], "embed", axis=0)
    x = b.node("Transpose", [x], "embed.transpose", perm=[1, 0, 2])
    x = b.node("Dropout", [x], "embed.dropout")
    axes = b.const("squeeze.axes", np.array([1], np.int64))
    n_in = embed
    for layer in (1, 2):
        name = "lstm%d" % layer
        w = b.weight(name + ".W", (1, 4 * hidden, n_in), n_in)
        r = b.weight(name + ".R", (1, 4 * hidden, hidden), hidden)
        bias = b.weight(name + ".B", (1, 8 * hidden), 600)
        y = b.node("LSTM", [x, w, r, bias], name, outputs=[name, name + ".Y_h", name + ".Y_c"],
                   hidden_size=hidden)
        x = b.node("Squeeze", [y, axes], name + ".squeeze")
        n_in = hidden
    w = b.weight("decoder.weight", (hidden, vocab), hidden)
    bias = b.weight("decoder.bias", (vocab,), 600)
    y = b.node("Add", [b.node("MatMul", [x, w], "decoder"), bias], "decoder.bias_add")
    return b.model("lstm-lm", "tokens", TensorProto.INT64, ["batch", 35], y, [35, "batch", vocab])


def small_convnet(seed, name, middle, height=32, width=32):
    """conv, an optional middle op, pool, classifier: for the error tests."""
    b = Builder(seed)
    x = conv_bn_act(b, "conv", "input", 3, 8, 3, 1, 1, "relu")
    if middle:
        x = b.node(middle, [x], "middle")
    y = head(b, x, 8, ("pool", "flatten", "fc"))
    return b.model(name, "input", TensorProto.FLOAT, ["batch", 3, height, width], y, ["batch", 1000])


def external(seed, outdir):
    m = small_convnet(seed, "external", None)
    w = next(t for t in m.graph.initializer if t.name == "fc.weight")
    with open(os.path.join(outdir, "external.weights"), "wb") as f:
        f.write(w.raw_data)
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "external.weights"), ("offset", "0")):
        e = w.external_data.add()
        e.key, e.value = k, v
    return m


def large_mlp(seed):
    """About 104 MB of float weights in three fully connected layers."""
    b = Builder(seed)
    x, n_in = "input", 4096
    for i, n_out in enumerate((4096, 2048, 1000)):
        w = b.const("fc%d.weight" % i, b.rng.standard_normal((n_out, n_in), np.float32) * math.sqrt(2 / n_in))
        bias = b.const("fc%d.bias" % i, np.zeros(n_out, np.float32))
        x = b.node("Gemm", [x, w, bias], "fc%d" % i, transB=1)
        if i < 2:
            x = b.node("Relu", [x], "fc%d.relu" % i)
        n_in = n_out
    return b.model("large-mlp", "input", TensorProto.FLOAT, ["batch", 4096], x, ["batch", 1000])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("outdir")
    p.add_argument("--only", help="comma separated file names without .onnx")
    p.add_argument("--large", action="store_true", help="also write large-mlp.onnx (about 104 MB)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    makers = {
        "mobilenet-v2": lambda: mobilenet_v2(a.seed),
        "mobilenet-v2-qdq": lambda: mobilenet_v2_qdq(a.seed),
        "mobilenet-v2-opset10": lambda: mobilenet_v2(a.seed, 10),
        "resnet-50": lambda: resnet50(a.seed),
        "bert-base-layer": lambda: bert_layer(a.seed),
        "bert-base-layer-opset13": lambda: bert_layer(a.seed, 13),
        "lstm-lm": lambda: lstm_lm(a.seed),
        "dynamic": lambda: small_convnet(a.seed, "dynamic", None, "height", "width"),
        "unsupported": lambda: small_convnet(a.seed, "unsupported", "HardSwish"),
        "external": lambda: external(a.seed, a.outdir),
    }
    if a.large:
        makers["large-mlp"] = lambda: large_mlp(a.seed)
    names = a.only.split(",") if a.only else list(makers)
    for n in names:
        if n not in makers:
            sys.exit("make_onnx_models.py: unknown model '%s' (%s)" % (n, ", ".join(makers)))
    os.makedirs(a.outdir, exist_ok=True)
    for n in names:
        m = makers[n]()
        if n != "external":  # the checker would look for the external file
            onnx.checker.check_model(m)
        path = os.path.join(a.outdir, n + ".onnx")
        tmp = path + ".tmp"
        onnx.save(m, tmp)
        os.replace(tmp, path)
        print("wrote %s (%.1f MB)" % (path, os.path.getsize(path) / 1e6))


if __name__ == "__main__":
    main()
