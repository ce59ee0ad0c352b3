package ai.peft4j.engine.onnx;

import static ai.peft4j.engine.onnx.GraphBuilder.attr;
import static ai.peft4j.engine.onnx.GraphBuilder.attrs;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.ops.Activation;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.RotarySpec;
import ai.peft4j.api.ops.Tensor;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Symbolic {@link Ops}: every call appends ONNX nodes to a {@link GraphBuilder} and returns the
 * name of the result. The per-forward inputs (ids, positions, mask, past keys and values, row
 * selectors) are graph inputs, so one traced graph serves every batch size and length.
 *
 * <p>Shapes are never baked in: reshapes use ONNX's 0 ("keep this dimension") and -1, and the
 * few sizes that must be computed come from {@code Shape} nodes.
 */
final class OnnxOps implements Ops {
    static final String INPUT_IDS = "input_ids";
    static final String POSITION_IDS = "position_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String LOGITS = "logits";
    /** The additive value for hidden positions: finite, so fully masked (pad) rows stay NaN-free. */
    static final float MASK_MIN = -Float.MAX_VALUE;

    /** Resolves {@link #param} keys to graph values (initializers or inputs). */
    interface ParamResolver {
        /** The graph value of a parameter, declaring it on first use; fails for unknown keys. */
        GraphValue resolve(String key, GraphBuilder graph);

        boolean has(String key);

        /** The static shape of a resolved parameter; -1 marks a dynamic dimension. */
        long[] shape(String key);

        /**
         * The quantized form of a resolved base weight, whose {@code B} and {@code scales}
         * initializers ({@link #quantCodes}, {@link #quantScales}) the resolver declared; null
         * for a weight held in float.
         */
        default OnnxQuantizedWeight quantized(String key) {
            return null;
        }

        /** Whether a resolved parameter is a float16 value that ops widen to float32 per use. */
        default boolean half(String key) {
            return false;
        }
    }

    /** The name of a quantized weight's {@code MatMulNBits} {@code B} initializer. */
    static String quantCodes(String key) {
        return key + ".quant_codes";
    }

    /** The name of a quantized weight's {@code MatMulNBits} {@code scales} initializer. */
    static String quantScales(String key) {
        return key + ".quant_scales";
    }



    private final GraphBuilder g;
    private final ParamResolver params;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final boolean mixedRows;
    private final long accuracyLevel;
    private final Map<String, String> paramNames = new HashMap<>();
    /** Placeholder values of quantized weights: only {@link #linear} and {@link #matmulInOut} read them. */
    private final Map<String, QuantizedParam> quantizedByName = new HashMap<>();
    /** Float16 parameters, and their float32 widening (one Cast per graph, emitted at first use). */
    private final Set<String> halfNames = new java.util.HashSet<>();
    private final Map<String, String> widened = new HashMap<>();
    private final Map<String, long[]> shapeByName = new HashMap<>();
    private final Map<RotarySpec, String[]> rotaryTables = new HashMap<>();
    private final Map<String, String> leadingShape = new HashMap<>();
    private final Set<String> rowSelectors = new LinkedHashSet<>();
    private final boolean[] attended;
    private String additiveMask;

    /**
     * @param layers the decoder's layer count (one past/present pair each)
     * @param mixedRows whether {@link #rowSelector} returns per-row inputs (mixed-adapter batches)
     */
    OnnxOps(GraphBuilder graph, ParamResolver params, int layers, int kvHeads, int headDim, boolean mixedRows) {
        this(graph, params, layers, kvHeads, headDim, mixedRows, 0);
    }

