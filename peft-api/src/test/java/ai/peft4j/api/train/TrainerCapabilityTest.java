package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.peft.PeftModel;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** An inference-only engine cannot train, and the error says which engines can. */
class TrainerCapabilityTest {

    private static final Engine INFER_ONLY = new Engine() {
        @Override
        public String name() {
            return "infer-only";
        }

        @Override
        public Set<Capability> capabilities() {
            return EnumSet.of(Capability.INFER);
        }

        @Override
        public List<String> devices() {
            return List.of("cpu");
        }

        @Override
        public DecoderRuntime load(Checkpoint checkpoint, EngineOptions options) {
            throw new UnsupportedOperationException();
        }
    };

    private static final DecoderRuntime RUNTIME = new DecoderRuntime() {
        @Override
        public Engine engine() {
            return INFER_ONLY;
        }

        @Override
        public Checkpoint checkpoint() {
            throw new UnsupportedOperationException();
        }

        @Override
        public String device() {
            return "cpu";
        }

        @Override
        public ParameterStore parameters() {
            throw new UnsupportedOperationException();
        }

        @Override
        public KvCache newCache() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Logits forward(ForwardRequest request, KvCache cache) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    };

    @Test
    void inferenceOnlyEngineIsRefusedWithTheEnginesThatCanTrain() {
        assertThatThrownBy(() -> new Trainer(PeftModel.of(RUNTIME), TrainingConfig.builder().build()))
                .isInstanceOf(Peft4jException.class)
                .hasMessageContaining("engine 'infer-only' cannot train")
                .hasMessageContaining("engines that can");
    }
}
