package ai.peft4j.engine.onnx;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.HostTensor;
import com.google.flatbuffers.FlatBufferBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes ONNX Runtime's {@code .onnx_adapter} files: the FlatBuffers format that
 * {@code OrtLoraAdapter} loads (schema {@code onnxruntime/lora/adapter_format/adapter_schema.fbs},
 * file identifier {@code TORT}, format version 1). Each parameter is a named float32 tensor that
 * ONNX Runtime feeds to the graph input of the same name when the adapter is active.
 *
 * <pre>{@code
 * Map<String, HostTensor> params = Map.of("lora.slot.model.layers.0.self_attn.q_proj.A", a, ...);
 * OnnxAdapterFile.write(dir.resolve("summarize.onnx_adapter"), params, 1, 0);
 * OnnxAdapterFile.Contents back = OnnxAdapterFile.read(dir.resolve("summarize.onnx_adapter"));
 * }</pre>
 */
public final class OnnxAdapterFile {
    /** The file extension ONNX Runtime's tools use. */
    public static final String EXTENSION = ".onnx_adapter";
    /** The only adapter format version ONNX Runtime 1.23 reads. */
    public static final int FORMAT_VERSION = 1;
    static final String IDENTIFIER = "TORT";
    /** {@code TensorDataType.FLOAT} in the schema. */
    private static final int FLOAT = 1;

    // Field slots (vtable indices) of the schema's tables.
    private static final int PARAM_NAME = 0;
    private static final int PARAM_DIMS = 1;
    private static final int PARAM_DATA_TYPE = 2;
    private static final int PARAM_RAW_DATA = 3;
    private static final int ADAPTER_FORMAT_VERSION = 0;
    private static final int ADAPTER_ADAPTER_VERSION = 1;
    private static final int ADAPTER_MODEL_VERSION = 2;
    private static final int ADAPTER_PARAMETERS = 3;

    private OnnxAdapterFile() {}

    /** A parsed adapter file; parameters in file order. */
    public record Contents(int formatVersion, int adapterVersion, int modelVersion, Map<String, HostTensor> parameters) {}

    /** Serializes float32 parameters (sorted by name, for reproducible bytes). */
    public static byte[] toBytes(Map<String, HostTensor> parameters, int adapterVersion, int modelVersion) {
        if (parameters.isEmpty()) {
            throw new Peft4jException("an onnx adapter needs at least one parameter");
        }
        long bytes = 0;
        for (HostTensor t : parameters.values()) {
            bytes += t.numel() * 4 + 64;
        }
        FlatBufferBuilder b = new FlatBufferBuilder((int) Math.min(Integer.MAX_VALUE - 1024, bytes + 1024));
        Map<String, HostTensor> sorted = new TreeMap<>(parameters);
        int[] params = new int[sorted.size()];
        int i = 0;
        for (Map.Entry<String, HostTensor> e : sorted.entrySet()) {
            if (e.getKey().isEmpty()) {
                throw new Peft4jException("an onnx adapter parameter needs a name");
            }
            HostTensor t = e.getValue();
            int name = b.createString(e.getKey());
            long[] dims = t.shape();
            b.startVector(8, dims.length, 8);
            for (int d = dims.length - 1; d >= 0; d--) {
                b.addLong(dims[d]);
            }
            int dimsVec = b.endVector();
            // raw_data is force_align 8 in the schema: ONNX Runtime points a tensor straight at it.
            ByteBuffer raw = b.createUnintializedVector(1, t.data().length * 4, 8);
            raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(t.data());
            int rawVec = b.endVector();
            b.startTable(4);
            b.addOffset(PARAM_RAW_DATA, rawVec, 0);
            b.addOffset(PARAM_DIMS, dimsVec, 0);
            b.addOffset(PARAM_NAME, name, 0);
            b.addInt(PARAM_DATA_TYPE, FLOAT, 0);
            params[i++] = b.endTable();
        }
        int paramsVec = b.createVectorOfTables(params);
        b.startTable(4);
        b.addOffset(ADAPTER_PARAMETERS, paramsVec, 0);
        b.addInt(ADAPTER_MODEL_VERSION, modelVersion, 0);
        b.addInt(ADAPTER_ADAPTER_VERSION, adapterVersion, 0);
        b.addInt(ADAPTER_FORMAT_VERSION, FORMAT_VERSION, 0);
        int root = b.endTable();
        b.finish(root, IDENTIFIER);
        return b.sizedByteArray();
    }

    /** Writes an adapter file atomically. */
    public static void write(Path file, Map<String, HostTensor> parameters, int adapterVersion, int modelVersion) {
        byte[] bytes = toBytes(parameters, adapterVersion, modelVersion);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** Reads and validates an adapter file. */
    public static Contents read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Peft4jException(file + ": adapter file not found");
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
        return fromBytes(bytes, file.toString());
    }

