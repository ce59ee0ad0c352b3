package ai.peft4j.examples.ia3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.train.Checkpoints;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonParser;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * (IA)³ merges through {@link PeftModel}'s merge bookkeeping, which every method shares: a merge
 * recorded once, an unmerge that restores the checkpoint exactly when it is the last merge on a
 * tensor (also below a LoRA merge), and no merge state in the adapter. And a training resume
 * restores output-scaling vectors in the store's {@code [1, out]} layout, not the file's.
 */
class Ia3MergeBookkeepingTest {
    private static final int[][] IDS = {{262, 301, 556, 489, 545, 0, 794, 332}, {1249, 1249, 1215, 322, 623, 545, 220, 676}};
    /** c_attn is scaled by (IA)³ (output, bias too) and adapted by LoRA's default targets. */
    private static final List<String> TENSORS = List.of("transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
            "transformer.h.1.mlp.c_proj.weight");

    @TempDir
    Path tmp;

    private static PeftModel open() {
        return PeftModel.open(Fixtures.model("tiny-gpt2"), new PtEngine(), new EngineOptions("cpu", 0));
    }

    private static void addIa3(PeftModel m, String name, long seed) {
        m.addAdapter(name, Ia3Config.builder().build());
        SplittableRandom rnd = new SplittableRandom(seed);
        ParameterStore store = m.runtime().parameters();
        for (String key : m.adapter(name).stateKeys().values()) {
            HostTensor t = store.get(key);
            float[] d = new float[t.data().length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (1 + rnd.nextGaussian() * 0.5);
            }
            store.update(key, new HostTensor(t.shape(), d));
        }
    }

    private static Map<String, float[]> tensors(PeftModel m) {
        Map<String, float[]> w = new LinkedHashMap<>();
        TENSORS.forEach(k -> w.put(k, m.runtime().parameters().get(k).data()));
        return w;
    }

    private static void assertCheckpointValues(PeftModel m, Map<String, float[]> checkpoint) {
        for (String k : TENSORS) {
            assertThat(m.runtime().parameters().isBaseReplaced(k)).as(k + " replaced").isFalse();
            assertThat(m.runtime().parameters().get(k).data()).as(k).containsExactly(checkpoint.get(k));
        }
    }

    @Test
    void mergeIsRecordedOnceAndUnmergeRestoresTheCheckpointExactly() {
        try (PeftModel m = open()) {
            Map<String, float[]> checkpoint = tensors(m);
            addIa3(m, "a", 3);
            float[] unmerged = m.forward(IDS, null).data();
            m.merge("a", true);
            assertThat(m.mergedAdapters()).containsExactly("a");
            Map<String, float[]> once = tensors(m);
            m.merge("a", true); // a second merge is refused: the vectors are not applied twice
            assertThat(m.mergedAdapters()).containsExactly("a");
            tensors(m).forEach((k, v) -> assertThat(v).as(k).containsExactly(once.get(k)));
            assertThat(LogitsAssert.maxAbsDiff(m.forward(IDS, null), unmerged, null, 0)).isLessThan(1e-4);
            m.unmerge("a");
            assertThat(m.mergedAdapters()).isEmpty();
            assertCheckpointValues(m, checkpoint);
            assertThat(m.forward(IDS, null).data()).containsExactly(unmerged);
        }
    }

    @Test
    void stackedIa3MergesDivideUntilTheLastOneRestores() {
        try (PeftModel m = open()) {
            Map<String, float[]> checkpoint = tensors(m);
            addIa3(m, "a", 3);
            addIa3(m, "b", 4);
            m.setActiveAdapters("b");
            float[] bOnly = m.forward(IDS, null).data();
            m.setActiveAdapters("a", "b");
            m.merge("a", true);
            m.merge("b", true);
            m.unmerge("a"); // b is still merged: a's vectors are divided out
            assertThat(m.runtime().parameters().isBaseReplaced(TENSORS.get(0))).isTrue();
            m.setActiveAdapters("b");
            assertThat(LogitsAssert.maxAbsDiff(m.forward(IDS, null), bOnly, null, 0)).isLessThan(1e-4);
            m.unmerge("b");
            assertCheckpointValues(m, checkpoint);
        }
    }

