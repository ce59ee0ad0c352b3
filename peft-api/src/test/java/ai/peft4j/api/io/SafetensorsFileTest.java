package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    @Test
    void readsTransformersModelHeader() {
        try (SafetensorsFile f = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.F32))) {
            assertThat(f.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(f.tensors()).hasSize(21);
            List<String> names = new ArrayList<>(f.tensors().keySet());
            assertThat(names).isSorted().contains("lm_head.weight", "model.norm.weight");
            TensorInfo head = f.info("lm_head.weight");
            assertThat(head.dtype()).isEqualTo(DType.F32);
            assertThat(head.shape()).containsExactly(1250, 64);
            assertThat(head.numel()).isEqualTo(80_000);
            assertThat(head.byteLength()).isEqualTo(320_000);
            assertThat(f.info("model.layers.0.self_attn.k_proj.weight").shape()).containsExactly(32, 64); // GQA 2 of 4 heads
            assertThat(f.contains("model.norm.weight")).isTrue();
            assertThat(f.contains("nope")).isFalse();
            assertThat(f.path()).isEqualTo(IoTestFiles.path(IoTestFiles.F32));
        }
    }

    @Test
    void dataOffsetIsAbsoluteInTheFile() throws IOException {
        Path p = IoTestFiles.path(IoTestFiles.F32);
        try (SafetensorsFile f = SafetensorsFile.open(p); FileChannel ch = FileChannel.open(p)) {
            TensorInfo t = f.info("model.norm.weight");
            ByteBuffer direct = ByteBuffer.allocate((int) t.byteLength());
            ch.read(direct, t.dataOffset());
            assertThat(direct.flip()).isEqualTo(f.rawBuffer(t.name()));
            long header = f.info("lm_head.weight").dataOffset();
            assertThat(header % 8).isZero(); // the writer's padding aligns the data area
        }
    }

    @Test
    void rawBufferIsAReadOnlyLittleEndianMappedSlice() {
        try (SafetensorsFile f = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.F32))) {
            ByteBuffer b = f.rawBuffer("model.norm.weight");
            assertThat(b.isDirect()).isTrue();
            assertThat(b.isReadOnly()).isTrue();
            assertThat(b.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(b.remaining()).isEqualTo(256);
            b.position(100);
            assertThat(f.rawBuffer("model.norm.weight").position()).isZero(); // independent views
            assertThat(f.readFloat32Direct("model.norm.weight").isReadOnly()).isTrue();
        }
    }

    @Test
    void readHostMatchesRawBytes() {
        try (SafetensorsFile f = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.LORA))) {
            assertThat(f.tensors()).hasSize(4).allSatisfy((name, t) -> assertThat(name).contains(".lora_"));
            String a = "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight";
            HostTensor t = f.readHost(a);
            assertThat(t.shape()).containsExactly(4, 64);
            ByteBuffer raw = f.rawBuffer(a);
            for (int i = 0; i < t.data().length; i++) {
                assertThat(t.data()[i]).isEqualTo(raw.getFloat(i * 4));
            }
        }
    }

    @Test
    void f16AndBf16FilesWidenToTheRoundedF32Weights() {
        try (SafetensorsFile f32 = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.F32));
                SafetensorsFile f16 = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.F16));
                SafetensorsFile bf16 = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.BF16))) {
            assertThat(f16.tensors().keySet()).containsExactlyElementsOf(f32.tensors().keySet());
            assertThat(bf16.tensors().keySet()).containsExactlyElementsOf(f32.tensors().keySet());
            int subnormals = 0;
            for (TensorInfo t : f32.tensors().values()) {
                assertThat(f16.info(t.name()).dtype()).isEqualTo(DType.F16);
                assertThat(bf16.info(t.name()).dtype()).isEqualTo(DType.BF16);
                assertThat(f16.info(t.name()).shape()).isEqualTo(t.shape());
                float[] ref = f32.readHost(t.name()).data();
                float[] half = f16.readHost(t.name()).data();
                float[] brain = bf16.readHost(t.name()).data();
                ByteBuffer halfDirect = f16.readFloat32Direct(t.name());
                ByteBuffer brainDirect = bf16.readFloat32Direct(t.name());
                assertThat(halfDirect.isDirect()).isTrue();
                assertThat(halfDirect.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < ref.length; i++) {
                    float h = FloatConversions.halfToFloat(FloatConversions.floatToHalf(ref[i]));
                    float b = FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(ref[i]));
                    assertThat(Float.floatToRawIntBits(half[i])).as("%s[%d]", t.name(), i).isEqualTo(Float.floatToRawIntBits(h));
                    assertThat(Float.floatToRawIntBits(brain[i])).as("%s[%d]", t.name(), i).isEqualTo(Float.floatToRawIntBits(b));
                    assertThat(Float.floatToRawIntBits(halfDirect.getFloat(i * 4))).isEqualTo(Float.floatToRawIntBits(h));
                    assertThat(Float.floatToRawIntBits(brainDirect.getFloat(i * 4))).isEqualTo(Float.floatToRawIntBits(b));
                    if (h != 0 && Math.abs(h) < 0x1p-14f) {
                        subnormals++;
                    }
                }
            }
            assertThat(subnormals).as("fixture exercises F16 subnormals").isPositive();
        }
    }

    @Test
    void f32DirectIsTheMappedSlice() {
        try (SafetensorsFile f = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.PROMPT))) {
            ByteBuffer b = f.readFloat32Direct("prompt_embeddings");
            assertThat(b).isEqualTo(f.rawBuffer("prompt_embeddings"));
            assertThat(b.isDirect()).isTrue();
            assertThat(f.readHost("prompt_embeddings").shape()).containsExactly(5, 64);
        }
    }

    @Test
    void missingTensorNamesFileAndListsSomeNames() {
        Path p = IoTestFiles.path(IoTestFiles.F32);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThatThrownBy(() -> f.info("model.layers.9.mlp.up_proj.weight"))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining(p.getFileName().toString())
                    .hasMessageContaining("'model.layers.9.mlp.up_proj.weight'")
                    .hasMessageContaining("lm_head.weight")
                    .hasMessageContaining("21 in all");
            assertThatThrownBy(() -> f.readHost("x")).isInstanceOf(SafetensorsException.class);
        }
    }

    @Test
    void closedFileRefusesNewMappingsButOldBuffersStayReadable() {
        SafetensorsFile f = SafetensorsFile.open(IoTestFiles.path(IoTestFiles.PROMPT));
        ByteBuffer before = f.rawBuffer("prompt_embeddings");
        float first = before.getFloat(0);
        f.close();
        assertThat(before.getFloat(0)).isEqualTo(first);
        assertThatThrownBy(() -> f.rawBuffer("prompt_embeddings"))
                .isInstanceOf(SafetensorsException.class).hasMessageContaining("closed");
    }

    @Test
    void convertsEveryDtypeToFloat() throws IOException {
        Map<String, RawTensor> raw = new java.util.LinkedHashMap<>();
        raw.put("f64", new RawTensor(DType.F64, new long[] {2}, le(16).putDouble(1.5).putDouble(-1e300).flip()));
        raw.put("i64", new RawTensor(DType.I64, new long[] {1}, le(8).putLong(-7).flip()));
        raw.put("i32", new RawTensor(DType.I32, new long[] {1}, le(4).putInt(123456).flip()));
        raw.put("i16", new RawTensor(DType.I16, new long[] {1}, le(2).putShort((short) -300).flip()));
        raw.put("i8", new RawTensor(DType.I8, new long[] {1}, le(1).put((byte) -5).flip()));
        raw.put("u8", new RawTensor(DType.U8, new long[] {1}, le(1).put((byte) 200).flip()));
        raw.put("bool", new RawTensor(DType.BOOL, new long[] {2}, le(2).put((byte) 0).put((byte) 1).flip()));
        raw.put("empty", new RawTensor(DType.F32, new long[] {0, 3}, le(0)));
        raw.put("scalar", new RawTensor(DType.F32, new long[] {}, le(4).putFloat(2.5f).flip()));
        Path p = tmp.resolve("mixed.safetensors");
        SafetensorsWriter.writeRaw(p, raw, null);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.readHost("f64").data()).containsExactly(1.5f, Float.NEGATIVE_INFINITY);
            assertThat(f.readHost("i64").data()).containsExactly(-7f);
            assertThat(f.readHost("i32").data()).containsExactly(123456f);
            assertThat(f.readHost("i16").data()).containsExactly(-300f);
            assertThat(f.readHost("i8").data()).containsExactly(-5f);
            assertThat(f.readHost("u8").data()).containsExactly(200f);
            assertThat(f.readHost("bool").data()).containsExactly(0f, 1f);
            assertThat(f.readHost("empty").numel()).isZero();
            assertThat(f.rawBuffer("empty").remaining()).isZero();
            assertThat(f.readHost("scalar").rank()).isZero();
            assertThat(f.readHost("scalar").data()).containsExactly(2.5f);
            assertThat(f.readFloat32Direct("i16").getFloat(0)).isEqualTo(-300f);
            assertThat(f.metadata()).isEmpty();
        }
    }

    /** A sparse file larger than 2 GiB: offsets past 2^31 work, a > 2 GiB tensor fails clearly. */
    @Test
    void filesLargerThanTwoGigabytes() throws IOException {
        long huge = (1L << 31) + 8;
        long far = huge + (1L << 30);
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"huge\":{\"dtype\":\"U8\",\"shape\":[" + huge + "],\"data_offsets\":[8," + (8 + huge) + "]},"
                + "\"far\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + far + "," + (far + 8) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        Path p = tmp.resolve("big.safetensors");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(le(8 + header.length).putLong(header.length).put(header).flip());
            long dataStart = 8 + header.length;
            ch.write(le(8).putFloat(1f).putFloat(2f).flip(), dataStart);
            ch.write(le(8).putFloat(3f).putFloat(4f).flip(), dataStart + far); // leaves a hole: sparse
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.info("far").dataOffset()).isGreaterThan(Integer.MAX_VALUE);
            assertThat(f.readHost("far").data()).containsExactly(3f, 4f);
            assertThat(f.readHost("a").data()).containsExactly(1f, 2f);
            assertThatThrownBy(() -> f.rawBuffer("huge"))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("big.safetensors").hasMessageContaining("'huge'").hasMessageContaining("2 GiB");
            assertThatThrownBy(() -> f.readHost("huge")).isInstanceOf(SafetensorsException.class).hasMessageContaining("'huge'");
        }
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