    /**
     * Parses adapter bytes; {@code source} names them in errors. Every offset is bounds-checked,
     * so a truncated or foreign file fails with a clear message.
     */
    public static Contents fromBytes(byte[] bytes, String source) {
        try {
            ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (bytes.length < 8 || !IDENTIFIER.equals(new String(bytes, 4, 4, StandardCharsets.US_ASCII))) {
                throw new Peft4jException(source + ": not an .onnx_adapter file (missing the 'TORT' identifier)");
            }
            Reader r = new Reader(bb, source);
            int root = r.offset(0);
            int format = r.intField(root, ADAPTER_FORMAT_VERSION);
            if (format != FORMAT_VERSION) {
                throw new Peft4jException(source + ": adapter format version " + format + " is not supported (expected " + FORMAT_VERSION + ")");
            }
            int adapterVersion = r.intField(root, ADAPTER_ADAPTER_VERSION);
            int modelVersion = r.intField(root, ADAPTER_MODEL_VERSION);
            Map<String, HostTensor> params = new LinkedHashMap<>();
            int vec = r.vectorField(root, ADAPTER_PARAMETERS);
            int n = vec < 0 ? 0 : r.length(vec);
            for (int i = 0; i < n; i++) {
                int p = r.offset(vec + 4 + 4 * i);
                String name = r.string(p, PARAM_NAME);
                int type = r.intField(p, PARAM_DATA_TYPE);
                if (type != FLOAT) {
                    throw new Peft4jException(source + ": parameter '" + name + "' has data type " + type
                            + "; peft4j reads float32 (1) adapters only");
                }
                int dimsVec = r.vectorField(p, PARAM_DIMS);
                int rank = dimsVec < 0 ? 0 : r.length(dimsVec);
                long[] dims = new long[rank];
                long numel = 1;
                for (int d = 0; d < rank; d++) {
                    dims[d] = r.bb.getLong(r.check(dimsVec + 4 + 8 * d, 8));
                    if (dims[d] < 0) {
                        throw new Peft4jException(source + ": parameter '" + name + "' has a negative dimension");
                    }
                    numel = Math.multiplyExact(numel, dims[d]);
                }
                int raw = r.vectorField(p, PARAM_RAW_DATA);
                int rawLen = raw < 0 ? 0 : r.length(raw);
                if (rawLen != numel * 4) {
                    throw new Peft4jException(source + ": parameter '" + name + "' has " + rawLen + " data bytes for shape "
                            + Arrays.toString(dims));
                }
                float[] data = new float[(int) numel];
                ByteBuffer slice = r.bb.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                slice.position(r.check(raw + 4, rawLen));
                slice.asFloatBuffer().get(data);
                if (params.put(name, new HostTensor(dims, data)) != null) {
                    throw new Peft4jException(source + ": parameter '" + name + "' appears twice");
                }
            }
            return new Contents(format, adapterVersion, modelVersion, Collections.unmodifiableMap(params));
        } catch (IndexOutOfBoundsException | ArithmeticException | IllegalArgumentException e) {
            throw new Peft4jException(source + ": corrupt .onnx_adapter file: " + e.getMessage(), e);
        }
    }

    /** Minimal FlatBuffers table access with bounds checks. */
    private static final class Reader {
        final ByteBuffer bb;
        final String source;

        Reader(ByteBuffer bb, String source) {
            this.bb = bb;
            this.source = source;
        }

        int check(int pos, int len) {
            if (pos < 0 || len < 0 || (long) pos + len > bb.limit()) {
                throw new Peft4jException(source + ": corrupt .onnx_adapter file (offset " + pos + " out of bounds)");
            }
            return pos;
        }

        /** Follows the uoffset stored at {@code pos}. */
        int offset(int pos) {
            return check(pos + bb.getInt(check(pos, 4)), 0);
        }

        /** The position of a table field, or -1 when absent. */
        int field(int table, int slot) {
            int vtable = check(table - bb.getInt(check(table, 4)), 4);
            int vtableSize = Short.toUnsignedInt(bb.getShort(vtable));
            int entry = 4 + 2 * slot;
            if (entry + 2 > vtableSize) {
                return -1;
            }
            int off = Short.toUnsignedInt(bb.getShort(check(vtable + entry, 2)));
            return off == 0 ? -1 : check(table + off, 0);
        }

        int intField(int table, int slot) {
            int f = field(table, slot);
            return f < 0 ? 0 : bb.getInt(check(f, 4));
        }

        int vectorField(int table, int slot) {
            int f = field(table, slot);
            return f < 0 ? -1 : offset(f);
        }

        int length(int vector) {
            return bb.getInt(check(vector, 4));
        }

        String string(int table, int slot) {
            int s = vectorField(table, slot);
            if (s < 0) {
                return "";
            }
            int len = length(s);
            check(s + 4, len);
            return new String(bb.array(), s + 4, len, StandardCharsets.UTF_8);
        }
    }
}
