package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code weightDtype float16} on the ONNX engine: every base weight is a float16 graph input over
 * the held bytes (the mapped file for an F16 checkpoint), widened by a Cast where it is used
 * (embeddings: only the gathered rows), never a float32 initializer; the logits equal the PyTorch
 * engine's on the same float16 weights, and replacing a weight (a merge) still works.
 */
class OnnxHalfPrecisionTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama", "tiny-llama-fp16", "tiny-qwen2"})
    void float16WeightsAreFedAsFloat16AndWidenedPerUse(String model) throws Exception {
        EngineOptions o = new EngineOptions("cpu", 1).withWeightDtype("float16");
        try (Checkpoint c = Checkpoint.open(Fixtures.model(model));
                DecoderRuntime onnx = new OnnxEngine().load(c, o);
                DecoderRuntime pt = new PtEngine().load(c, o)) {
            OnnxDecoderRuntime rt = (OnnxDecoderRuntime) onnx;
            assertThat(rt.halfBytes()).as("two bytes per parameter").isEqualTo(2 * numel(c));
            OnnxDecoderRuntime.Trace t = rt.trace(HookSet.EMPTY, new OnnxDecoderRuntime.Variant(true, true, false));
            assertThat(t.baseKeys()).as("no base weight injected as float32").isEmpty();
            ModelProto m = ModelProto.parseFrom(t.model());
            Map<String, Integer> inputTypes = new HashMap<>();
            for (ValueInfoProto v : m.getGraph().getInputList()) {
                inputTypes.put(v.getName(), v.getType().getTensorType().getElemType());
            }
            for (String k : t.halfKeys()) {
                assertThat(inputTypes.get(k)).as(k + " is a float16 input").isEqualTo(TensorProto.DataType.FLOAT16_VALUE);
            }
            Set<String> inits = m.getGraph().getInitializerList().stream().map(TensorProto::getName).collect(Collectors.toSet());
            assertThat(inits).doesNotContainAnyElementsOf(t.halfKeys());
            List<NodeProto> nodes = m.getGraph().getNodeList();
            String embedding = embeddingKey(rt);
            NodeProto gather = nodes.stream().filter(n -> n.getOpType().equals("Gather") && n.getInput(0).equals(embedding))
                    .findFirst().orElseThrow();
            assertThat(nodes).as("the gathered rows are widened, not the table")
                    .anyMatch(n -> n.getOpType().equals("Cast") && n.getInput(0).equals(gather.getOutput(0)));

            int[][] ids = {{5, 77, 300, 12, 900, 41, 8}, {1, 2, 3, 4, 5, 6, 7}};
            Logits a = onnx.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null);
            Logits b = pt.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null);
            LogitsAssert.assertClose(a, b.data(), null, 0, 1e-4, model + " float16, onnx vs pytorch");

            // A merge replaces a float16 weight with float32 values: the graph is traced again with it.
            LinearSite site = rt.architecture().linearSites(rt.config()).get(0);
            HostTensor w = onnx.parameters().get(site.weightKey());
            HostTensor changed = w.copy();
            for (int i = 0; i < changed.data().length; i++) {
                changed.data()[i] *= 1.5f;
            }
            onnx.parameters().replaceBase(site.weightKey(), changed);
            pt.parameters().replaceBase(site.weightKey(), changed);
            Logits a2 = onnx.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null);
            Logits b2 = pt.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null);
            assertThat(LogitsAssert.maxAbsDiff(a2, a.data(), null, 0)).as("the replacement takes effect").isGreaterThan(1e-3);
            LogitsAssert.assertClose(a2, b2.data(), null, 0, 1e-4, model + " replaced weight, onnx vs pytorch");
            onnx.parameters().restoreBase(site.weightKey());
            Logits a3 = onnx.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null);
            LogitsAssert.assertClose(a3, a.data(), null, 0, 0, model + " restored");
        }
    }

    private static long numel(Checkpoint c) {
        long n = 0;
        for (String k : c.keys()) {
            n += c.info(k).numel();
        }
        return n;
    }

    private static String embeddingKey(OnnxDecoderRuntime rt) {
        String type = rt.config().modelType();
        return type.equals("gpt2") ? "transformer.wte.weight" : "model.embed_tokens.weight";
    }
}
