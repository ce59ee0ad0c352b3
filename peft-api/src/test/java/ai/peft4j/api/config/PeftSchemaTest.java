package ai.peft4j.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.ModuleSelector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The shared binding of config records: defaults, policy for unknown and unsupported keys, errors, round trips. */
class PeftSchemaTest {

    enum Mode {
        FAST,
        EXACT
    }

    /** Keys embedded, as a method family's shared keys are. */
    record Extra(@Key("note") String note, @Key(value = "depth", def = "2") int depth) {}

    /** A config as a method declares one: every key once, on its component. */
    @Key.Unsupported(key = "use_magic", feature = "magic", written = "false")
    record DemoConfig(
            PeftCommon common,
            @Key(value = "rank", def = "4") int rank,
            @Key(value = "scale", def = "1.5") double scale,
            @Key(value = "alpha", def = "8", codec = JsonCodecs.PythonNumber.class) double alpha,
            @Key("target_modules") ModuleSelector targets,
            @Key(value = "mode", def = "\"FAST\"") Mode mode,
            @Key("layers") OneOrList<Integer> layers,
            @Key(value = "weights", def = "{}") Map<String, Double> weights,
            @Key(value = "kept", def = "{}") JsonValue kept,
            Extra extra) implements PeftAdapterConfig {

        static final PeftSchema<DemoConfig> SCHEMA = new PeftSchema<>(DemoConfig.class, "DEMO", "DemoConfig", "supported: none");

        DemoConfig {
            if (rank <= 0) {
                throw new Peft4jException("rank must be positive, got " + rank);
            }
        }

        static Builder builder() {
            return new Builder(null);
        }

        Builder toBuilder() {
            return new Builder(this);
        }

        static final class Builder extends PeftConfigBuilder<DemoConfig, Builder> implements PeftConfigBuilder.Targets<Builder> {
            Builder(DemoConfig from) {
                super(SCHEMA, from);
            }

            Builder rank(int rank) {
                return set("rank", rank);
            }
        }
    }

    private static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    private static DemoConfig read(String text) {
        return DemoConfig.SCHEMA.read(json(text), "demo.json");
    }

    @Test
    void missingAndNullKeysTakeTheirDefaults() {
        DemoConfig c = read("{\"scale\": null, \"target_modules\": null}");
        assertThat(c.rank()).isEqualTo(4);
        assertThat(c.scale()).isEqualTo(1.5);
        assertThat(c.alpha()).isEqualTo(8.0);
        assertThat(c.targets()).isNull();
        assertThat(c.mode()).isEqualTo(Mode.FAST);
        assertThat(c.layers()).isNull();
        assertThat(c.weights()).isEmpty();
        assertThat(c.kept()).isEqualTo(JsonValue.of(new JsonObject()));
        assertThat(c.extra()).isEqualTo(new Extra(null, 2));
        assertThat(c.taskType()).isEqualTo("CAUSAL_LM");
        assertThat(c.inferenceMode()).isFalse();
        assertThat(c.ignoredKeys()).isEmpty();
        assertThat(c).isEqualTo(DemoConfig.builder().build()).hasSameHashCodeAs(DemoConfig.builder().build());
    }

    @Test
    void everyKeyIsWrittenSortedWithPeftTypeCommonAndUnsupportedKeys() {
        JsonObject out = DemoConfig.builder().build().toJson();
        assertThat(new ArrayList<>(out.keySet())).isSorted().containsExactlyInAnyOrder("alpha", "auto_mapping",
                "base_model_name_or_path", "depth", "inference_mode", "kept", "layers", "mode", "modules_to_save", "note",
                "peft_type", "peft_version", "rank", "revision", "scale", "target_modules", "task_type", "use_magic", "weights");
        assertThat(out.get("peft_type").getAsString()).isEqualTo("DEMO");
        assertThat(out.get("inference_mode").getAsBoolean()).as("written as save_pretrained writes it").isTrue();
        assertThat(out.get("peft_version").getAsString()).isEqualTo(PeftCommon.PEFT_VERSION);
        assertThat(out.get("use_magic").getAsBoolean()).isFalse();
        assertThat(out.get("modules_to_save").isJsonNull()).isTrue();
        assertThat(out.get("alpha").toString()).as("a Python int").isEqualTo("8");
        assertThat(out.get("scale").toString()).isEqualTo("1.5");
    }

