package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearHook;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Tensor;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.api.serving.ModelExport;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A quantized base on the ONNX engine runs ONNX Runtime's own quantized kernel
 * ({@code com.microsoft.MatMulNBits}, 4 or 8 bits) on the codes as quantized, with no float32
 * copy of those weights in the graph, and agrees with the PyTorch engine, which dequantizes the
 * same codes. In {@link QuantizedMatmul#FLOAT32} mode both compute the same products in float32,
 * so they differ only by summation order (bound 1e-3 of the largest logit, measured about 1e-6);
 * in the default {@link QuantizedMatmul#INT8} mode ONNX Runtime also rounds activations to int8
 * per block, which the looser bound {@link #INT8_ACTIVATIONS_AGREEMENT} covers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxQuantizedTest {
    /** Largest logit difference between the engines on the same codes, as a fraction of the largest logit. */
    private static final double AGREEMENT = 1e-3;
    /**
     * The same with int8 activations: each block's activations round by at most half a step of
     * max|block| / 127, about 0.4% of a layer's input scale; through these models that moved the
     * logits by up to 1.5% of the largest (measured), bound 5%.
     */
    private static final double INT8_ACTIVATIONS_AGREEMENT = 0.05;

    @TempDir
    Path tmp;

    private final Map<String, Checkpoint> checkpoints = new HashMap<>();
    private final Map<String, DecoderRuntime[]> runtimes = new HashMap<>();

    static Stream<Arguments> modelsAndSchemes() {
        List<Arguments> out = new ArrayList<>();
        for (String m : Fixtures.MODELS) {
            out.add(Arguments.of(m, Quantization.INT8));
            out.add(Arguments.of(m, Quantization.INT4));
        }
        return out.stream();
    }

    static Stream<Arguments> modelsSchemesAndModes() {
        List<Arguments> out = new ArrayList<>();
        for (QuantizedMatmul mode : QuantizedMatmul.values()) {
            modelsAndSchemes().forEach(a -> out.add(Arguments.of(a.get()[0], a.get()[1], mode)));
        }
        return out.stream();
    }

    private static EngineOptions options(Quantization q) {
        return new EngineOptions("cpu", 1).withQuantization(q, 16);
    }

    /** [onnx, pytorch] runtimes of one fixture model, both quantized alike, onnx in the default mode. */
    private DecoderRuntime[] pair(String model, Quantization q) {
        return pair(model, q, QuantizedMatmul.INT8);
    }

    /** [onnx, pytorch] runtimes of one fixture model, both quantized alike, onnx multiplying in {@code mode}. */
    private synchronized DecoderRuntime[] pair(String model, Quantization q, QuantizedMatmul mode) {
        return runtimes.computeIfAbsent(model + "/" + q.id() + "/" + mode.id(), k -> {
            Checkpoint c = checkpoints.computeIfAbsent(model, n -> Checkpoint.open(Fixtures.model(n)));
            DecoderRuntime onnx = new OnnxEngine().load(c, options(q).withEngineProperty(QuantizedMatmul.PROPERTY, mode.id()));
            assertThat(((OnnxDecoderRuntime) onnx).quantizedMatmul()).isEqualTo(mode);
            // the pytorch engine ignores onnx's knobs
            return new DecoderRuntime[] {onnx, new PtEngine().load(c, options(q).withEngineProperty(QuantizedMatmul.PROPERTY, mode.id()))};
        });
    }

    @AfterAll
    void closeAll() {
        runtimes.values().forEach(p -> {
            p[0].close();
            p[1].close();
        });
        checkpoints.values().forEach(Checkpoint::close);
    }

    private static long attr(NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).mapToLong(AttributeProto::getI).findFirst()
                .orElseThrow();
    }

    /** Checks a traced or exported graph: one MatMulNBits per linear site on its codes, and no float copy of them. */
    private static void assertRunsQuantizedKernels(ModelProto m, List<LinearSite> sites, Quantization q, String what) {
        assertThat(m.getOpsetImportList()).as(what + ": imports ONNX Runtime's domain")
                .anyMatch(o -> o.getDomain().equals("com.microsoft") && o.getVersion() == 1);
        List<NodeProto> nbits = m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulNBits")).toList();
        assertThat(nbits).as(what + ": one MatMulNBits per linear site").hasSize(sites.size());
        Map<String, TensorProto> inits = new HashMap<>();
        m.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
        for (NodeProto n : nbits) {
            assertThat(n.getDomain()).isEqualTo("com.microsoft");
            assertThat(attr(n, "bits")).isEqualTo(q.bits());
            assertThat(attr(n, "accuracy_level")).as("the default mode: int8 activations").isEqualTo(4);
            TensorProto codes = inits.get(n.getInput(1));
            TensorProto scales = inits.get(n.getInput(2));
            assertThat(codes).as(what + ": codes are an initializer").isNotNull();
            assertThat(codes.getDataType()).as(what + ": codes stay 8-bit").isEqualTo(TensorProto.DataType.UINT8_VALUE);
            long bs = attr(n, "block_size");
            long blocks = (attr(n, "K") + bs - 1) / bs;
            assertThat(codes.getDimsList()).containsExactly(attr(n, "N"), blocks, bs * q.bits() / 8);
            assertThat(scales.getDataType()).isEqualTo(TensorProto.DataType.FLOAT_VALUE);
            assertThat(scales.getDimsList()).containsExactly(attr(n, "N") * blocks);
        }
        Set<String> weightKeys = new HashSet<>();
        sites.forEach(s -> weightKeys.add(s.weightKey()));
        assertThat(inits.keySet()).as(what + ": no float initializer of a quantized weight").doesNotContainAnyElementsOf(weightKeys);
        assertThat(m.getGraph().getNodeList()).as(what + ": nothing widens codes to float")
                .noneMatch(n -> n.getOpType().equals("DequantizeLinear") || n.getOpType().equals("Cast") && weightKeys.stream()
                        .anyMatch(k -> n.getInput(0).startsWith(k)));
        int sitesQuantized = nbits.size();
        assertThat(sitesQuantized).isPositive();
    }

    @ParameterizedTest
    @MethodSource("modelsAndSchemes")
    void servedGraphRunsMatMulNBitsOnTheCodes(String model, Quantization q) {
        OnnxDecoderRuntime rt = (OnnxDecoderRuntime) pair(model, q)[0];
        List<LinearSite> sites = rt.architecture().linearSites(rt.config());
        for (boolean last : new boolean[] {true, false}) {
            OnnxDecoderRuntime.Trace t = rt.trace(HookSet.EMPTY, new OnnxDecoderRuntime.Variant(true, last, false));
            assertThat(t.quantizedKeys()).hasSize(sites.size());
            assertThat(t.baseKeys()).as("no linear weight is injected as float").doesNotContainAnyElementsOf(t.quantizedKeys());
            try {
                assertRunsQuantizedKernels(ModelProto.parseFrom(t.model()), sites, q, model + " " + q.id());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }
        long f32 = 0;
        for (LinearSite s : sites) {
            f32 += 4L * s.inFeatures() * s.outFeatures();
        }
        // int8: a byte per weight plus repeated row scales; int4: half a byte plus a scale per 16.
        double ratio = (double) rt.quantizedBytes() / f32;
        assertThat(ratio).as("quantized bytes / float32 bytes").isLessThan(q == Quantization.INT8 ? 0.33 : 0.21);
    }

    @ParameterizedTest
    @MethodSource("modelsSchemesAndModes")
    void pytorchAndOnnxAgreeOnTheQuantizedModel(String model, Quantization q, QuantizedMatmul mode) {
        DecoderRuntime[] rt = pair(model, q, mode);
        double bound = mode == QuantizedMatmul.FLOAT32 ? AGREEMENT : INT8_ACTIVATIONS_AGREEMENT;
        JsonObject c = firstCase(model);
        int[][] ids = Fixtures.ints2(c.get("input_ids"));
        int[][] mask = Fixtures.ints2(c.get("attention_mask"));
        ForwardRequest req = ForwardRequest.start(ids, mask, HookSet.EMPTY, null, false);
        Logits onnx = rt[0].forward(req, null);
        Logits pt = rt[1].forward(req, null);
        double scale = 0;
        for (float v : pt.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        double diff = LogitsAssert.maxAbsDiff(onnx, pt.data(), mask, 0);
        int[][] prompt = {Arrays.copyOf(ids[ids.length - 1], Math.min(6, ids[ids.length - 1].length))};
        GenerationConfig g = GenerationConfig.builder().maxNewTokens(10).build();
        int[] a = new Generator(rt[0], HookSet.EMPTY).generate(prompt, null, g).newTokens()[0];
        int[] b = new Generator(rt[1], HookSet.EMPTY).generate(prompt, null, g).newTokens()[0];
        System.out.printf("%s %s, %s matmul: onnx (MatMulNBits) vs pytorch (dequantized) max logit diff %.3g of max |logit| "
                + "%.3f (%.2g); greedy ids %s%n", model, q.id(), mode.id(), diff, scale, diff / scale,
                Arrays.equals(a, b) ? "equal" : "differ: onnx " + Arrays.toString(a) + ", pytorch " + Arrays.toString(b));
        assertThat(diff).as("%s %s logits, onnx (%s) vs pytorch", model, q.id(), mode.id()).isLessThanOrEqualTo(bound * scale);
        if (mode == QuantizedMatmul.FLOAT32) {
            // the same float32 products: no near tie can flip
            assertThat(a).as("%s %s greedy ids, onnx vs pytorch", model, q.id()).isEqualTo(b);
        }
    }

    /**
     * Greedy generation (a prompt, then one token at a time from the KV cache) runs one session:
     * ONNX Runtime pre-packs each {@code MatMulNBits} weight per session, so a second session
     * for the decoding steps would hold a second packed copy of every code.
     */
    @Test
    void promptAndDecodingStepsShareOneSessionOnAQuantizedBase() {
        for (String model : Fixtures.MODELS) {
            Checkpoint c = checkpoints.computeIfAbsent(model, n -> Checkpoint.open(Fixtures.model(n)));
            try (OnnxDecoderRuntime rt = (OnnxDecoderRuntime) new OnnxEngine().load(c, options(Quantization.INT4))) {
                int[][] prompt = {{1, 5, 9, 2, 7, 3}};
                GenerationConfig g = GenerationConfig.builder().maxNewTokens(6).minNewTokens(6).build();
                int[] ids = new Generator(rt, HookSet.EMPTY).generate(prompt, null, g).newTokens()[0];
                assertThat(ids).as(model).hasSize(6);
                assertThat(rt.sessionCount()).as("%s: sessions after a prompt and 5 decoding steps", model).isEqualTo(1);
            }
        }
    }

    /** The left-padded batch case where the fixture has one, else its first forward case. */
    private static JsonObject firstCase(String model) {
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        for (var e : golden.getAsJsonArray("forward")) {
            if (e.getAsJsonObject().get("name").getAsString().equals("batch_left_pad")) {
                return e.getAsJsonObject();
            }
        }
        return golden.getAsJsonArray("forward").get(0).getAsJsonObject();
    }

    @Test
    void loraHooksOnAQuantizedBaseAgreeAcrossEngines() {
        for (String model : List.of("tiny-gpt2", "tiny-llama", "tiny-gpt-neox")) {
            // float32 products, so the adapter's contribution is compared tightly
            DecoderRuntime[] rt = pair(model, Quantization.INT4, QuantizedMatmul.FLOAT32);
            List<LinearSite> sites = rt[0].architecture().linearSites(rt[0].config());
            Map<String, HostTensor> t = TestHooks.loraTensors("q", sites, 4, 5);
            HookSet hooks = null;
            for (DecoderRuntime r : rt) {
                hooks = TestHooks.installLora(r, "q", sites, t, 2.0, HookSet.builder());
            }
            int[][] ids = {{5, 77, 300, 12, 900, 41, 8}};
            Logits base = rt[0].forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null);
            Logits onnx = rt[0].forward(ForwardRequest.start(ids, null, hooks, null, false), null);
            Logits pt = rt[1].forward(ForwardRequest.start(ids, null, hooks, null, false), null);
            double scale = 0;
            for (float v : pt.data()) {
                scale = Math.max(scale, Math.abs(v));
            }
            LogitsAssert.assertClose(onnx, pt.data(), null, 0, AGREEMENT * scale, model + " lora on int4");
            assertThat(LogitsAssert.maxAbsDiff(onnx, base.data(), null, 0)).as("the adapter changes the output").isGreaterThan(1e-2);
            for (DecoderRuntime r : rt) {
                t.keySet().forEach(r.parameters()::remove);
            }
        }
    }

    @Test
    void exportedQuantizedModelRunsTheSameKernelsFromItsFiles() throws Exception {
        String name = "tiny-llama";
        Path out = tmp.resolve("int4-export");
        float[] engine;
        int[][] ids = {{5, 77, 300, 12, 900, 41, 8}};
        List<LinearSite> sites;
        long quantBytes;
        try (PeftModel model = PeftModel.open(Fixtures.model(name), new OnnxEngine(), options(Quantization.INT4))) {
            OnnxExport.Result r = ModelExport.write(model, OnnxExport.to(out, OnnxExport.WeightStorage.LINK));
            assertThat(r.weightFiles()).contains(OnnxExport.DATA_FILE);
            engine = model.forward(ids, null).data();
            sites = model.runtime().architecture().linearSites(model.runtime().config());
            quantBytes = ((OnnxDecoderRuntime) model.runtime()).quantizedBytes();
        }
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(out.resolve(OnnxExport.MODEL_FILE)));
        assertRunsQuantizedKernels(m, sites, Quantization.INT4, "export");
        long external = 0;
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getDataType() == TensorProto.DataType.UINT8_VALUE || t.getName().endsWith(OnnxOps.quantScales(""))) {
                assertThat(t.getDataLocation()).isEqualTo(TensorProto.DataLocation.EXTERNAL);
                external += t.getExternalDataList().stream().filter(e -> e.getKey().equals("length"))
                        .mapToLong(e -> Long.parseLong(e.getValue())).sum();
            }
        }
        assertThat(external).as("the export holds the codes and scales as quantized").isEqualTo(quantBytes);
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve(OnnxExport.DESCRIPTION_FILE))).getAsJsonObject();
        assertThat(json.getAsJsonObject("weights").get("quantization").getAsString()).isEqualTo("int4");
        DecoderConfig cfg = DecoderConfig.load(Fixtures.model(name).resolve("config.json"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(out.resolve(OnnxExport.MODEL_FILE).toString(), so)) {
            float[] got;
            try (OnnxExportTest.Ort.Out o = OnnxExportTest.Ort.run(env, s, cfg, ids, null, null)) {
                got = o.logits;
            }
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - engine[i]));
            }
            assertThat(worst).as("exported int4 model vs the engine").isLessThan(1e-5);
        }
    }

    @Test
    void aQuantizedWeightReadOutsideALinearLayerIsRefusedClearly() {
        DecoderRuntime rt = pair("tiny-llama", Quantization.INT8)[0];
        LinearSite site = rt.architecture().linearSites(rt.config()).get(0);
        HookSet hooks = HookSet.builder().linear(site.module(), new LinearHook() {
            @Override
            public Tensor afterLinear(ForwardContext ctx, LinearSite s, Tensor x, Tensor y) {
                // reads the base weight as a tensor: there is no float copy of it to read
                ctx.ops().add(ctx.ops().param(s.weightKey()), ctx.ops().param(s.weightKey()));
                return y;
            }
        }).build();
        assertThatThrownBy(() -> rt.forward(ForwardRequest.start(new int[][] {{1, 2, 3}}, null, hooks, null, false), null))
                .isInstanceOf(Peft4jException.class).hasMessageContaining(site.weightKey()).hasMessageContaining("int8-quantized")
                .hasMessageContaining("quantization none");
    }

    @Test
    void aQuantizedWeightReadsBackDequantizedInTheCheckpointLayout() {
        DecoderRuntime[] rt = pair("tiny-gpt2", Quantization.INT4);
        for (LinearSite s : rt[0].architecture().linearSites(rt[0].config()).subList(0, 2)) {
            HostTensor onnx = rt[0].parameters().get(s.weightKey());
            HostTensor pt = rt[1].parameters().get(s.weightKey());
            assertThat(onnx.shape()).isEqualTo(s.weightShape());
            assertThat((double) onnx.maxAbsDiff(pt)).as(s.weightKey()).isLessThan(1e-7);
        }
    }

    @Test
    void anUnknownOrMisspelledEngineOptionIsRefusedListingTheKnownOnes() {
        Checkpoint c = checkpoints.computeIfAbsent("tiny-gpt2", n -> Checkpoint.open(Fixtures.model(n)));
        assertThatThrownBy(() -> new OnnxEngine().load(c, options(Quantization.INT4).withEngineProperty("onnx.quantised_matmul", "float32")))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("onnx.quantised_matmul")
                .hasMessageContaining("onnx.quantized_matmul");
        assertThatThrownBy(() -> new OnnxEngine().load(c, options(Quantization.INT4).withEngineProperty(QuantizedMatmul.PROPERTY, "fp8")))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("fp8").hasMessageContaining("float32");
        assertThatThrownBy(() -> new PtEngine().load(c, options(Quantization.INT4).withEngineProperty("pytorch.threads", "2")))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("engine pytorch has no option 'pytorch.threads'");
        assertThatThrownBy(() -> options(Quantization.INT4).withEngineProperty("quantized_matmul", "float32"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("<engine>.<option>");
    }
}
