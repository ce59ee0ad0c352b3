package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saving an adapter or a merged model over a directory that holds other things: the directory is
 * swapped in whole (see {@code AdapterSaveKillTest} for crashes), its unrelated entries are kept,
 * and old weights that loaders would read instead of the new ones are dropped.
 */
class SaveIntoExistingDirectoryTest {
    @TempDir
    Path tmp;

    private static PeftModel withAdapter() {
        PeftModel model = PeftModel.open(Fixtures.model("tiny-llama"), new PtEngine(), new EngineOptions("cpu", 1));
        model.loadAdapter(Fixtures.adapter("tiny-llama", "lora-default"), "default");
        return model;
    }

    @Test
    void anAdapterSaveKeepsCheckpointsAndNotesAndDropsAStalePickle() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("run"));
        Files.createDirectories(out.resolve("checkpoint-3"));
        Files.writeString(out.resolve("checkpoint-3/trainer_state.json"), "{}");
        Files.writeString(out.resolve("README.md"), "notes");
        Files.writeString(out.resolve("adapter_model.bin"), "an older pickle");
        Files.writeString(out.resolve(AdapterFiles.CONFIG), "{\"peft_type\": \"LORA\", \"r\": 99}");
        try (PeftModel model = withAdapter()) {
            model.saveAdapter("default", out);
            model.loadAdapter(out, "again");
        }
        assertThat(AdapterFiles.readConfig(out).get("r").getAsInt()).isEqualTo(4);
        assertThat(out.resolve("checkpoint-3/trainer_state.json")).hasContent("{}");
        assertThat(out.resolve("README.md")).hasContent("notes");
        assertThat(out.resolve("adapter_model.bin")).doesNotExist();
        assertThat(siblings()).containsExactly("run");
    }

    @Test
    void aMergedSaveDropsAStaleShardIndexAndKeepsTheRest() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("merged"));
        Files.writeString(out.resolve("model.safetensors.index.json"), "{\"weight_map\": {}}");
        Files.writeString(out.resolve("model-00001-of-00002.safetensors"), "old shard");
        Files.writeString(out.resolve("README.md"), "notes");
        float[] adapted;
        try (PeftModel model = withAdapter()) {
            adapted = model.forward(new int[][] {{262, 301, 556}}, null).data();
            model.saveMerged(out);
            assertThatThrownBy(() -> model.saveMerged(Fixtures.model("tiny-llama"))).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("base model's own directory");
        }
        assertThat(out.resolve("model.safetensors.index.json")).doesNotExist();
        assertThat(out.resolve("model-00001-of-00002.safetensors")).doesNotExist();
        assertThat(out.resolve("README.md")).hasContent("notes");
        try (PeftModel merged = PeftModel.open(out, new PtEngine(), new EngineOptions("cpu", 1))) {
            float[] m = merged.forward(new int[][] {{262, 301, 556}}, null).data();
            double worst = 0;
            for (int i = 0; i < m.length; i++) {
                worst = Math.max(worst, Math.abs(m[i] - adapted[i]));
            }
            assertThat(worst).isLessThan(1e-4);
        }
        assertThat(siblings()).containsExactly("merged");
    }

    private List<String> siblings() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