    @Test
    void anIa3MergeBelowALoraMergeIsRestoredExactlyWhenBothAreUndone() {
        try (PeftModel m = open()) {
            Map<String, float[]> checkpoint = tensors(m);
            addIa3(m, "ia3", 3);
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "lora");
            m.setActiveAdapters("ia3");
            float[] ia3Only = m.forward(IDS, null).data();
            m.setActiveAdapters("ia3", "lora");
            m.merge("ia3", true);
            m.merge("lora", true); // LoRA's delta lands on the (IA)³-scaled c_attn
            assertThat(m.mergedAdapters()).containsExactly("ia3", "lora");
            m.unmerge("lora");
            m.setActiveAdapters("ia3");
            assertThat(LogitsAssert.maxAbsDiff(m.forward(IDS, null), ia3Only, null, 0)).isLessThan(1e-4);
            m.unmerge("ia3"); // the last merge on c_attn, over the checkpoint's values: one book for both methods
            assertCheckpointValues(m, checkpoint);
        }
    }

    @Test
    void theAdapterKeepsNoMergeState() {
        for (Field f : Ia3Adapter.class.getDeclaredFields()) {
            assertThat(Map.class.isAssignableFrom(f.getType())).as("map field %s in Ia3Adapter%s", f.getName(),
                    Modifier.isStatic(f.getModifiers()) ? " (static)" : "").isFalse();
        }
    }

    @Test
    void aResumedIa3RunEqualsTheUninterruptedOne() {
        List<TokenizedExample> data = Fixtures.randomSequences(5, 8, 10, 50);
        TrainingConfig.Builder cfg = TrainingConfig.builder().optLearningRate(5e-2).optBatchSize(2).optMaxSteps(4).optSeed(3)
                .optCheckpointEverySteps(2).optSaveFinal(false);
        TrainingResult straight;
        Map<String, float[]> straightValues;
        try (PeftModel m = open()) {
            m.addAdapter("default", Ia3Config.builder().build());
            straight = new Trainer(m, cfg.optOutputDir(tmp.resolve("straight")).build()).train(data, null);
            straightValues = values(m);
        }
        Path out = tmp.resolve("stopped");
        try (PeftModel m = open()) {
            m.addAdapter("default", Ia3Config.builder().build());
            Trainer t = new Trainer(m, cfg.optOutputDir(out).build());
            t.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics s) {
                    if (s.step() == 2) {
                        t.requestStop();
                    }
                }
            });
            t.train(data, null);
        }
        try (PeftModel m = open()) {
            m.addAdapter("default", PeftMethods.byName("ia3").parseConfig(JsonParser.parseString("{}").getAsJsonObject(), "test"));
            TrainingResult rest = new Trainer(m, cfg.optOutputDir(out).build()).resume(Checkpoints.dir(out, 2), data, null);
            assertThat(rest.losses()).hasSize(2);
            for (int i = 0; i < 2; i++) {
                assertThat(rest.losses().get(i)).isCloseTo(straight.losses().get(2 + i), within(1e-6));
            }
            ParameterStore store = m.runtime().parameters();
            for (Map.Entry<String, float[]> e : straightValues.entrySet()) {
                assertThat(store.get(e.getKey()).shape()).as(e.getKey() + " keeps the store layout").hasSize(2).startsWith(1);
                float[] v = store.get(e.getKey()).data();
                for (int i = 0; i < v.length; i++) {
                    assertThat((double) v[i]).as(e.getKey()).isCloseTo(e.getValue()[i], within(1e-6));
                }
            }
        }
    }

    private static Map<String, float[]> values(PeftModel m) {
        Map<String, float[]> v = new LinkedHashMap<>();
        for (String k : m.adapter("default").stateKeys().values()) {
            v.put(k, m.runtime().parameters().get(k).data());
        }
        return v;
    }
}
