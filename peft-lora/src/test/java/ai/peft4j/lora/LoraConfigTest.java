package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Parsing, defaults, validation and JSON output of {@link LoraConfig}, against PEFT's files. */
class LoraConfigTest {

    private static LoraConfig parse(String json) {
        return LoraConfig.parse(JsonParser.parseString(json).getAsJsonObject(), "test.json");
    }

    @Test
    void pluginIsRegisteredUnderItsTypeAndName() {
        assertThat(PeftMethods.forType("LORA")).isInstanceOf(LoraMethod.class);
        assertThat(PeftMethods.byName("lora")).isInstanceOf(LoraMethod.class);
    }

    @Test
    void missingKeysTakePeftDefaults() {
        LoraConfig c = parse("{\"peft_type\": \"LORA\"}");
        assertThat(c.r()).isEqualTo(8);
        assertThat(c.loraAlpha()).isEqualTo(8);
        assertThat(c.loraDropout()).isZero();
        assertThat(c.targetModules()).isNull();
        assertThat(c.excludeModules()).isNull();
        assertThat(c.fanInFanOut()).isFalse();
        assertThat(c.bias()).isEqualTo("none");
        assertThat(c.useRslora()).isFalse();
        assertThat(c.initLoraWeights()).isEqualTo(LoraConfig.InitLoraWeights.DEFAULT);
        assertThat(c.layersToTransform()).isNull();
        assertThat(c.rankPattern()).isEmpty();
        assertThat(c.taskType()).isEqualTo("CAUSAL_LM");
        assertThat(c).isEqualTo(LoraConfig.builder().build());
    }

    @Test
    void everyFixtureConfigParsesAndWritesBackEveryKeyUnchanged() {
        for (String[] fa : new String[][] {{"tiny-gpt2", "lora-default"}, {"tiny-gpt2", "lora-all-linear"},
                {"tiny-llama", "lora-regex-rslora-patterns"}, {"tiny-gpt-neox", "lora-default"}}) {
            JsonObject peft = AdapterFiles.readConfig(Fixtures.adapter(fa[0], fa[1]));
            LoraConfig c = LoraConfig.parse(peft, fa[1]);
            assertThat(c.ignoredKeys()).isEmpty();
            JsonObject ours = c.toJson();
            assertThat(ours.keySet()).as(fa[1] + " keys").isEqualTo(peft.keySet());
            for (String k : peft.keySet()) {
                assertThat(norm(ours.get(k))).as(fa[1] + " " + k).isEqualTo(norm(peft.get(k)));
            }
            assertThat(LoraConfig.parse(ours, "again")).isEqualTo(c);
        }
    }

    @Test
    void regexFixtureReadsPatternsAndRslora() {
        LoraConfig c = LoraConfig.parse(AdapterFiles.readConfig(Fixtures.adapter("tiny-llama", "lora-regex-rslora-patterns")), "x");
        assertThat(c.targetModules().isRegex()).isTrue();
        assertThat(c.targetModules().regexString()).isEqualTo(".*\\.(q_proj|v_proj|down_proj)");
        assertThat(c.useRslora()).isTrue();
        assertThat(c.rankPattern()).containsExactly(Map.entry("down_proj", 2));
        assertThat(c.alphaPattern()).containsExactly(Map.entry("v_proj", 16.0));
        assertThat(c.initLoraWeights()).isEqualTo(LoraConfig.InitLoraWeights.RANDOM);
    }

    @Test
    void toJsonWritesPythonStyleNumbersAndSortedKeys() {
        JsonObject o = LoraConfig.builder().r(16).loraAlpha(32).loraDropout(0.05).initLoraWeights(LoraConfig.InitLoraWeights.GAUSSIAN)
                .layersToTransform(1).targetModules(List.of("q_proj")).build().toJson();
        assertThat(o.get("lora_alpha").toString()).isEqualTo("32");
        assertThat(o.get("lora_dropout").toString()).isEqualTo("0.05");
        assertThat(o.get("init_lora_weights").getAsString()).isEqualTo("gaussian");
        assertThat(o.get("layers_to_transform").toString()).isEqualTo("1");
        assertThat(o.get("inference_mode").getAsBoolean()).isTrue();
        assertThat(o.get("peft_version").getAsString()).isEqualTo("0.21.0");
        assertThat(new java.util.ArrayList<>(o.keySet())).isSorted();
    }