    /**
     * @param accuracyLevel {@code MatMulNBits}' {@code accuracy_level} for quantized weights: 0
     *     computes in float32, 4 with activations quantized to int8 per block (see
     *     {@link QuantizedMatmul})
     */
    OnnxOps(GraphBuilder graph, ParamResolver params, int layers, int kvHeads, int headDim, boolean mixedRows, long accuracyLevel) {
        this.accuracyLevel = accuracyLevel;
        this.g = graph;
        this.params = params;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.mixedRows = mixedRows;
        this.attended = new boolean[layers];
        g.input(INPUT_IDS, GraphBuilder.INT64, "batch", "sequence");
        g.input(POSITION_IDS, GraphBuilder.INT64, "batch", "query");
        g.input(ATTENTION_MASK, GraphBuilder.INT64, "batch", "total");
        for (int i = 0; i < layers; i++) {
            g.input(pastKey(i), GraphBuilder.FLOAT, "batch", kvHeads, "past", headDim);
            g.input(pastValue(i), GraphBuilder.FLOAT, "batch", kvHeads, "past", headDim);
        }
    }

    static String pastKey(int layer) {
        return "past_key_values." + layer + ".key";
    }

    static String pastValue(int layer) {
        return "past_key_values." + layer + ".value";
    }

    static String presentKey(int layer) {
        return "present." + layer + ".key";
    }

    static String presentValue(int layer) {
        return "present." + layer + ".value";
    }

    static String rowSelectorInput(String adapterName) {
        return "row_selector." + adapterName;
    }

    /** The adapter names whose row selectors became graph inputs. */
    Set<String> rowSelectors() {
        return rowSelectors;
    }

    /** Declares the logits output and a present pair for every layer (pass-through if unused). */
    void finish(Tensor logits) {
        g.nodeTo("Identity", List.of(name(logits)), LOGITS);
        g.output(LOGITS, GraphBuilder.FLOAT, "batch", "positions", "vocab");
        for (int i = 0; i < layers; i++) {
            if (!attended[i]) {
                g.nodeTo("Identity", List.of(pastKey(i)), presentKey(i));
                g.nodeTo("Identity", List.of(pastValue(i)), presentValue(i));
            }
            g.output(presentKey(i), GraphBuilder.FLOAT, "batch", kvHeads, "total", headDim);
            g.output(presentValue(i), GraphBuilder.FLOAT, "batch", kvHeads, "total", headDim);
        }
    }

    /** A quantized base weight's key and kernel inputs. */
    private record QuantizedParam(String key, OnnxQuantizedWeight weight) {}

    private String name(Tensor t) {
        String n = rawName(t);
        QuantizedParam q = quantizedByName.get(n);
        if (q != null) {
            // No float32 copy of a quantized weight exists in the graph; only the matmul kernels read its codes.
            throw new Peft4jException("base weight '" + q.key() + "' is held " + q.weight().scheme().id() + "-quantized on the onnx "
                    + "engine, so only a linear layer may read it; load with quantization none to use it otherwise");
        }
        if (halfNames.contains(n)) {
            return widened.computeIfAbsent(n, k -> g.node("Cast", List.of(k), attr("to", (long) GraphBuilder.FLOAT)));
        }
        return n;
    }

    private static String rawName(Tensor t) {
        if (!(t instanceof GraphValue v)) {
            throw new Peft4jException("the onnx engine got a tensor from another engine: " + t);
        }
        return v.name();
    }

    private GraphValue v(String name) {
        return new GraphValue(name);
    }

    // ---- inputs and parameters ------------------------------------------------------------

    @Override
    public Tensor inputIds() {
        return v(INPUT_IDS);
    }

    @Override
    public Tensor positionIds() {
        return v(POSITION_IDS);
    }

    @Override
    public Tensor param(String key) {
        String n = paramNames.get(key);
        if (n == null) {
            n = params.resolve(key, g).name();
            paramNames.put(key, n);
            shapeByName.put(n, params.shape(key));
            OnnxQuantizedWeight q = params.quantized(key);
            if (q != null) {
                quantizedByName.put(n, new QuantizedParam(key, q));
            }
            if (params.half(key)) {
                halfNames.add(n);
            }
        }
        return v(n);
    }

    @Override
    public boolean hasParam(String key) {
        return params.has(key);
    }

