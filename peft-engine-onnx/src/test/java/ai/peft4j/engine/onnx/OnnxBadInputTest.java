package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearHook;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Tensor;
import ai.peft4j.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wrong inputs fail early with a {@link Peft4jException} that says what is wrong. */
class OnnxBadInputTest {
    @TempDir
    Path dir;

    private static final int[][] IDS = {{5, 77, 300}};

    @Test
    void theEngineIsFoundByNameAndOnlyInfers() {
        assertThat(Engines.byName("onnx")).isInstanceOf(OnnxEngine.class);
        assertThat(new OnnxEngine().capabilities()).containsExactly(Capability.INFER);
        assertThat(new OnnxEngine().devices()).containsExactly("cpu");
    }

    @Test
    void aMissingWeightFileIsAClearError() throws IOException {
        Path copy = dir.resolve("sharded");
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(Fixtures.model("tiny-llama-sharded"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        try (Checkpoint ckpt = Checkpoint.open(copy)) {
            Files.delete(copy.resolve("model-00002-of-00002.safetensors"));
            assertThatThrownBy(() -> new OnnxEngine().load(ckpt, EngineOptions.defaults()))
                    .isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("model-00002-of-00002.safetensors")
                    .hasMessageContaining("missing");
        }
    }

    @Test
    void gpuDeviceAndTrainingAreRefused() {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model("tiny-gpt2"))) {
            assertThatThrownBy(() -> new OnnxEngine().load(ckpt, new EngineOptions("gpu:0", 0)))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("cpu only");
            try (DecoderRuntime rt = new OnnxEngine().load(ckpt, EngineOptions.defaults())) {
                assertThatThrownBy(() -> rt.setTraining(true)).isInstanceOf(Peft4jException.class).hasMessageContaining("does not train");
                assertThatThrownBy(() -> rt.lossAndGradients(new TrainBatch(IDS, null, IDS), HookSet.EMPTY, true))
                        .isInstanceOf(Peft4jException.class).hasMessageContaining("cannot train");
            }
        }
    }

    @Test
    void aHookReadingAnUnknownParameterNamesIt() {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model("tiny-gpt2"));
                DecoderRuntime rt = new OnnxEngine().load(ckpt, EngineOptions.defaults())) {
            LinearSite site = rt.architecture().linearSites(rt.config()).get(0);
            HookSet hooks = HookSet.builder().linear(site.module(), new LinearHook() {
                @Override
                public Tensor afterLinear(ForwardContext ctx, LinearSite s, Tensor x, Tensor y) {
                    return ctx.ops().add(y, ctx.ops().param("lora.nobody.B"));
                }
            }).build();
            assertThatThrownBy(() -> rt.forward(ForwardRequest.start(IDS, null, hooks, null, false), null))
                    .isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("no parameter 'lora.nobody.B'");
        }
    }

    @Test
    void cachesAndStepsAreChecked() {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model("tiny-gpt2"));
                DecoderRuntime rt = new OnnxEngine().load(ckpt, EngineOptions.defaults())) {
            int[][] fullMask = {{1, 1, 1, 1}};
            assertThatThrownBy(() -> rt.forward(ForwardRequest.next(new int[] {4}, fullMask, HookSet.EMPTY, null), null))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("needs the cache");
            KvCache foreign = new KvCache() {
                @Override
                public int length() {
                    return 0;
                }

                @Override
                public void reorder(int[] rows) {}

                @Override
                public void close() {}
            };
            assertThatThrownBy(() -> rt.forward(ForwardRequest.start(IDS, null, HookSet.EMPTY, null, true), foreign))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("its own cache");
            try (KvCache cache = rt.newCache()) {
                rt.forward(ForwardRequest.start(IDS, null, HookSet.EMPTY, null, true), cache);
                assertThat(cache.length()).isEqualTo(3);
                assertThatThrownBy(() -> rt.forward(ForwardRequest.next(new int[] {4}, new int[][] {{1, 1, 1, 1, 1, 1}},
                        HookSet.EMPTY, null), cache)).isInstanceOf(Peft4jException.class).hasMessageContaining("cache 3 + new 1");
                assertThatThrownBy(() -> cache.reorder(new int[] {1})).isInstanceOf(Peft4jException.class)
                        .hasMessageContaining("out of range");
            }
        }
    }

    @Test
    void replacingABaseWeightWithTheWrongShapeIsRefused() {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model("tiny-gpt2"));
                DecoderRuntime rt = new OnnxEngine().load(ckpt, EngineOptions.defaults())) {
            assertThatThrownBy(() -> rt.parameters().replaceBase("transformer.ln_f.weight", HostTensor.zeros(3)))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("has shape [64]");
            assertThatThrownBy(() -> rt.parameters().put("transformer.ln_f.weight", HostTensor.zeros(64), true))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("collides with a base weight");
        }
    }
}
