package ai.peft4j.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Training steps leave no arrays behind: every step's graph, gradients and replaced parameters are freed. */
class PtTrainingLeakTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-gpt2"})
    void fullTrainingStepsKeepTheNumberOfLiveArraysConstant(String fixture) {
        List<TokenizedExample> data = Fixtures.randomSequences(3, 8, 12, 50);
        List<Integer> live = new ArrayList<>();
        try (PeftModel model = PeftModel.open(Fixtures.model(fixture), new PtEngine(), new EngineOptions("cpu", 0))) {
            model.addAdapter("full", PeftMethods.byName("full").parseConfig(new JsonObject(), "test"));
            PtDecoderRuntime rt = (PtDecoderRuntime) model.runtime();
            Trainer t = new Trainer(model, TrainingConfig.builder().optLearningRate(1e-3).optBatchSize(2).optMaxSteps(12).optSeed(1)
                    .optSaveFinal(false).build());
            t.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics m) {
                    live.add(rt.liveArrays());
                }
            });
            t.train(data, null);
        }
        System.out.println(fixture + " live arrays per step: " + live);
        assertThat(live.get(live.size() - 1)).as("arrays after the last step vs. after the third: %s", live).isEqualTo(live.get(2));
    }
}