    @Override
    public boolean training() {
        return false;
    }

    // ---- element-wise -----------------------------------------------------------------------

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return v(g.node("Add", List.of(name(a), name(b))));
    }

    @Override
    public Tensor sub(Tensor a, Tensor b) {
        return v(g.node("Sub", List.of(name(a), name(b))));
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        return v(g.node("Mul", List.of(name(a), name(b))));
    }

    @Override
    public Tensor scale(Tensor a, double factor) {
        return v(mulScalar(name(a), (float) factor));
    }

    private String mulScalar(String x, float f) {
        return g.node("Mul", List.of(x, g.scalarF(f)));
    }

    @Override
    public Tensor activation(Tensor t, Activation activation) {
        String x = name(t);
        switch (activation) {
            case GELU: {
                // 0.5 x (1 + erf(x / sqrt 2)); ORT fuses the pattern into its Gelu kernel.
                String erf = g.node("Erf", List.of(g.node("Div", List.of(x, g.scalarF((float) Math.sqrt(2.0))))));
                String onePlus = g.node("Add", List.of(erf, g.scalarF(1f)));
                return v(g.node("Mul", List.of(g.node("Mul", List.of(x, onePlus)), g.scalarF(0.5f))));
            }
            case GELU_TANH: {
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as gelu_new.
                String cube = g.node("Pow", List.of(x, g.scalarF(3f)));
                String inner = g.node("Add", List.of(x, mulScalar(cube, 0.044715f)));
                String tanh = g.node("Tanh", List.of(mulScalar(inner, (float) Math.sqrt(2.0 / Math.PI))));
                String onePlus = g.node("Add", List.of(tanh, g.scalarF(1f)));
                return v(g.node("Mul", List.of(mulScalar(x, 0.5f), onePlus)));
            }
            case SILU:
                return v(g.node("Mul", List.of(x, g.node("Sigmoid", List.of(x)))));
            case RELU:
                return v(g.node("Relu", List.of(x)));
            default:
                throw new Peft4jException("activation not implemented on onnx: " + activation);
        }
    }

    @Override
    public Tensor dropout(Tensor x, double p) {
        return x; // inference only: dropout is the identity
    }

    // ---- layers -----------------------------------------------------------------------------

    @Override
    public Tensor embedding(Tensor table, Tensor ids) {
        String raw = rawName(table);
        if (halfNames.contains(raw)) {
            // gather the float16 rows, then widen only those: never the whole table
            String rows = g.node("Gather", List.of(raw, name(ids)), attr("axis", 0L));
            return v(g.node("Cast", List.of(rows), attr("to", (long) GraphBuilder.FLOAT)));
        }
        return v(g.node("Gather", List.of(name(table), name(ids)), attr("axis", 0L)));
    }

    @Override
    public Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        QuantizedParam q = quantizedByName.get(rawName(weight));
        if (q != null) {
            return quantizedLinear(x, q, bias);
        }
        // Gemm with transB reads the [out, in] weight in place (no transposed copy); it needs 2-D
        // input, so flatten the leading axes and restore them afterwards.
        String in = name(x);
        String w = name(weight);
        String flat = g.node("Flatten", List.of(in), attr("axis", -1L));
        String raw = rawName(weight);
        List<String> gemmIn = bias == null ? List.of(flat, w) : List.of(flat, w, name(bias));
        String y = g.node("Gemm", gemmIn, attr("transB", 1L));
        String outDim = outFeatures(raw);
        String shape = g.node("Concat", List.of(leading(in), outDim), attr("axis", 0L));
        // allowzero: the shape holds real sizes, and a rank-0 adapter makes one of them 0.
        return v(g.node("Reshape", List.of(y, shape), attr("allowzero", 1L)));
    }

    /** {@code [out]} of an {@code [out, in]} weight: a constant when known, else a Shape slice. */
    private String outFeatures(String w) {
        long[] s = shapeByName.get(w);
        if (s != null && s.length == 2 && s[0] >= 0) {
            return g.constI64(s[0]);
        }
        return g.node("Shape", List.of(w), attr("start", 0L), attr("end", 1L));
    }

    /** The shape of x without its last axis, computed once per value. */
    private String leading(String x) {
        return leadingShape.computeIfAbsent(x, k -> g.node("Shape", List.of(k), attr("end", -1L)));
    }

    @Override
    public Tensor matmulInOut(Tensor x, Tensor weight, Tensor bias) {
        QuantizedParam q = quantizedByName.get(rawName(weight));
        if (q != null) {
            // quantized weights are [out, in] whatever the checkpoint's layout
            return quantizedLinear(x, q, bias);
        }
        String y = g.node("MatMul", List.of(name(x), name(weight)));
        if (bias != null) {
            y = g.node("Add", List.of(y, name(bias)));
        }
        return v(y);
    }

    /**
     * {@code x · Wᵀ (+ bias)} on ONNX Runtime's own quantized kernel: {@code MatMulNBits} reads the
     * codes and scales as stored and takes any leading axes, so no flatten or reshape is needed.
     */
    private Tensor quantizedLinear(Tensor x, QuantizedParam q, Tensor bias) {
        OnnxQuantizedWeight w = q.weight();
        List<AttributeProto> a = new java.util.ArrayList<>(List.of(attr("K", (long) w.cols()), attr("N", (long) w.rows()),
                attr("bits", (long) w.bits()), attr("block_size", (long) w.blockSize())));
        if (accuracyLevel != 0) {
            a.add(attr("accuracy_level", accuracyLevel));
        }
        String y = g.microsoftNode("MatMulNBits", List.of(name(x), quantCodes(q.key()), quantScales(q.key())),
                a.toArray(new AttributeProto[0]));
        if (bias != null) {
            y = g.node("Add", List.of(y, name(bias)));
        }
        return v(y);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return v(g.node("LayerNormalization", List.of(name(x), name(gamma), name(beta)),
                attr("axis", -1L), attr("epsilon", (float) eps)));
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor gamma, double eps) {
        // The Pow/ReduceMean/Add/Sqrt/Div/Mul chain that ORT fuses into SimplifiedLayerNormalization.
        String in = name(x);
        String sq = g.node("Pow", List.of(in, g.scalarF(2f)));
        String mean = g.node("ReduceMean", List.of(sq), attrs("axes", -1L), attr("keepdims", 1L));
        String rms = g.node("Sqrt", List.of(g.node("Add", List.of(mean, g.scalarF((float) eps)))));
        return v(g.node("Mul", List.of(g.node("Div", List.of(in, rms)), name(gamma))));
    }

    // ---- shape ------------------------------------------------------------------------------

    @Override
    public Tensor[] splitLast(Tensor x, int... sizes) {
        long[] s = new long[sizes.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = sizes[i];
        }
        String[] parts = g.nodeN("Split", List.of(name(x), g.constI64(s)), sizes.length, attr("axis", -1L));
        Tensor[] out = new Tensor[parts.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = v(parts[i]);
        }
        return out;
    }

    @Override
    public Tensor splitHeads(Tensor x, int heads) {
        String r = g.node("Reshape", List.of(name(x), g.constI64(0, 0, heads, -1)));
        return v(g.node("Transpose", List.of(r), attrs("perm", 0, 2, 1, 3)));
    }

    @Override
    public Tensor mergeHeads(Tensor x) {
        String t = g.node("Transpose", List.of(name(x)), attrs("perm", 0, 2, 1, 3));
        return v(g.node("Reshape", List.of(t, g.constI64(0, 0, -1))));
    }

    @Override
    public Tensor concatSeq(Tensor first, Tensor second) {
        return v(g.node("Concat", List.of(name(first), name(second)), attr("axis", 1L)));
    }

    @Override
    public Tensor broadcastBatch(Tensor x) {
        String u = g.node("Unsqueeze", List.of(name(x), g.constI64(0)));
        String batch = g.node("Shape", List.of(INPUT_IDS), attr("start", 0L), attr("end", 1L));
        String shape = g.node("Concat", List.of(batch, g.constI64(1, 1)), attr("axis", 0L));
        return v(g.node("Expand", List.of(u, shape)));
    }

    @Override
    public Tensor lastPosition(Tensor x) {
        return v(g.node("Slice", List.of(name(x), g.constI64(-1), g.constI64(Long.MAX_VALUE), g.constI64(1))));
    }

    // ---- attention --------------------------------------------------------------------------

    @Override
    public Tensor rotary(Tensor t, RotarySpec spec) {
        String x = name(t);
        String[] cs = rotaryTables.computeIfAbsent(spec, this::tables);
        int rd = spec.rotaryDim();
        String rot = rd == headDim ? x : slice(x, 0, rd, 3);
        String out;
        if (spec.interleaved()) {
            // GPT-J: rotate every pair (x[2i], x[2i+1]).
            String pairs = g.node("Reshape", List.of(rot, g.constI64(0, 0, 0, -1, 2)));
            String[] eo = g.nodeN("Split", List.of(pairs, g.constI64(1, 1)), 2, attr("axis", -1L));
            String cos = g.node("Unsqueeze", List.of(cs[0], g.constI64(4)));
            String sin = g.node("Unsqueeze", List.of(cs[1], g.constI64(4)));
            String even = g.node("Sub", List.of(g.node("Mul", List.of(eo[0], cos)), g.node("Mul", List.of(eo[1], sin))));
            String odd = g.node("Add", List.of(g.node("Mul", List.of(eo[1], cos)), g.node("Mul", List.of(eo[0], sin))));
            String stacked = g.node("Concat", List.of(even, odd), attr("axis", -1L));
            out = g.node("Reshape", List.of(stacked, g.constI64(0, 0, 0, -1)));
        } else {
            // Llama / NeoX: rotate halves.
            String x1 = slice(rot, 0, rd / 2, 3);
            String x2 = slice(rot, rd / 2, rd, 3);
            String rotated = g.node("Concat", List.of(g.node("Neg", List.of(x2)), x1), attr("axis", -1L));
            out = g.node("Add", List.of(g.node("Mul", List.of(rot, cs[2])), g.node("Mul", List.of(rotated, cs[3]))));
        }
        if (rd != headDim) {
            out = g.node("Concat", List.of(out, slice(x, rd, Long.MAX_VALUE, 3)), attr("axis", -1L));
        }
        return v(out);
    }

    private String slice(String x, long start, long end, long axis) {
        return g.node("Slice", List.of(x, g.constI64(start), g.constI64(end), g.constI64(axis)));
    }

    /** cos, sin {@code [b, 1, q, rd/2]} at this forward's positions, and both doubled to rd. */
    private String[] tables(RotarySpec spec) {
        float[] inv = spec.invFreq();
        String pos = g.node("Cast", List.of(POSITION_IDS), attr("to", (long) GraphBuilder.FLOAT));
        String angles = g.node("Mul", List.of(g.node("Unsqueeze", List.of(pos, g.constI64(2))), g.constF(inv, inv.length)));
        angles = g.node("Unsqueeze", List.of(angles, g.constI64(1)));
        String cos = g.node("Cos", List.of(angles));
        String sin = g.node("Sin", List.of(angles));
        if (spec.attentionScaling() != 1f) {
            cos = mulScalar(cos, spec.attentionScaling());
            sin = mulScalar(sin, spec.attentionScaling());
        }
        String cosFull = g.node("Concat", List.of(cos, cos), attr("axis", -1L));
        String sinFull = g.node("Concat", List.of(sin, sin), attr("axis", -1L));
        return new String[] {cos, sin, cosFull, sinFull};
    }

    @Override
    public Tensor attention(int layer, Tensor qt, Tensor kt, Tensor vt, double scale) {
        if (layer < 0 || layer >= layers || attended[layer]) {
            throw new Peft4jException("attention for layer " + layer + " called twice or out of range (layers: " + layers + ")");
        }
        attended[layer] = true;
        String q = name(qt);
        g.nodeTo("Concat", List.of(pastKey(layer), name(kt)), presentKey(layer), attr("axis", 2L));
        g.nodeTo("Concat", List.of(pastValue(layer), name(vt)), presentValue(layer), attr("axis", 2L));
        String k = presentKey(layer);
        String val = presentValue(layer);
        String mask = mask(q);
        String heads = g.node("Shape", List.of(q), attr("start", 1L), attr("end", 2L));
        // Grouped-query attention without copying keys: fold the query groups into the sequence
        // axis, [b, heads, t, d] -> [b, kvHeads, rep*t, d], as the PyTorch engine does.
        String qg = g.node("Reshape", List.of(q, g.constI64(0, kvHeads, -1, headDim)));
        String kT = g.node("Transpose", List.of(k), attrs("perm", 0, 1, 3, 2));
        String scores = mulScalar(g.node("MatMul", List.of(qg, kT)), (float) scale);
        String perHead = g.node("Concat", List.of(g.constI64(0), heads, g.constI64(-1, 0)), attr("axis", 0L));
        scores = g.node("Reshape", List.of(scores, perHead));
        String probs = g.node("Softmax", List.of(g.node("Add", List.of(scores, mask))), attr("axis", -1L));
        probs = g.node("Reshape", List.of(probs, g.constI64(0, kvHeads, -1, 0)));
        String out = g.node("MatMul", List.of(probs, val));
        String outShape = g.node("Concat", List.of(g.constI64(0), heads, g.constI64(-1, headDim)), attr("axis", 0L));
        return v(g.node("Reshape", List.of(out, outShape)));
    }

    /**
     * The additive causal + padding mask {@code [b, 1, q, total]}, built once per graph from the
     * {@code attention_mask} input: key j is visible to query i when {@code j <= past + i} and
     * the mask holds 1 at j. Hidden positions get {@link #MASK_MIN}, never -inf.
     */
    private String mask(String q) {
        if (additiveMask != null) {
            return additiveMask;
        }
        String total = g.node("Shape", List.of(ATTENTION_MASK), attr("start", 1L), attr("end", 2L));
        String qlen = g.node("Shape", List.of(q), attr("start", 2L), attr("end", 3L));
        String past = g.node("Sub", List.of(total, qlen));
        String zero = g.scalarI64(0);
        String one = g.scalarI64(1);
        String keyIdx = g.node("Range", List.of(zero, g.node("Squeeze", List.of(total, g.constI64(0))), one));
        String queryIdx = g.node("Add", List.of(g.node("Range", List.of(zero, g.node("Squeeze", List.of(qlen, g.constI64(0))), one)), past));
        String causal = g.node("LessOrEqual", List.of(g.node("Unsqueeze", List.of(keyIdx, g.constI64(0))),
                g.node("Unsqueeze", List.of(queryIdx, g.constI64(1)))));
        String pad = g.node("Cast", List.of(g.node("Unsqueeze", List.of(ATTENTION_MASK, g.constI64(1, 2)))),
                attr("to", (long) GraphBuilder.BOOL));
        String visible = g.node("And", List.of(causal, pad));
        additiveMask = g.node("Where", List.of(visible, g.scalarF(0f), g.scalarF(MASK_MIN)));
        return additiveMask;
    }

    @Override
    public Tensor rowSelector(String adapterName) {
        if (!mixedRows) {
            return null;
        }
        String input = rowSelectorInput(adapterName);
        if (rowSelectors.add(adapterName)) {
            g.input(input, GraphBuilder.FLOAT, "batch", 1, 1);
        }
        return v(input);
    }
}
