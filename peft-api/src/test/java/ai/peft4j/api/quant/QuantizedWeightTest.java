package ai.peft4j.api.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuantizedWeightTest {

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (r.nextGaussian() * 0.02 * (i % 97 == 0 ? 20 : 1)); // a few outliers
        }
        return w;
    }

    @ParameterizedTest
    @CsvSource({"int8, 7, 64, 32", "int8, 3, 50, 32", "int4, 7, 64, 32", "int4, 5, 50, 16", "int4, 2, 300, 128", "int4, 4, 16, 256"})
    void roundTripStaysWithinThePerElementBound(String scheme, int rows, int cols, int block) {
        float[] w = random(rows * cols, rows * 31L + cols);
        QuantizedWeight q = QuantizedWeight.quantize(w, rows, cols, Quantization.parse(scheme), block);
        float[] back = q.dequantize();
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float err = Math.abs(back[r * cols + c] - w[r * cols + c]);
                assertThat(err).as("(%d, %d)", r, c).isLessThanOrEqualTo(q.errorBound(r, c));
                worst = Math.max(worst, err);
            }
        }
        assertThat(worst).as("lossy, so the bound is exercised").isPositive();
        assertThat(q.bytes()).isEqualTo(Quantization.parse(scheme).bytes(rows, cols, block));
    }

    @Test
    void int4KeepsEachBlocksLargestValueExactlyAndPacksLowNibbleFirst() {
        float[] w = {0.5f, -1f, 0.25f, 0f, 0.125f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f};
        QuantizedWeight q = QuantizedWeight.quantize(w, 1, 16, Quantization.INT4, 16);
        // m = -1 (largest magnitude), scale = m / -8 = 0.125: codes are w / 0.125 + 8
        assertThat(q.scales()).containsExactly(0.125f);
        assertThat(q.code(0, 0)).isEqualTo(12);
        assertThat(q.code(0, 1)).isEqualTo(0);
        assertThat(q.codes()[0] & 0xff).isEqualTo(12); // element 0 low nibble, element 1 high nibble
        assertThat(q.dequantize()[1]).isEqualTo(-1f);
        assertThat(q.dequantize()[5]).as("+1 clamps to code 15: +7 x 0.125").isEqualTo(0.875f);
    }

    @ParameterizedTest
    @CsvSource({"int8, F32", "int8, F16", "int4, F32", "int4, F16"})
    void quantizingASlabOfRowsAtATimeEqualsQuantizingTheWholeWeight(String scheme, String dtype, @TempDir Path dir) {
        int rows = 37;
        int cols = 50;
        float[] w = random(rows * cols, 4242);
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, Map.of("w", new HostTensor(new long[] {rows, cols}, w)), Map.of(), DType.valueOf(dtype));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] stored = new float[rows * cols];
            f.readRowsUnmapped("w", 0, rows, stored); // F16 rounds: compare with what the file holds
            QuantizedWeight whole = QuantizedWeight.quantize(stored, rows, cols, Quantization.parse(scheme), 16);
            // 3 rows a slab: 12 full slabs and a last one of 1 row
            QuantizedWeight slabs = QuantizedWeight.fromRows(f, "w", rows, cols, Quantization.parse(scheme), 16, 3 * cols + 7);
            assertThat(slabs.codes()).isEqualTo(whole.codes());
            assertThat(slabs.scales()).isEqualTo(whole.scales());
        }
        float[] bad = w.clone();
        bad[36 * cols + 5] = Float.NaN;
        Path badFile = dir.resolve("bad.safetensors");
        SafetensorsWriter.write(badFile, Map.of("w", new HostTensor(new long[] {rows, cols}, bad)), Map.of(), DType.F32);
        try (SafetensorsFile f = SafetensorsFile.open(badFile)) {
            assertThatThrownBy(() -> QuantizedWeight.fromRows(f, "w", rows, cols, Quantization.parse(scheme), 16, 3 * cols))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("NaN").hasMessageContaining("row 36, column 5");
        }
    }

    @Test
    void inconsistentOrForgedSettingsAreClearErrors() {
        assertThatThrownBy(() -> Quantization.parse("int3")).isInstanceOf(Peft4jException.class).hasMessageContaining("none, int8, int4");
        assertThatThrownBy(() -> Quantization.parse("nf4")).hasMessageContaining("use int4");
        assertThatThrownBy(() -> Quantization.checkBlockSize(48)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> Quantization.checkBlockSize(8)).hasMessageContaining("16 to 256");
        assertThatThrownBy(() -> new QuantizedWeight(Quantization.INT4, 2, 32, 32, new byte[31], new float[2]))
                .hasMessageContaining("inconsistent int4").hasMessageContaining("expected 32");
        assertThatThrownBy(() -> new QuantizedWeight(Quantization.INT8, 2, 4, 4, new byte[8], new float[] {1f, Float.NaN}))
                .hasMessageContaining("a scale is NaN");
        assertThatThrownBy(() -> QuantizedWeight.quantize(new float[] {1f, Float.POSITIVE_INFINITY}, 1, 2, Quantization.INT8, 32))
                .hasMessageContaining("Infinity");
        assertThatThrownBy(() -> QuantizedWeight.quantize(new float[3], 1, 2, Quantization.INT8, 32)).hasMessageContaining("3 values");
    }
}
