package ai.peft4j.lora.fuzz;

import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AdapterConfigFuzzHarness;
import ai.peft4j.testkit.Fixtures;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of a LoRA adapter's {@code adapter_config.json}, loaded into tiny-llama
 * next to the valid weights of its {@code lora-default} fixture: every input loads (and runs) or
 * fails with a {@code Peft4jException}, leaving the model as it was; never another exception, an
 * OutOfMemoryError from a forged rank, or a hang.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this replays the seeds (the fixture configs) and the regression
 * inputs in {@code src/test/resources/ai/peft4j/lora/fuzz/LoraAdapterConfigFuzzTestInputs/}; with
 * it, it fuzzes (see {@code .ci/fuzz}).
 */
class LoraAdapterConfigFuzzTest {
    private static AdapterConfigFuzzHarness harness;

    private static synchronized AdapterConfigFuzzHarness harness() {
        if (harness == null) {
            harness = AdapterConfigFuzzHarness.open(new PtEngine(), "tiny-llama", Fixtures.adapter("tiny-llama", "lora-default"));
        }
        return harness;
    }

    @DictionaryEntries({
            "\"r\": ",
            "\"lora_alpha\": ",
            "\"rank_pattern\": {\"",
            "\"alpha_pattern\": {\"",
            "\"layers_pattern\": ",
            "\"layers_to_transform\": [",
            "\"target_modules\": ",
            "\"exclude_modules\": ",
            "\"init_lora_weights\": ",
            "\"use_rslora\": true",
            "\"fan_in_fan_out\": ",
            "\"bias\": ",
            "\"use_dora\": true",
            "\"modules_to_save\": [",
            "\"lora_dropout\": ",
            "all-linear",
            "q_proj",
            "v_proj",
            "down_proj",
            "self_attn",
            "layers",
            "2147483647",
            "30000000",
            "-1",
            "1e309",
            "null",
            "\"gaussian\"",
            "\\Q",
            "(?x)#",
            "((.*)*)*x",
            ".*\\."})
    @FuzzTest(maxDuration = "20s")
    void adapterConfigLoadsOrFailsClearly(byte[] config) {
        harness().load(config);
    }
}
