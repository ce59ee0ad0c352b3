package ai.peft4j.api.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A memory-mapped, validated safetensors file.
 *
 * <p>{@link #open} reads and checks the whole header up front (lengths, dtypes, shapes,
 * offsets, overlaps), so a forged or truncated file fails there with a
 * {@link SafetensorsException} naming the file and tensor, never with an
 * {@code OutOfMemoryError} or an index error later. Tensor bytes are mapped lazily, one
 * region per tensor on first access, so files larger than 2 GiB work; a single tensor over
 * 2 GiB cannot be mapped into one {@link ByteBuffer} and fails with a clear error.
 *
 * <p>Buffers returned by {@link #rawBuffer} and {@link #readFloat32Direct} for F32 tensors are
 * mapped slices of the file. They stay valid after {@link #close()}, which only closes the
 * channel; the mapping itself is released when the buffer is garbage collected. Instances are
 * safe for concurrent readers.
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
 *   for (TensorInfo t : f.tensors().values()) {
 *     ByteBuffer fp32 = f.readFloat32Direct(t.name()); // off-heap, little-endian
 *     engine.upload(t.name(), t.shape(), fp32);
 *   }
 *   HostTensor small = f.readHost("model.norm.weight"); // heap copy, for small tensors
 * }
 * }</pre>
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted, as in the reference implementation (100 MB). */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    private static final int CHUNK = 1 << 14;

    private final Path path;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final Map<String, ByteBuffer> mapped = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates {@code file}; the channel stays open until {@link #close()}.
     *
     * @throws SafetensorsException if the file cannot be read or is not a valid safetensors file
     */
    public static SafetensorsFile open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            throw new SafetensorsException(file + ": cannot open: " + e, e);
        }
        try {
            Header h = readHeader(file, ch);
            return new SafetensorsFile(file, ch, h.tensors, h.metadata);
        } catch (Throwable t) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                t.addSuppressed(suppressed);
            }
            if (t instanceof SafetensorsException) {
                throw (SafetensorsException) t;
            }
            if (t instanceof Error) {
                throw (Error) t;
            }
            throw new SafetensorsException(file + ": cannot read: " + t, t);
        }
    }

    private record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new SafetensorsException(file + ": file is " + fileSize
                    + " bytes, too short for the 8-byte header length of a safetensors file");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        // n is unsigned on disk; a negative long means more than 2^63 - 1
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(file + ": header length " + Long.toUnsignedString(n)
                    + " exceeds the " + MAX_HEADER_BYTES + "-byte limit (not a safetensors file?)");
        }
        if (n == 0) {
            throw new SafetensorsException(file + ": header length is 0");
        }
        if (n > fileSize - 8) {
            throw new SafetensorsException(file + ": header length " + n + " runs past the end of the "
                    + fileSize + "-byte file (truncated or not a safetensors file?)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        readFully(ch, headerBytes, 8);
        headerBytes.flip();
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file + ": header is not valid UTF-8", e);
        }
        long dataStart = 8 + n;
        return new HeaderParser(file, json, dataStart, fileSize - dataStart).parse();
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    /** Streams the header JSON so duplicate keys and non-integer numbers are caught. */
    private static final class HeaderParser {
        private final Path file;
        private final String json;
        private final long dataStart;
        private final long dataSize;

        HeaderParser(Path file, String json, long dataStart, long dataSize) {
            this.file = file;
            this.json = json;
            this.dataStart = dataStart;
            this.dataSize = dataSize;
        }

        Header parse() {
            try {
                return parseObject();
            } catch (SafetensorsException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                // Gson reports syntax errors as IOException subclasses or IllegalStateException
                throw new SafetensorsException(file + ": header is not valid JSON: " + gsonMessage(e), e);
            }
        }

        /** Gson's message on one short line, without its advice to parse leniently. */
        private static String gsonMessage(Exception e) {
            String m = String.valueOf(e.getMessage());
            int nl = m.indexOf('\n');
            m = nl >= 0 ? m.substring(0, nl) : m;
            m = m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON");
            return m.length() > 200 ? m.substring(0, 200) + "..." : m; // paths of deep nesting get long
        }

        private Header parseObject() throws IOException {
            JsonReader r = new JsonReader(new StringReader(json));
            r.setStrictness(Strictness.STRICT);
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SafetensorsException(file + ": header is not a JSON object (found " + r.peek() + ")");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            r.beginObject();
            while (r.hasNext()) {
                String key = r.nextName();
                if (!seen.add(key)) {
                    throw new SafetensorsException(file + ": header has key '" + key + "' twice");
                }
                if (key.equals(METADATA_KEY)) {
                    parseMetadata(r, meta);
                } else {
                    entries.add(parseEntry(r, key));
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(file + ": header has data after the JSON object");
            }
            checkOverlaps(entries);
            entries.sort(Comparator.comparing(e -> e.name));
            Map<String, TensorInfo> byName = new LinkedHashMap<>();
            for (Entry e : entries) {
                byName.put(e.name, new TensorInfo(e.name, e.dtype, e.shape, dataStart + e.begin, e.end - e.begin));
            }
            return new Header(Collections.unmodifiableMap(byName), Collections.unmodifiableMap(meta));
        }

        private void parseMetadata(JsonReader r, Map<String, String> meta) throws IOException {
            if (r.peek() == JsonToken.NULL) {
                r.nextNull();
                return;
            }
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SafetensorsException(file + ": __metadata__ is not a JSON object");
            }
            r.beginObject();
            while (r.hasNext()) {
                String k = r.nextName();
                if (r.peek() != JsonToken.STRING) {
                    throw new SafetensorsException(file + ": __metadata__ value of '" + k + "' is not a string");
                }
                if (meta.put(k, r.nextString()) != null) {
                    throw new SafetensorsException(file + ": __metadata__ has key '" + k + "' twice");
                }
            }
            r.endObject();
        }

        private Entry parseEntry(JsonReader r, String name) throws IOException {
            String where = file + ": tensor '" + name + "': ";
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SafetensorsException(where + "entry is not a JSON object");
            }
            String dtypeName = null;
            long[] shape = null;
            long[] offsets = null;
            r.beginObject();
            while (r.hasNext()) {
                String field = r.nextName();
                switch (field) {
                    case "dtype":
                        if (r.peek() != JsonToken.STRING) {
                            throw new SafetensorsException(where + "dtype is not a string");
                        }
                        dtypeName = r.nextString();
                        break;
                    case "shape":
                        shape = readIntegers(r, where, "shape");
                        break;
                    case "data_offsets":
                        offsets = readIntegers(r, where, "data_offsets");
                        break;
                    default:
                        r.skipValue(); // the format ignores unknown fields
                }
            }
            r.endObject();
            if (dtypeName == null || shape == null || offsets == null) {
                throw new SafetensorsException(where + "entry needs dtype, shape and data_offsets");
            }
            DType dtype;
            try {
                dtype = DType.fromSafetensors(dtypeName);
            } catch (SafetensorsException e) {
                throw new SafetensorsException(where + e.getMessage(), e);
            }
            if (offsets.length != 2) {
                throw new SafetensorsException(where + "data_offsets must be [begin, end], not "
                        + Arrays.toString(offsets));
            }
            long numel = 1;
            long bytes;
            try {
                for (long d : shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
            } catch (ArithmeticException e) {
                throw new SafetensorsException(where + "shape " + Arrays.toString(shape) + " of " + dtype
                        + " has more bytes than fit in a long");
            }
            long begin = offsets[0];
            long end = offsets[1];
            String range = "data_offsets [" + begin + "," + end + "]";
            if (end < begin) {
                throw new SafetensorsException(where + range + " end before they begin");
            }
            if (end > dataSize) {
                throw new SafetensorsException(where + range + " lie outside the " + dataSize
                        + "-byte data area (truncated file?)");
            }
            if (end - begin != bytes) {
                throw new SafetensorsException(where + range + " hold " + (end - begin) + " bytes but "
                        + dtype + Arrays.toString(shape) + " needs " + bytes);
            }
            return new Entry(name, dtype, shape, begin, end);
        }

        private long[] readIntegers(JsonReader r, String where, String field) throws IOException {
            if (r.peek() != JsonToken.BEGIN_ARRAY) {
                throw new SafetensorsException(where + field + " is not a JSON array");
            }
            List<Long> values = new ArrayList<>();
            r.beginArray();
            while (r.hasNext()) {
                if (r.peek() != JsonToken.NUMBER) {
                    throw new SafetensorsException(where + field + " holds " + r.peek() + ", not an integer");
                }
                String text = r.nextString();
                if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new SafetensorsException(where + field + " holds " + text + ", not a non-negative integer");
                }
                try {
                    values.add(Long.parseLong(text));
                } catch (NumberFormatException e) {
                    throw new SafetensorsException(where + field + " holds " + text + ", too large for a long");
                }
            }
            r.endArray();
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        private void checkOverlaps(List<Entry> entries) {
            List<Entry> byBegin = new ArrayList<>(entries);
            byBegin.removeIf(e -> e.begin == e.end); // empty ranges overlap nothing
            byBegin.sort(Comparator.comparingLong((Entry e) -> e.begin).thenComparing(e -> e.name));
            Entry prev = null;
            for (Entry e : byBegin) {
                if (prev != null && e.begin < prev.end) {
                    throw new SafetensorsException(file + ": tensor '" + e.name + "': data_offsets [" + e.begin + ","
                            + e.end + "] overlap those of tensor '" + prev.name + "' [" + prev.begin + "," + prev.end + "]");
                }
                if (prev == null || e.end > prev.end) {
                    prev = e;
                }
            }
        }
    }

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** All tensors, sorted by name (not header order), so iteration is deterministic. Unmodifiable. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The header's {@code __metadata__} map (empty if absent), in header order. Unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The named tensor's header entry.
     *
     * @throws SafetensorsException if there is none; the message lists some of the names present
     */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            String some = tensors.keySet().stream().limit(10).collect(Collectors.joining(", "));
            String more = tensors.size() > 10 ? ", ... (" + tensors.size() + " in all)" : "";
            throw new SafetensorsException(path + ": no tensor '" + name + "'; the file holds "
                    + (tensors.isEmpty() ? "no tensors" : some + more));
        }
        return t;
    }

    /**
     * The tensor's bytes as a read-only, little-endian slice of the mapped file (no copy).
     * Each call returns an independent buffer over the same mapping.
     */
    public ByteBuffer rawBuffer(String name) {
        TensorInfo t = info(name);
        ByteBuffer region = mapped.computeIfAbsent(name, k -> map(t));
        return region.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer map(TensorInfo t) {
        if (closed) {
            throw new SafetensorsException(path + ": tensor '" + t.name() + "': file is closed");
        }
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + t.name() + "': " + t.byteLength()
                    + " bytes is more than one buffer can map (2 GiB)");
        }
        if (t.byteLength() == 0) {
            return ByteBuffer.allocateDirect(0).asReadOnlyBuffer();
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, t.dataOffset(), t.byteLength()).asReadOnlyBuffer();
        } catch (IOException | RuntimeException e) {
            throw new SafetensorsException(path + ": tensor '" + t.name() + "': cannot map: " + e, e);
        }
    }

    /**
     * Copies the tensor into a float32 {@link HostTensor}: F16 and BF16 are widened exactly, F64
     * is rounded, integers and BOOL are converted. Meant for small (adapter) tensors.
     */
    public HostTensor readHost(String name) {
        TensorInfo t = info(name);
        long numel = t.numel();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(path + ": tensor '" + name + "': " + numel
                    + " elements do not fit in a heap array; use readFloat32Direct");
        }
        float[] out = new float[(int) numel];
        ByteBuffer src = rawBuffer(name);
        if (t.dtype() == DType.F32) {
            src.asFloatBuffer().get(out);
        } else {
            convert(t.dtype(), src, FloatBuffer.wrap(out), (int) numel);
        }
        return new HostTensor(t.shape(), out);
    }

    /**
     * The tensor as little-endian float32 in a direct (off-heap) buffer, for native engines.
     * F32 returns the mapped slice itself (read-only, no copy); other dtypes are converted into
     * a freshly allocated direct buffer, F16 and BF16 exactly. Treat the result as read-only.
     */
    public ByteBuffer readFloat32Direct(String name) {
        TensorInfo t = info(name);
        ByteBuffer src = rawBuffer(name);
        if (t.dtype() == DType.F32) {
            return src;
        }
        if (t.numel() > Integer.MAX_VALUE / 4) {
            throw new SafetensorsException(path + ": tensor '" + name + "': " + t.numel()
                    + " float32 elements are more than one direct buffer can hold (2 GiB)");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) t.numel() * 4).order(ByteOrder.LITTLE_ENDIAN);
        convert(t.dtype(), src, out.asFloatBuffer(), (int) t.numel());
        return out;
    }

    /**
     * Rows {@code [fromRow, toRow)} of a tensor, widened to float32 into {@code dst}, read with
     * positional reads instead of the mapping. Quantizing a base on load goes through here so the
     * stored weights are never paged into this process (a mapped page counts in its RSS); rows
     * are the tensor's first axis, and every other axis is flattened into them.
     */
    public void readRowsUnmapped(String name, long fromRow, long toRow, float[] dst) {
        TensorInfo t = info(name);
        long rows = t.shape().length == 0 ? 1 : t.shape()[0];
        long perRow = rows == 0 ? 0 : t.numel() / rows;
        if (fromRow < 0 || toRow > rows || fromRow > toRow) {
            throw new SafetensorsException(path + ": tensor '" + name + "': rows [" + fromRow + ", " + toRow + ") of " + rows);
        }
        long count = (toRow - fromRow) * perRow;
        if (count > dst.length) {
            throw new SafetensorsException(path + ": tensor '" + name + "': " + count + " elements do not fit in " + dst.length);
        }
        int size = t.dtype().byteSize();
        ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(count * size, 1 << 22) / size * size).order(ByteOrder.LITTLE_ENDIAN);
        long pos = t.dataOffset() + fromRow * perRow * size;
        int done = 0;
        while (done < count) {
            bytes.clear();
            bytes.limit((int) Math.min(bytes.capacity(), (count - done) * size));
            try {
                while (bytes.hasRemaining()) {
                    if (channel.read(bytes, pos + bytes.position()) < 0) {
                        throw new SafetensorsException(path + ": tensor '" + name + "': file ends inside its data");
                    }
                }
            } catch (IOException e) {
                throw new SafetensorsException(path + ": tensor '" + name + "': cannot read: " + e, e);
            }
            bytes.flip();
            int len = bytes.remaining() / size;
            if (t.dtype() == DType.F32) {
                bytes.asFloatBuffer().get(dst, done, len);
            } else {
                convert(t.dtype(), bytes, FloatBuffer.wrap(dst, done, len), len);
            }
            pos += (long) len * size;
            done += len;
        }
    }

    /** Converts {@code count} elements of {@code dtype} from {@code src} into {@code dst}, in chunks. */
    private static void convert(DType dtype, ByteBuffer src, FloatBuffer dst, int count) {
        float[] chunk = new float[Math.min(CHUNK, count)];
        // 16-bit floats are the bulk of base-model loads: give them a tight loop
        boolean half = dtype == DType.F16 || dtype == DType.BF16;
        ShortBuffer shorts = half ? src.asShortBuffer() : null;
        short[] raw = half ? new short[chunk.length] : null;
        int done = 0;
        while (done < count) {
            int len = Math.min(chunk.length, count - done);
            if (dtype == DType.F16) {
                shorts.get(raw, 0, len);
                for (int i = 0; i < len; i++) {
                    chunk[i] = FloatConversions.halfToFloat(raw[i]);
                }
            } else if (dtype == DType.BF16) {
                shorts.get(raw, 0, len);
                for (int i = 0; i < len; i++) {
                    chunk[i] = FloatConversions.bf16ToFloat(raw[i]);
                }
            } else {
                for (int i = 0; i < len; i++) {
                    chunk[i] = element(dtype, src, done + i);
                }
            }
            dst.put(chunk, 0, len);
            done += len;
        }
    }

    private static float element(DType dtype, ByteBuffer b, int i) {
        switch (dtype) {
            case F32:
                return b.getFloat(i * 4);
            case F16:
                return FloatConversions.halfToFloat(b.getShort(i * 2));
            case BF16:
                return FloatConversions.bf16ToFloat(b.getShort(i * 2));
            case F64:
                return (float) b.getDouble(i * 8);
            case I64:
                return (float) b.getLong(i * 8);
            case I32:
                return (float) b.getInt(i * 4);
            case I16:
                return b.getShort(i * 2);
            case I8:
                return b.get(i);
            case U8:
                return b.get(i) & 0xff;
            case BOOL:
                return b.get(i) != 0 ? 1f : 0f;
            default:
                throw new IllegalStateException("unhandled dtype " + dtype);
        }
    }

    /**
     * Closes the channel. Buffers already handed out stay readable; their mappings are released
     * by the garbage collector (on Windows the file cannot be deleted until then).
     */
    @Override
    public void close() {
        closed = true;
        mapped.clear();
        try {
            channel.close();
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot close: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
