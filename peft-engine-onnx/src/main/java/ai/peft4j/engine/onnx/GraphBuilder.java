package ai.peft4j.engine.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects ONNX nodes, graph inputs/outputs and initializers, and names every value. Small
 * constants are deduplicated so a traced decoder stays compact and its bytes are a stable
 * fingerprint of its structure.
 */
final class GraphBuilder {
    /** ONNX IR version 8 (ONNX 1.10 to 1.12), which every ONNX Runtime since 1.10 reads. */
    static final int IR_VERSION = 8;
    /** Default-domain opset: 17 brings LayerNormalization and Shape(start, end); ORT 1.23 runs it. */
    static final int OPSET = 17;

    static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    static final int INT64 = TensorProto.DataType.INT64_VALUE;
    static final int BOOL = TensorProto.DataType.BOOL_VALUE;
    static final int UINT8 = TensorProto.DataType.UINT8_VALUE;
    static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;

    /** ONNX Runtime's contrib-op domain ({@code MatMulNBits}); imported only by graphs that use it. */
    static final String MICROSOFT_DOMAIN = "com.microsoft";

    /** Where placeholder external data points; the runtime injects the real tensors instead. */
    static final String INJECTED_LOCATION = "peft4j-injected-by-session-options";

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("peft4j_decoder");
    private final Map<String, String> constants = new HashMap<>();
    private int counter;
    private boolean usesMicrosoftDomain;

    String fresh(String hint) {
        return hint + "_" + (counter++);
    }

    /** Adds a node with one output and returns the output's name. */
    String node(String op, List<String> inputs, AttributeProto... attrs) {
        return nodeN(op, inputs, 1, attrs)[0];
    }

    /** Adds a node with {@code outputs} outputs and returns their names. */
    String[] nodeN(String op, List<String> inputs, int outputs, AttributeProto... attrs) {
        String[] out = new String[outputs];
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(fresh(op + "_node"));
        n.addAllInput(inputs);
        for (int i = 0; i < outputs; i++) {
            out[i] = fresh(op.toLowerCase(java.util.Locale.ROOT));
            n.addOutput(out[i]);
        }
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return out;
    }

    /** Adds a node of ONNX Runtime's {@code com.microsoft} domain with one output. */
    String microsoftNode(String op, List<String> inputs, AttributeProto... attrs) {
        usesMicrosoftDomain = true;
        String out = fresh(op.toLowerCase(java.util.Locale.ROOT));
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setDomain(MICROSOFT_DOMAIN).setName(fresh(op + "_node"))
                .addAllInput(inputs).addOutput(out);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return out;
    }

    /** Adds a node writing to a chosen output name (graph outputs). */
    void nodeTo(String op, List<String> inputs, String output, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(fresh(op + "_node")).addAllInput(inputs).addOutput(output);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        graph.addNode(n);
    }

    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto attrs(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** A 1-D int64 constant. */
    String constI64(long... values) {
        return constant("i64" + Arrays.toString(values), INT64, new long[] {values.length}, bytes(values));
    }

    /** A 0-D int64 constant. */
    String scalarI64(long value) {
        return constant("si64[" + value + "]", INT64, new long[0], bytes(new long[] {value}));
    }

    /** A 0-D float constant. */
    String scalarF(float value) {
        return constant("sf[" + Float.floatToIntBits(value) + "]", FLOAT, new long[0], bytes(new float[] {value}));
    }

    /** A float constant of the given shape. */
    String constF(float[] values, long... dims) {
        int[] bits = new int[values.length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToIntBits(values[i]);
        }
        return constant("f" + Arrays.toString(dims) + Arrays.hashCode(bits) + ":" + Arrays.toString(bits), FLOAT, dims, bytes(values));
    }

    private String constant(String key, int type, long[] dims, byte[] raw) {
        return constants.computeIfAbsent(key, k -> {
            String name = fresh("const");
            TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(raw));
            for (long d : dims) {
                t.addDims(d);
            }
            graph.addInitializer(t);
            return name;
        });
    }

    /** A float32 initializer whose data the session options inject (see {@link #INJECTED_LOCATION}). */
    void injectedInitializer(String name, long[] dims) {
        injectedInitializer(name, FLOAT, dims);
    }

    /** An initializer of element type {@code type} whose data the session options inject. */
    void injectedInitializer(String name, int type, long[] dims) {
        long length = elementBytes(type);
        for (long d : dims) {
            length *= d;
        }
        externalInitializer(name, type, dims, INJECTED_LOCATION, 0, length);
    }

    static int elementBytes(int type) {
        if (type == UINT8) {
            return 1;
        }
        if (type == FLOAT16) {
            return 2;
        }
        if (type == FLOAT) {
            return 4;
        }
        throw new IllegalArgumentException("no element size for ONNX type " + type);
    }

    /** A float32 initializer stored as ONNX external data: {@code length} bytes at {@code offset} of {@code location}. */
    void externalInitializer(String name, long[] dims, String location, long offset, long length) {
        externalInitializer(name, FLOAT, dims, location, offset, length);
    }

    /** An initializer of element type {@code type} stored as ONNX external data. */
    void externalInitializer(String name, int type, long[] dims, String location, long offset, long length) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL);
        for (long d : dims) {
            t.addDims(d);
        }
        t.addExternalData(entry("location", location));
        t.addExternalData(entry("offset", Long.toString(offset)));
        t.addExternalData(entry("length", Long.toString(length)));
        graph.addInitializer(t);
    }

    /** An initializer carrying its float data inline (overridable defaults, small tensors). */
    void floatInitializer(String name, long[] dims, float[] data) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT).setRawData(ByteString.copyFrom(bytes(data)));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    /**
     * Declares a graph input. A dimension given as a {@code String} is symbolic (dynamic), a
     * {@code Number} is fixed.
     */
    void input(String name, int type, Object... dims) {
        graph.addInput(valueInfo(name, type, dims));
    }

    void output(String name, int type, Object... dims) {
        graph.addOutput(valueInfo(name, type, dims));
    }

    static ValueInfoProto valueInfo(String name, int type, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) {
                dim.setDimParam(s);
            } else {
                dim.setDimValue(((Number) d).longValue());
            }
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape)))
                .build();
    }

    ModelProto model() {
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("peft4j")
                .setDomain("ai.peft4j")
                .setModelVersion(1)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        if (usesMicrosoftDomain) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MICROSOFT_DOMAIN).setVersion(1));
        }
        return m.setGraph(graph).build();
    }

    private static byte[] bytes(long[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
