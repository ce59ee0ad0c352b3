package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloaded LoRA adapters that are forged, broken or meant for another model: each load fails
 * with one clear {@link Peft4jException} and leaves the model as it was. The messages are quoted
 * in README.md ("What peft4j guarantees").
 */
class LoraHostileAdapterTest {
    private static PeftModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        model = PeftModel.open(Fixtures.model("tiny-llama"), new PtEngine(), new EngineOptions("cpu", 0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The fixture lora-default adapter with its config changed by {@code edit}. */
    private Path adapter(String name, Consumer<JsonObject> edit) throws IOException {
        Path src = Fixtures.adapter("tiny-llama", "lora-default");
        Path dir = Files.createDirectories(tmp.resolve(name));
        JsonObject cfg = JsonParser.parseString(Files.readString(src.resolve(AdapterFiles.CONFIG), StandardCharsets.UTF_8))
                .getAsJsonObject();
        edit.accept(cfg);
        Files.writeString(dir.resolve(AdapterFiles.CONFIG), cfg.toString());
        Files.copy(src.resolve(AdapterFiles.WEIGHTS), dir.resolve(AdapterFiles.WEIGHTS));
        return dir;
    }

    private static String refused(Path dir, String name) {
        Throwable t = catchThrowable(() -> model.loadAdapter(dir, name));
        if (t == null) {
            model.deleteAdapter(name);
        }
        assertThat(t).isInstanceOf(Peft4jException.class);
        assertThat(model.adapterNames()).isEmpty();
        assertThat(model.runtime().parameters().adapterKeys()).isEmpty();
        System.out.println("refused: " + t.getMessage());
        return t.getMessage();
    }

    @Test
    void aForgedRankIsRefusedBeforeAnythingIsAllocated() throws IOException {
        assertThat(refused(adapter("huge-r", c -> c.addProperty("r", 30_000_000)), "a"))
                .contains("r = 30000000").contains("more than the Java heap holds");
        assertThat(refused(adapter("overflowing-r", c -> c.addProperty("r", 2_000_000_000)), "a"))
                .contains("more than the Java heap holds");
        assertThat(refused(adapter("huge-rank-pattern", c -> {
            JsonObject ranks = new JsonObject();
            ranks.addProperty("q_proj", Integer.MAX_VALUE);
            c.add("rank_pattern", ranks);
        }), "a")).contains("rank_pattern").contains("more than the Java heap holds");
    }

    @Test
    void aRegexThatBacktracksForeverIsStopped() throws IOException {
        assertThat(refused(adapter("redos-target", c -> c.addProperty("target_modules", "((.*)*)*x")), "a"))
                .contains("((.*)*)*x").contains("catastrophic backtracking");
        assertThat(refused(adapter("redos-alpha", c -> {
            JsonObject alpha = new JsonObject();
            alpha.addProperty("v_proj|((.*)*)*x", 4);
            c.add("alpha_pattern", alpha);
        }), "a")).contains("catastrophic backtracking");
    }

    @Test
    void aPatternKeyThatBreaksPeftsRegexIsRefused() throws IOException {
        assertThat(refused(adapter("open-quote", c -> {
            JsonObject ranks = new JsonObject();
            ranks.addProperty("\\Qq_proj", 2);
            c.add("rank_pattern", ranks);
        }), "a")).contains("rank_pattern key '\\Qq_proj' is not a valid regular expression");
    }

    @Test
    void aLayersPatternWithItsOwnGroupStillFindsTheLayerIndex() {
        assertThat(LoraTargets.layerIndex("model.layers.1.self_attn.q_proj", List.of("(layers)"))).isEqualTo(1);
        assertThat(LoraTargets.layerIndex("model.layers.1.self_attn.q_proj", List.of("\\Qlayers"))).isNull();
    }

    @Test
    void anAdapterForAnotherBaseNamesTheTensorAndBothShapes() throws IOException {
        assertThat(refused(adapter("other-base", c -> c.addProperty("r", 8)), "a"))
                .contains("tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [4, 64]")
                .contains("needs [8, 64]");
    }

    @Test
    void anUnknownPeftTypeListsTheInstalledMethods() throws IOException {
        assertThat(refused(adapter("ia3", c -> c.addProperty("peft_type", "IA3")), "a"))
                .contains("peft_type 'IA3' has no installed plugin; installed: ").contains("LORA").contains("FULL");
    }

    @Test
    void aNameWithPathSeparatorsIsRefused() throws IOException {
        Path dir = adapter("plain", c -> {});
        assertThat(refused(dir, "../../etc")).contains("invalid adapter name '../../etc'");
    }

    @Test
    void aPickleAdapterIsRefusedWithTheConversion() throws IOException {
        Path dir = adapter("pickle", c -> {});
        Files.delete(dir.resolve(AdapterFiles.WEIGHTS));
        Files.write(dir.resolve("adapter_model.bin"), new byte[] {(byte) 0x80, 2, 'c', 'o', 's'});
        assertThat(refused(dir, "a")).contains("adapter_model.bin (a PyTorch pickle, which can run code)")
                .contains("safe_serialization=True");
    }

    @Test
    void missingAndBrokenFilesAreNamed() throws IOException {
        assertThat(refused(tmp.resolve("nowhere"), "a")).endsWith("nowhere: adapter directory not found");
        Path noConfig = adapter("no-config", c -> {});
        Files.delete(noConfig.resolve(AdapterFiles.CONFIG));
        assertThat(refused(noConfig, "a")).contains("adapter_config.json: not found");
        Path badJson = adapter("bad-json", c -> {});
        Files.writeString(badJson.resolve(AdapterFiles.CONFIG), "{\"peft_type\": \"LORA\", \"r\": ");
        assertThat(refused(badJson, "a")).contains("adapter_config.json: not valid JSON");
        Path truncated = adapter("truncated", c -> {});
        byte[] bytes = Files.readAllBytes(truncated.resolve(AdapterFiles.WEIGHTS));
        Files.write(truncated.resolve(AdapterFiles.WEIGHTS), Arrays.copyOf(bytes, bytes.length / 2));
        assertThat(refused(truncated, "a")).contains("adapter_model.safetensors").contains("truncated file?");
    }
}
