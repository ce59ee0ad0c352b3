package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.HostTensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxAdapterFileTest {
    @TempDir
    Path dir;

    private static Map<String, HostTensor> params() {
        Random rnd = new Random(5);
        Map<String, HostTensor> p = new LinkedHashMap<>();
        p.put("z.last.B", TestHooks.random(rnd, 1, 7, 3));
        p.put("a.first.A", TestHooks.random(rnd, 1, 3, 5));
        p.put("m.empty", HostTensor.zeros(4, 0));
        p.put("한국어.이름", TestHooks.random(rnd, 1, 2));
        return p;
    }

    @Test
    void writeThenReadRoundTripsNamesShapesValuesAndVersions() {
        Path f = dir.resolve("x" + OnnxAdapterFile.EXTENSION);
        OnnxAdapterFile.write(f, params(), 3, 7);
        OnnxAdapterFile.Contents c = OnnxAdapterFile.read(f);
        assertThat(c.formatVersion()).isEqualTo(1);
        assertThat(c.adapterVersion()).isEqualTo(3);
        assertThat(c.modelVersion()).isEqualTo(7);
        assertThat(c.parameters().keySet()).containsExactly("a.first.A", "m.empty", "z.last.B", "한국어.이름");
        params().forEach((k, v) -> assertThat(c.parameters().get(k)).as(k).isEqualTo(v));
    }

    @Test
    void bytesCarryTheFileIdentifierAndAreReproducible() {
        byte[] a = OnnxAdapterFile.toBytes(params(), 1, 0);
        byte[] b = OnnxAdapterFile.toBytes(params(), 1, 0);
        assertThat(new String(a, 4, 4, StandardCharsets.US_ASCII)).isEqualTo("TORT");
        assertThat(a).isEqualTo(b);
    }

    @Test
    void onnxRuntimeLoadsTheWrittenFile() throws Exception {
        Path f = dir.resolve("ort" + OnnxAdapterFile.EXTENSION);
        OnnxAdapterFile.write(f, params(), 1, 0);
        OnnxEngine.environment();
        try (ai.onnxruntime.OrtLoraAdapter a = ai.onnxruntime.OrtLoraAdapter.create(f.toString())) {
            assertThat(a).isNotNull();
        }
    }

    @Test
    void truncatedForeignAndMissingFilesAreClearErrors() throws Exception {
        byte[] good = OnnxAdapterFile.toBytes(params(), 1, 0);
        Path truncated = dir.resolve("t.onnx_adapter");
        Files.write(truncated, Arrays.copyOf(good, good.length / 2));
        assertThatThrownBy(() -> OnnxAdapterFile.read(truncated)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("t.onnx_adapter");
        Path foreign = dir.resolve("f.onnx_adapter");
        Files.writeString(foreign, "not a flatbuffer at all");
        assertThatThrownBy(() -> OnnxAdapterFile.read(foreign)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("TORT");
        assertThatThrownBy(() -> OnnxAdapterFile.read(dir.resolve("missing.onnx_adapter"))).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("not found");
    }
}