    @Test
    void unknownKeysAreIgnoredWithAWarning() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LoraConfig c;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            c = parse("{\"peft_type\": \"LORA\", \"r\": 4, \"enable_lora\": [true], \"merge_weights\": false}");
        } finally {
            System.setErr(err);
        }
        assertThat(c.r()).isEqualTo(4);
        assertThat(c.ignoredKeys()).containsExactly("enable_lora", "merge_weights");
        assertThat(c.toJson().has("enable_lora")).isFalse();
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("WARN").contains("test.json").contains("enable_lora")
                .contains("merge_weights");
    }

    @Test
    void invalidValuesFailWithPreciseMessages() {
        assertBad("{\"r\": 0}", "test.json", "r must be a positive integer, got 0");
        assertBad("{\"r\": -2}", "r must be a positive integer, got -2");
        assertBad("{\"r\": \"8\"}", "r must be an integer, got \"8\"");
        assertBad("{\"r\": 4.5}", "r must be an integer");
        assertBad("{\"lora_dropout\": 1.5}", "lora_dropout must be in [0, 1], got 1.5");
        assertBad("{\"bias\": \"some\"}", "bias must be 'none', 'all' or 'lora_only', got 'some'");
        assertBad("{\"bias\": \"all\"}", "bias 'all'", "not implemented");
        assertBad("{\"target_modules\": 3}", "target_modules must be a regex string or a list of module names, got 3");
        assertBad("{\"target_modules\": \"(q_proj\"}", "target_modules", "not a valid regular expression");
        assertBad("{\"target_modules\": \".*q_proj\", \"layers_to_transform\": [0]}",
                "layers_to_transform cannot be used when target_modules is a str");
        assertBad("{\"target_modules\": \".*q_proj\", \"layers_pattern\": \"layers\"}",
                "layers_pattern cannot be used when target_modules is a str");
        assertBad("{\"target_modules\": [\"q_proj\"], \"layers_pattern\": \"layers\"}",
                "when layers_pattern is specified, layers_to_transform must also be specified");
        assertBad("{\"rank_pattern\": {\"q_proj\": 0}}", "rank_pattern['q_proj'] must be a positive integer, got 0");
        assertBad("{\"rank_pattern\": {\"(\": 2}}", "rank_pattern key '(' is not a valid regular expression");
        assertBad("{\"init_lora_weights\": \"pissa\"}", "init_lora_weights \"pissa\" is not implemented");
        assertBad("{\"use_dora\": true}", "use_dora = true asks for DoRA, which peft4j does not implement");
        assertBad("{\"modules_to_save\": [\"lm_head\"]}", "modules_to_save");
        assertBad("{\"peft_type\": \"PROMPT_TUNING\"}", "peft_type is 'PROMPT_TUNING', not LORA");
        assertThatThrownBy(() -> LoraConfig.builder().r(0).build()).isInstanceOf(Peft4jException.class)
                .hasMessage("r must be a positive integer, got 0");
    }

    @Test
    void defaultValuedUnsupportedKeysAreAccepted() {
        LoraConfig c = parse("{\"use_dora\": false, \"modules_to_save\": null, \"layer_replication\": null, \"lora_bias\": false,"
                + " \"loftq_config\": {}, \"megatron_core\": \"megatron.core\"}");
        assertThat(c.ignoredKeys()).isEmpty();
    }

    private static void assertBad(String json, String... fragments) {
        var t = assertThatThrownBy(() -> parse(json)).isInstanceOf(Peft4jException.class).hasMessageStartingWith("test.json: ");
        for (String f : fragments) {
            t.hasMessageContaining(f);
        }
    }

    private static Object norm(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonArray()) {
            TreeSet<String> s = new TreeSet<>();
            e.getAsJsonArray().forEach(x -> s.add(x.toString()));
            return s;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            return e.getAsDouble();
        }
        return e.toString();
    }
}
