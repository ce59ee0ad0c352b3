package ai.peft4j.prompttuning.fuzz;

import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AdapterConfigFuzzHarness;
import ai.peft4j.testkit.Fixtures;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of a prompt-learning adapter's {@code adapter_config.json}
 * ({@code PROMPT_TUNING} and {@code P_TUNING}), loaded into tiny-gpt2 next to the valid weights of
 * its {@code pt-random} fixture: every input loads (and runs) or fails with a
 * {@code Peft4jException}, leaving the model as it was; never another exception, an
 * OutOfMemoryError from a forged {@code num_virtual_tokens}, or a hang.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this replays the seeds (the fixture configs) and the regression
 * inputs in {@code src/test/resources/ai/peft4j/prompttuning/fuzz/PromptTuningAdapterConfigFuzzTestInputs/};
 * with it, it fuzzes (see {@code .ci/fuzz}).
 */
class PromptTuningAdapterConfigFuzzTest {
    private static AdapterConfigFuzzHarness harness;

    private static synchronized AdapterConfigFuzzHarness harness() {
        if (harness == null) {
            harness = AdapterConfigFuzzHarness.open(new PtEngine(), "tiny-gpt2", Fixtures.adapter("tiny-gpt2", "pt-random"));
        }
        return harness;
    }

    @DictionaryEntries({
            "\"num_virtual_tokens\": ",
            "\"token_dim\": ",
            "\"prompt_tuning_init\": ",
            "\"prompt_tuning_init_text\": ",
            "\"tokenizer_name_or_path\": ",
            "\"tokenizer_kwargs\": {",
            "\"inference_mode\": false",
            "\"peft_type\": \"P_TUNING\"",
            "\"peft_type\": \"PROMPT_TUNING\"",
            "\"encoder_hidden_size\": ",
            "\"encoder_num_layers\": ",
            "\"encoder_reparameterization_type\": ",
            "\"encoder_dropout\": ",
            "\"num_transformer_submodules\": ",
            "\"task_type\": ",
            "\"modules_to_save\": [",
            "TEXT",
            "SAMPLE_VOCAB",
            "RANDOM",
            "LSTM",
            "SEQ_2_SEQ_LM",
            "2147483647",
            "20000000",
            "127",
            "128",
            "-1",
            "1e309",
            "null"})
    @FuzzTest(maxDuration = "20s")
    void adapterConfigLoadsOrFailsClearly(byte[] config) {
        harness().load(config);
    }
}