    @Test
    void readWriteReadRoundTripsToEqualConfigsAndTheSameJson() {
        DemoConfig c = read("{\"peft_type\": \"DEMO\", \"rank\": 16, \"scale\": 2, \"alpha\": 0.5, \"target_modules\": [\"q_proj\", \"v_proj\"],"
                + " \"mode\": \"exact\", \"layers\": 3, \"weights\": {\"b\": 1, \"a\": 2.5}, \"kept\": [1, {\"x\": null}],"
                + " \"note\": \"hi\", \"depth\": 5, \"task_type\": \"CAUSAL_LM\", \"base_model_name_or_path\": \"tiny\","
                + " \"revision\": \"main\", \"inference_mode\": true, \"peft_version\": \"0.17.0\", \"auto_mapping\": {\"k\": 1},"
                + " \"use_magic\": false, \"modules_to_save\": null}");
        JsonObject out = c.toJson();
        DemoConfig again = DemoConfig.SCHEMA.read(out, "again");
        assertThat(again).as("peft_version is written as peft4j's, not compared").isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(again.toJson()).isEqualTo(out);
        assertThat(again.toJson().toString()).isEqualTo(out.toString());
        assertThat(c.mode()).isEqualTo(Mode.EXACT);
        assertThat(out.get("mode").getAsString()).isEqualTo("EXACT");
        assertThat(out.get("layers").toString()).as("a bare value stays bare").isEqualTo("3");
        assertThat(out.get("weights").toString()).as("file order").isEqualTo("{\"b\":1.0,\"a\":2.5}");
        assertThat(out.get("scale").toString()).isEqualTo("2.0");
        assertThat(out.get("alpha").toString()).isEqualTo("0.5");
        assertThat(c.peftVersion()).as("kept as provenance").isEqualTo("0.17.0");
        assertThat(out.get("peft_version").getAsString()).isEqualTo(PeftCommon.PEFT_VERSION);
        assertThat(c.extra().note()).isEqualTo("hi");
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void aConfigBuiltInCodeEqualsItsFileReadBack() {
        DemoConfig built = DemoConfig.builder().rank(3).build();
        assertThat(built.inferenceMode()).isFalse();
        DemoConfig back = DemoConfig.SCHEMA.read(built.toJson(), "saved");
        assertThat(back.inferenceMode()).as("save_pretrained writes true").isTrue();
        assertThat(back).isEqualTo(built).hasSameHashCodeAs(built);
    }

    @Test
    void unknownKeysAreIgnoredListedAndNotWritten() {
        DemoConfig c = read("{\"rank\": 2, \"zeta\": 1, \"alpha_future\": [true], \"other\": null}");
        assertThat(c.rank()).isEqualTo(2);
        assertThat(c.ignoredKeys()).containsExactly("alpha_future", "other", "zeta");
        assertThat(c.toJson().keySet()).doesNotContain("alpha_future", "other", "zeta");
        assertThat(c).as("ignored keys are not part of the config").isEqualTo(DemoConfig.builder().rank(2).build())
                .hasSameHashCodeAs(DemoConfig.builder().rank(2).build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "false", "[]", "{}"})
    void unsupportedKeysAreAcceptedWhenOff(String off) {
        DemoConfig c = read("{\"use_magic\": " + off + ", \"modules_to_save\": " + off + "}");
        assertThat(c.ignoredKeys()).isEmpty();
        assertThat(c.toJson().get("use_magic").getAsBoolean()).isFalse();
    }

    @Test
    void unsupportedKeysWithOtherValuesAreRefusedNamingTheKeyAndFeature() {
        assertThatThrownBy(() -> read("{\"use_magic\": true}")).isInstanceOf(Peft4jException.class)
                .hasMessage("demo.json: use_magic = true asks for magic, which peft4j does not implement (supported: none)");
        assertThatThrownBy(() -> read("{\"modules_to_save\": [\"lm_head\"]}")).isInstanceOf(Peft4jException.class)
                .hasMessageStartingWith("demo.json: modules_to_save = [\"lm_head\"] asks for modules_to_save");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"rank\": \"8\"}                | demo.json: rank must be an integer, got \"8\"",
        "{\"rank\": 4.5}                  | demo.json: rank must be an integer, got 4.5",
        "{\"rank\": 1e309}                | demo.json: rank must be an integer, got 1e309",
        "{\"scale\": true}                | demo.json: scale must be a number, got true",
        "{\"target_modules\": 3}          | demo.json: target_modules must be a regex string or a list of module names, got 3",
        "{\"mode\": 1}                    | demo.json: mode must be a string, got 1",
        "{\"mode\": \"slow\"}             | demo.json: mode 'slow' is not FAST or EXACT",
        "{\"layers\": [1, \"2\"]}         | demo.json: layers must be an integer or a list of integers, got [1,\"2\"]",
        "{\"weights\": [1]}               | demo.json: weights must be an object of numbers, got [1]",
        "{\"weights\": {\"a\": \"x\"}}    | demo.json: weights['a'] must be a number, got \"x\"",
        "{\"note\": 5}                    | demo.json: note must be a string, got 5",
        "{\"inference_mode\": \"yes\"}    | demo.json: inference_mode must be true or false, got \"yes\"",
        "{\"task_type\": 7}               | demo.json: task_type must be a string, got 7",
        "{\"peft_type\": 7}               | demo.json: peft_type must be a string, got 7",
        "{\"peft_type\": \"LORA\"}        | demo.json: peft_type is 'LORA', not DEMO",
        "{\"rank\": 0}                    | demo.json: rank must be positive, got 0"})
    void malformedValuesFailNamingTheSourceAndTheKey(String text, String message) {
        assertThatThrownBy(() -> read(text)).isInstanceOf(Peft4jException.class).hasMessage(message);
    }

