package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LoRA merges through {@link PeftModel}'s merge bookkeeping: which adapters are merged, a second
 * merge that changes nothing, an unmerge that gives the checkpoint's values back bit for bit in
 * whatever order stacked merges are undone, and no merge state kept by the method itself.
 */
class LoraMergeBookkeepingTest {
    private static final int[][] IDS = {{262, 301, 556, 489, 545, 0, 794, 332}, {1249, 1249, 1215, 322, 623, 545, 220, 676}};
    private static final List<String> WEIGHTS = List.of("transformer.h.0.attn.c_attn.weight", "transformer.h.1.attn.c_attn.weight");

    private static PeftModel open() {
        return PeftModel.open(Fixtures.model("tiny-gpt2"), new PtEngine(), new EngineOptions("cpu", 0));
    }

    private static float[] baseForward(PeftModel m) {
        try (PeftModel.AdapterScope off = m.disableAdapters()) {
            return m.forward(IDS, null).data();
        }
    }

    private static Map<String, float[]> weights(PeftModel m) {
        Map<String, float[]> w = new LinkedHashMap<>();
        WEIGHTS.forEach(k -> w.put(k, m.runtime().parameters().get(k).data()));
        return w;
    }

    @Test
    void mergeIsRecordedOnceAndUnmergeRestoresTheCheckpointExactly() {
        try (PeftModel m = open()) {
            float[] base = baseForward(m);
            Map<String, float[]> checkpoint = weights(m);
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "a");
            float[] unmerged = m.forward(IDS, null).data();
            ParameterStore store = m.runtime().parameters();

            m.merge("a", true);
            assertThat(m.mergedAdapters()).containsExactly("a");
            assertThat(m.hooks().isEmpty()).as("a merged adapter adds no hooks").isTrue();
            assertThat(LogitsAssert.maxAbsDiff(m.forward(IDS, null), unmerged, null, 0)).isLessThan(1e-4);
            Map<String, float[]> once = weights(m);

            m.merge("a", true); // refused as a second merge: nothing changes
            assertThat(m.mergedAdapters()).containsExactly("a");
            weights(m).forEach((k, v) -> assertThat(v).as(k + " after a second merge").containsExactly(once.get(k)));

            m.unmerge("a");
            assertThat(m.mergedAdapters()).isEmpty();
            WEIGHTS.forEach(k -> assertThat(store.isBaseReplaced(k)).as(k).isFalse());
            weights(m).forEach((k, v) -> assertThat(v).as(k).containsExactly(checkpoint.get(k)));
            assertThat(m.forward(IDS, null).data()).containsExactly(unmerged);
            m.unmerge("a"); // not merged: a no-op
            assertThat(baseForward(m)).containsExactly(base);
        }
    }

    @Test
    void stackedMergesUndoneInMergeOrderRestoreExactlyToo() {
        try (PeftModel m = open()) {
            Map<String, float[]> checkpoint = weights(m);
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "a");
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-all-linear"), "b");
            m.setActiveAdapters("a");
            float[] aOnly = m.forward(IDS, null).data();
            m.setActiveAdapters("a", "b");
            m.merge("a", true);
            m.merge("b", true);
            assertThat(m.mergedAdapters()).containsExactly("a", "b");
            m.unmerge("b"); // a is still merged into c_attn: b's delta is subtracted
            assertThat(m.runtime().parameters().isBaseReplaced(WEIGHTS.get(0))).isTrue();
            m.setActiveAdapters("a");
            assertThat(LogitsAssert.maxAbsDiff(m.forward(IDS, null), aOnly, null, 0)).isLessThan(1e-4);
            m.unmerge("a"); // the last merge on c_attn, which was the checkpoint's: restored exactly
            weights(m).forEach((k, v) -> assertThat(v).as(k).containsExactly(checkpoint.get(k)));
        }
    }

    @Test
    void deletingAMergedAdapterRestoresTheBaseAndMergeAndUnloadMakesTheMergeTheBase() {
        try (PeftModel m = open()) {
            Map<String, float[]> checkpoint = weights(m);
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "a");
            m.merge("a", true);
            m.deleteAdapter("a");
            assertThat(m.mergedAdapters()).isEmpty();
            weights(m).forEach((k, v) -> assertThat(v).as(k).containsExactly(checkpoint.get(k)));

            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "a");
            m.mergeAndUnload(true);
            ParameterStore store = m.runtime().parameters();
            Map<String, HostTensor> unloaded = new LinkedHashMap<>();
            WEIGHTS.forEach(k -> unloaded.put(k, store.get(k)));
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-all-linear"), "b");
            m.merge("b", true);
            m.unmerge("b"); // the weight is no longer the checkpoint's: the delta is subtracted, not restored
            assertThat(store.isBaseReplaced(WEIGHTS.get(0))).isTrue();
            WEIGHTS.forEach(k -> assertThat((double) store.get(k).maxAbsDiff(unloaded.get(k))).as(k).isLessThan(1e-5));
        }
    }

    @Test
    void theMethodKeepsNoMergeStateOfItsOwn() {
        for (Field f : LoraAdapter.class.getDeclaredFields()) {
            assertThat(Modifier.isStatic(f.getModifiers()) && Map.class.isAssignableFrom(f.getType()))
                    .as("static map %s in LoraAdapter", f.getName()).isFalse();
        }
        // Two models of the same base keep separate books: merging into one leaves the other's unmerge exact.
        try (PeftModel first = open(); PeftModel second = open()) {
            Map<String, float[]> checkpoint = weights(second);
            first.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "a");
            second.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "a");
            first.merge("a", true);
            second.merge("a", true);
            second.unmerge("a");
            assertThat(first.mergedAdapters()).containsExactly("a");
            weights(second).forEach((k, v) -> assertThat(v).as(k).containsExactly(checkpoint.get(k)));
        }
    }
}
