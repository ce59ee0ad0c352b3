package ai.peft4j.api.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files byte-for-byte as Python's {@code safetensors} library does, so an
 * adapter saved here is identical to one saved by PEFT.
 *
 * <p>Layout, as in the reference writer: tensors ordered by dtype alignment (widest first), then
 * by name; compact header JSON with {@code __metadata__} first; header padded with spaces to a
 * multiple of 8 bytes; data contiguous with no gaps. {@code metadata} may be {@code null} (no
 * {@code __metadata__} entry); its keys are written sorted, for determinism. Every write is
 * atomic (see {@link AtomicFiles}): the target is either untouched or complete.
 *
 * <pre>{@code
 * SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), loraWeights, Map.of("format", "pt"));
 * SafetensorsWriter.write(out, weights, Map.of("format", "pt"), DType.BF16);  // narrowed, round to nearest even
 * }</pre>
 */
public final class SafetensorsWriter {
    private static final int CHUNK_BYTES = 1 << 16;
    private static final int MAX_WRITE = 1 << 20;

    private SafetensorsWriter() {
    }

    /** Writes float32 tensors. */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        write(file, tensors, metadata, DType.F32);
    }

    /**
     * Writes float32 tensors stored as {@code dtype}, which must be F32, F16 or BF16; narrowing
     * rounds to nearest, ties to even, as PyTorch's {@code half()} and {@code bfloat16()} do.
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new SafetensorsException(file + ": cannot write float32 tensors as " + dtype + "; use F32, F16 or BF16");
        }
        List<Planned> plan = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : checkedEntries(file, tensors)) {
            HostTensor t = e.getValue();
            plan.add(new Planned(e.getKey(), dtype, t.shape(), t.numel() * dtype.byteSize(), t, null));
        }
        writePlan(file, plan, metadata);
    }

    /**
     * Writes tensors given as raw little-endian bytes in their own dtype, streaming each buffer
     * to the file (mapped buffers are not copied into the heap).
     */
    public static void writeRaw(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) {
        List<Planned> plan = new ArrayList<>();
        for (Map.Entry<String, RawTensor> e : checkedEntries(file, tensors)) {
            RawTensor t = e.getValue();
            long bytes = byteCount(file, e.getKey(), t.dtype(), t.shape());
            if (t.bytes().remaining() != bytes) {
                throw new SafetensorsException(file + ": tensor '" + e.getKey() + "': " + t.dtype()
                        + Arrays.toString(t.shape()) + " needs " + bytes + " bytes but the buffer has "
                        + t.bytes().remaining());
            }
            plan.add(new Planned(e.getKey(), t.dtype(), t.shape(), bytes, null, t.bytes()));
        }
        writePlan(file, plan, metadata);
    }

    private record Planned(String name, DType dtype, long[] shape, long byteLength, HostTensor host, ByteBuffer raw) {
    }

    private static <T> List<Map.Entry<String, T>> checkedEntries(Path file, Map<String, T> tensors) {
        if (tensors == null) {
            throw new SafetensorsException(file + ": tensor map is null");
        }
        List<Map.Entry<String, T>> out = new ArrayList<>(tensors.entrySet());
        for (Map.Entry<String, T> e : out) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new SafetensorsException(file + ": tensor '" + e.getKey() + "': name and tensor must not be null");
            }
            if (e.getKey().equals("__metadata__")) {
                throw new SafetensorsException(file + ": '__metadata__' is reserved and cannot name a tensor");
            }
        }
        return out;
    }

    private static long byteCount(Path file, String name, DType dtype, long[] shape) {
        try {
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new SafetensorsException(file + ": tensor '" + name + "': negative dimension in "
                            + Arrays.toString(shape));
                }
                n = Math.multiplyExact(n, d);
            }
            return Math.multiplyExact(n, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file + ": tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " overflows a long");
        }
    }

    private static void writePlan(Path file, List<Planned> plan, Map<String, String> metadata) {
        // widest dtype first, then by name in UTF-8 byte order (= code point order), as the reference does
        plan.sort(Comparator.comparingInt((Planned p) -> -p.dtype.alignmentRank())
                .thenComparing(Planned::name, SafetensorsWriter::compareCodePoints));
        byte[] header = header(file, plan, metadata);
        try {
            AtomicFiles.writeChannel(file, ch -> {
                ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).put(header).flip();
                writeFully(ch, prefix);
                for (Planned p : plan) {
                    if (p.raw != null) {
                        writeFully(ch, p.raw.duplicate());
                    } else {
                        writeHost(ch, p.host, p.dtype);
                    }
                }
            });
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot write: " + e, e);
        }
    }

    private static byte[] header(Path file, List<Planned> plan, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (metadata != null) {
            json.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : new TreeMap<>(nonNullMetadata(file, metadata)).entrySet()) {
                json.append(first ? "" : ",");
                appendString(json, e.getKey()).append(':');
                appendString(json, e.getValue());
                first = false;
            }
            json.append('}');
        }
        long offset = 0;
        for (Planned p : plan) {
            json.append(json.length() > 1 ? "," : "");
            appendString(json, p.name).append(":{\"dtype\":\"").append(p.dtype.safetensorsName()).append("\",\"shape\":[");
            for (int i = 0; i < p.shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(p.shape[i]);
            }
            long end = offset + p.byteLength; // sums of in-memory sizes cannot overflow a long
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] utf8 = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(utf8, padded);
        Arrays.fill(out, utf8.length, padded, (byte) ' ');
        return out;
    }

    private static Map<String, String> nonNullMetadata(Path file, Map<String, String> metadata) {
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new SafetensorsException(file + ": __metadata__ keys and values must not be null");
            }
        }
        return metadata;
    }

    /** JSON string escaping as serde_json does it: only quote, backslash and control characters. */
    private static StringBuilder appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                case '\b':
                    sb.append("\\b");
                    break;
                case '\f':
                    sb.append("\\f");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"');
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static void writeHost(FileChannel ch, HostTensor t, DType dtype) throws IOException {
        float[] data = t.data();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = CHUNK_BYTES / dtype.byteSize();
        for (int start = 0; start < data.length; start += perChunk) {
            int len = Math.min(perChunk, data.length - start);
            buf.clear();
            if (dtype == DType.F32) {
                buf.asFloatBuffer().put(data, start, len);
            } else {
                boolean half = dtype == DType.F16;
                for (int i = 0; i < len; i++) {
                    float f = data[start + i];
                    buf.putShort(i * 2, half ? FloatConversions.floatToHalf(f) : FloatConversions.floatToBf16(f));
                }
            }
            buf.limit(len * dtype.byteSize());
            writeFully(ch, buf);
        }
    }

    /** Writes all remaining bytes, at most 1 MiB per call so heap buffers need no huge native copy. */
    private static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
        int end = src.limit();
        while (src.position() < end) {
            src.limit((int) Math.min(end, (long) src.position() + MAX_WRITE));
            while (src.hasRemaining()) {
                ch.write(src);
            }
        }
        src.limit(end);
    }
}