    @Test
    void peftTypeIsMatchedCaseInsensitivelyAsMethodsAreDispatched() {
        DemoConfig c = read("{\"peft_type\": \"demo\"}");
        assertThat(c.peftType()).isEqualTo("DEMO");
        assertThat(c.toJson().get("peft_type").getAsString()).isEqualTo("DEMO");
    }

    @Test
    void theBuilderSetsKeysByNameRestoresDefaultsAndValidatesWithoutASourcePrefix() {
        DemoConfig c = DemoConfig.builder().rank(3).targetModules(List.of("q_proj")).set("scale", 2).set("note", "n")
                .set("layers", List.of(1, 2)).baseModelNameOrPath("tiny").inferenceMode(true).build();
        assertThat(c.scale()).isEqualTo(2.0);
        assertThat(c.targets()).isEqualTo(ModuleSelector.names(List.of("q_proj")));
        assertThat(c.extra().note()).isEqualTo("n");
        assertThat(c.toJson().get("layers").toString()).isEqualTo("[1,2]");
        assertThat(c.toBuilder().set("scale", null).build().scale()).isEqualTo(1.5);
        assertThat(c.toBuilder().with(new Extra("other", 9)).build().extra()).isEqualTo(new Extra("other", 9));
        assertThat(c.toBuilder().inferenceMode(false).build()).as("the file always says inference_mode true").isEqualTo(c);
        assertThat(c.toBuilder().rank(4).build()).isNotEqualTo(c);
        assertThat(c.toString()).startsWith("DemoConfig[").contains("rank=3");
        assertThatThrownBy(() -> DemoConfig.builder().rank(0).build()).isInstanceOf(Peft4jException.class)
                .hasMessage("rank must be positive, got 0");
        assertThatThrownBy(() -> DemoConfig.builder().set("rnak", 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no key 'rnak'");
        assertThatThrownBy(() -> DemoConfig.builder().set("note", 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("note takes String");
    }

    @Test
    void verbatimJsonIsImmutable() {
        DemoConfig c = read("{\"kept\": {\"a\": 1}}");
        c.toJson().getAsJsonObject("kept").addProperty("b", 2);
        c.kept().json().getAsJsonObject().addProperty("c", 3);
        assertThat(c.toJson().getAsJsonObject("kept").keySet()).containsExactly("a");
        JsonObject given = new JsonObject();
        DemoConfig built = DemoConfig.builder().set("kept", given).build();
        given.addProperty("late", 1);
        assertThat(built.kept()).isEqualTo(JsonValue.of(new JsonObject()));
    }

    record NoKey(PeftCommon common, int r) implements PeftAdapterConfig {}

    record Twice(PeftCommon common, @Key("task_type") String again) implements PeftAdapterConfig {}

    @Test
    void aMisdeclaredSchemaFailsWhenTheClassLoads() {
        assertThatThrownBy(() -> new PeftSchema<>(NoKey.class, "X", "X", "")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("NoKey.r needs @Key");
        assertThatThrownBy(() -> new PeftSchema<>(Twice.class, "X", "X", "")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("task_type").hasMessageContaining("declared twice");
    }
}
