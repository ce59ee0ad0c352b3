package ai.peft4j.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.api.quant.QuantizedWeight;
import ai.peft4j.testkit.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the PyTorch engine holds for a base, and that its per-use widening is exact. */
class PtLowMemoryTest {

    @ParameterizedTest
    @CsvSource({"tiny-gpt2, int8", "tiny-gpt2, int4", "tiny-llama, int8", "tiny-llama, int4", "tiny-gptj, int4", "tiny-gpt-neox, int4"})
    void quantizedWeightsWidenExactlyToTheirDequantizedValues(String model, String scheme) {
        Quantization q = Quantization.parse(scheme);
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model(model));
                PtDecoderRuntime rt = (PtDecoderRuntime) new PtEngine().load(ckpt, new EngineOptions("cpu", 0).withQuantization(q, 16))) {
            for (LinearSite site : ckpt.architecture().linearSites(ckpt.config())) {
                QuantizedWeight w = QuantizedWeight.fromCheckpoint(ckpt, site.weightKey(), site.inOutLayout(), q, 16);
                float[] deq = w.dequantize();
                float[] widened = rt.parameters().get(site.weightKey()).data();
                for (int r = 0; r < w.rows(); r++) {
                    for (int c = 0; c < w.cols(); c++) {
                        // the runtime keeps the checkpoint's layout: [in, out] for GPT-2's Conv1D
                        int at = site.inOutLayout() ? c * w.rows() + r : r * w.cols() + c;
                        assertThat(widened[at]).as("%s (%d, %d)", site.weightKey(), r, c).isEqualTo(deq[r * w.cols() + c]);
                    }
                }
            }
            long fp32 = 0;
            long quantized = 0;
            for (LinearSite site : ckpt.architecture().linearSites(ckpt.config())) {
                fp32 += 4L * site.inFeatures() * site.outFeatures();
                quantized += q.bytes(site.outFeatures(), site.inFeatures(), 16);
            }
            assertThat(rt.residentBaseBytes()).as("only the quantized linear weights are loaded up front").isEqualTo(quantized)
                    .isLessThan(fp32 / (q == Quantization.INT8 ? 3 : 5));
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llama-fp16, auto, 2", "tiny-llama, auto, 4", "tiny-llama, float16, 2",
            "tiny-llama-fp16, float32, 4"})
    void baseWeightsStayInTheirPrecisionAtRest(String model, String dtype, int bytesPerValue) {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model(model));
                PtDecoderRuntime rt = (PtDecoderRuntime) new PtEngine().load(ckpt, new EngineOptions("cpu", 0).withWeightDtype(dtype))) {
            rt.forward(ForwardRequest.start(new int[][] {{1, 2, 3}}, null, HookSet.EMPTY, null, true), null);
            long values = ckpt.parameterCount();
            assertThat(rt.residentBaseBytes()).as("every weight touched, %d bytes each", bytesPerValue)
                    .isEqualTo(values * bytesPerValue);
        }
    }

    @org.junit.jupiter.api.Test
    void bf16TensorsAreHeldAsFloat16WhereExactAndFloat32ElsewhereNeverAsBf16() {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model("tiny-llama-bf16"));
                PtDecoderRuntime rt = (PtDecoderRuntime) new PtEngine().load(ckpt, new EngineOptions("cpu", 0))) {
            rt.forward(ForwardRequest.start(new int[][] {{1, 2, 3}}, null, HookSet.EMPTY, null, true), null);
            long expected = 0;
            for (String key : ckpt.keys()) {
                float[] v = ckpt.readHost(key).data();
                boolean exact = true;
                for (float f : v) {
                    exact &= ai.peft4j.api.io.FloatConversions.halfToFloat(ai.peft4j.api.io.FloatConversions.floatToHalf(f)) == f;
                }
                expected += (long) v.length * (exact ? 2 : 4);
            }
            assertThat(rt.residentBaseBytes()).isEqualTo(expected).isLessThan(4 * ckpt.parameterCount());
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-gpt2, none, float16", "tiny-gpt2, int8, auto", "tiny-gpt2, int4, auto", "tiny-llama, int4, auto"})
    void widenedWeightsLeaveNothingBehindInTheRuntime(String model, String scheme, String dtype) {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model(model));
                PtDecoderRuntime rt = (PtDecoderRuntime) new PtEngine().load(ckpt,
                        new EngineOptions("cpu", 0).withWeightDtype(dtype).withQuantization(Quantization.parse(scheme), 16))) {
            ForwardRequest req = ForwardRequest.start(new int[][] {{1, 2, 3, 4}}, null, HookSet.EMPTY, null, false);
            rt.forward(req, null);
            int live = rt.liveArrays();
            for (int i = 0; i < 3; i++) {
                rt.forward(req, null);
            }
            assertThat(rt.liveArrays()).as("arrays held by the runtime after more forwards").isEqualTo(live);
        }
    }
}
