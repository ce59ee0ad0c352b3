package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path tmp;

    private static Map<String, HostTensor> readAllHost(Path p) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            f.tensors().keySet().forEach(n -> out.put(n, f.readHost(n)));
        }
        return out;
    }

    private static String header(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return new String(b, 8, (int) n, StandardCharsets.UTF_8);
    }

    @Test
    void roundTripIsBitExact() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] values = new float[3 * 5];
        for (int i = 0; i < values.length; i++) {
            values[i] = Float.intBitsToFloat(rnd.nextInt()); // any bits, NaN payloads included
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("z.weight", new HostTensor(new long[] {3, 5}, values));
        tensors.put("a.bias", new HostTensor(new long[] {1}, new float[] {-0f}));
        tensors.put("scalar", new HostTensor(new long[] {}, new float[] {7f}));
        tensors.put("empty", HostTensor.zeros(0, 4));
        Path p = tmp.resolve("rt.safetensors");
        SafetensorsWriter.write(p, tensors, Map.of("format", "pt"));
        Map<String, HostTensor> back = readAllHost(p);
        assertThat(back.keySet()).containsExactly("a.bias", "empty", "scalar", "z.weight");
        tensors.forEach((k, v) -> assertThat(back.get(k)).as(k).isEqualTo(v));
        float[] read = back.get("z.weight").data();
        for (int i = 0; i < values.length; i++) {
            assertThat(Float.floatToRawIntBits(read[i])).isEqualTo(Float.floatToRawIntBits(values[i]));
        }
    }

    @Test
    void headerIsCompactSortedAndPaddedToEightWithSpaces() throws IOException {
        Path p = tmp.resolve("h.safetensors");
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("b", HostTensor.zeros(2));
        tensors.put("a", HostTensor.zeros(1, 3));
        SafetensorsWriter.write(p, tensors, Map.of("format", "pt"));
        String h = header(p);
        assertThat(h.length() % 8).isZero();
        assertThat(h.stripTrailing()).isEqualTo("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}");
        assertThat(h.substring(h.stripTrailing().length())).matches(" {0,7}");
        assertThat(Files.size(p)).isEqualTo(8 + h.length() + 20);
    }

    @Test
    void emptyFileMatchesTheReferenceBytes() throws IOException {
        // the reference library's own test vectors for an empty tensor map
        Path none = tmp.resolve("none.safetensors");
        SafetensorsWriter.write(none, Map.of(), null);
        assertThat(Files.readAllBytes(none)).containsExactly(8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ');
        Path meta = tmp.resolve("meta.safetensors");
        SafetensorsWriter.write(meta, Map.of(), Map.of("framework", "pt"));
        assertThat(header(meta)).isEqualTo("{\"__metadata__\":{\"framework\":\"pt\"}}     ");
    }

    @Test
    void resavedPeftAdaptersAreByteIdentical() throws IOException {
        for (String name : List.of(IoTestFiles.LORA, IoTestFiles.PROMPT)) {
            Path original = IoTestFiles.path(name);
            Map<String, String> metadata;
            try (SafetensorsFile f = SafetensorsFile.open(original)) {
                metadata = f.metadata();
            }
            assertThat(metadata).containsExactly(Map.entry("format", "pt"));
            Path copy = tmp.resolve(name);
            SafetensorsWriter.write(copy, readAllHost(original), metadata);
            assertThat(Files.readAllBytes(copy)).as(name).isEqualTo(Files.readAllBytes(original));
        }
    }

    @Test
    void narrowingTheF32ModelReproducesTheTransformersF16AndBf16FilesByteForByte() throws IOException {
        Map<String, HostTensor> f32 = readAllHost(IoTestFiles.path(IoTestFiles.F32));
        Path half = tmp.resolve("half.safetensors");
        Path brain = tmp.resolve("brain.safetensors");
        SafetensorsWriter.write(half, f32, Map.of("format", "pt"), DType.F16);
        SafetensorsWriter.write(brain, f32, Map.of("format", "pt"), DType.BF16);
        assertThat(Files.readAllBytes(half)).isEqualTo(Files.readAllBytes(IoTestFiles.path(IoTestFiles.F16)));
        assertThat(Files.readAllBytes(brain)).isEqualTo(Files.readAllBytes(IoTestFiles.path(IoTestFiles.BF16)));
    }

    @Test
    void rawWriteStreamsMappedBuffersAndKeepsTheirDtype() throws IOException {
        for (String name : List.of(IoTestFiles.BF16, IoTestFiles.F32)) {
            Path copy = tmp.resolve("raw-" + name);
            try (SafetensorsFile in = SafetensorsFile.open(IoTestFiles.path(name))) {
                Map<String, RawTensor> raw = new LinkedHashMap<>();
                for (TensorInfo t : in.tensors().values()) {
                    raw.put(t.name(), new RawTensor(t.dtype(), t.shape(), in.rawBuffer(t.name())));
                }
                SafetensorsWriter.writeRaw(copy, raw, in.metadata());
                raw.values().forEach(r -> assertThat(r.bytes().position()).isZero()); // buffers not consumed
            }
            assertThat(Files.readAllBytes(copy)).as(name).isEqualTo(Files.readAllBytes(IoTestFiles.path(name)));
        }
    }

    @Test
    void mixedDtypesAreLaidOutWidestFirstLikeTheReferenceWriter() throws IOException {
        Map<String, RawTensor> raw = new LinkedHashMap<>();
        raw.put("a_u8", new RawTensor(DType.U8, new long[] {1}, ByteBuffer.allocate(1)));
        raw.put("b_f16", new RawTensor(DType.F16, new long[] {1}, ByteBuffer.allocate(2)));
        raw.put("c_bf16", new RawTensor(DType.BF16, new long[] {1}, ByteBuffer.allocate(2)));
        raw.put("d_i64", new RawTensor(DType.I64, new long[] {1}, ByteBuffer.allocate(8)));
        raw.put("e_f32", new RawTensor(DType.F32, new long[] {1}, ByteBuffer.allocate(4)));
        raw.put("f_f64", new RawTensor(DType.F64, new long[] {1}, ByteBuffer.allocate(8)));
        raw.put("g_bool", new RawTensor(DType.BOOL, new long[] {1}, ByteBuffer.allocate(1)));
        raw.put("h_i32", new RawTensor(DType.I32, new long[] {1}, ByteBuffer.allocate(4)));
        Path p = tmp.resolve("mixed.safetensors");
        SafetensorsWriter.writeRaw(p, raw, null);
        String h = header(p);
        List<String> order = Stream.of("d_i64", "f_f64", "e_f32", "h_i32", "c_bf16", "b_f16", "a_u8", "g_bool")
                .map(n -> "\"" + n + "\"").toList();
        int last = -1;
        for (String n : order) {
            assertThat(h.indexOf(n)).as(n).isGreaterThan(last);
            last = h.indexOf(n);
        }
        assertThat(h).doesNotContain("__metadata__");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.info("d_i64").dataOffset() % 8).isZero();
            assertThat(f.info("f_f64").dataOffset() % 8).isZero();
        }
    }

    @Test
    void namesAndMetadataAreEscapedLikeSerdeJson() throws IOException {
        Path p = tmp.resolve("esc.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("z", "é<>&'=\u0001");
        meta.put("a", "q\"b\\n\n");
        SafetensorsWriter.write(p, Map.of("가.w", HostTensor.zeros(1)), meta);
        String h = header(p).stripTrailing();
        assertThat(h).startsWith("{\"__metadata__\":{\"a\":\"q\\\"b\\\\n\\n\",\"z\":\"é<>&'=\\u0001\"},\"가.w\":");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.metadata()).isEqualTo(meta);
            assertThat(f.contains("가.w")).isTrue();
        }
    }

    @Test
    void rejectsBadInputBeforeTouchingTheTarget() throws IOException {
        Path p = tmp.resolve("bad.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.writeRaw(p,
                Map.of("w", new RawTensor(DType.F32, new long[] {3}, ByteBuffer.allocate(8))), null))
                .isExactlyInstanceOf(SafetensorsException.class)
                .hasMessageContaining("bad.safetensors").hasMessageContaining("'w'").hasMessageContaining("needs 12");
        assertThatThrownBy(() -> SafetensorsWriter.write(p, Map.of("w", HostTensor.zeros(1)), null, DType.I8))
                .isExactlyInstanceOf(SafetensorsException.class).hasMessageContaining("bad.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.write(p, Map.of("__metadata__", HostTensor.zeros(1)), null))
                .isExactlyInstanceOf(SafetensorsException.class).hasMessageContaining("reserved");
        assertThat(tmp).isEmptyDirectory();
    }

    @Test
    void failedOverwriteLeavesNoTempFile() throws IOException {
        Path target = tmp.resolve("model.safetensors");
        Files.createDirectories(target.resolve("occupied")); // a non-empty directory cannot be renamed over
        assertThatThrownBy(() -> SafetensorsWriter.write(target, Map.of("w", HostTensor.zeros(4)), null))
                .isExactlyInstanceOf(SafetensorsException.class).hasMessageContaining("model.safetensors");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).containsExactly(target);
        }
        assertThat(target.resolve("occupied")).isDirectory();
    }

    @Test
    void overwritesAnExistingFile() throws IOException {
        Path p = tmp.resolve("w.safetensors");
        SafetensorsWriter.write(p, Map.of("w", HostTensor.zeros(4)), null);
        SafetensorsWriter.write(p, Map.of("w", new HostTensor(new long[] {1}, new float[] {5f})), null);
        assertThat(readAllHost(p).get("w").data()).containsExactly(5f);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).containsExactly(p);
        }
    }
}
