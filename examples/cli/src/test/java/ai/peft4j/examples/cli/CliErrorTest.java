package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input gives exit code 2 and exactly one {@code error: ...} line on stderr. */
class CliErrorTest {
    @TempDir
    Path tmp;

    private static CliRun assertBadInput(String expectedFragment, String... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.out()).as(run.toString()).isEmpty();
        assertThat(run.err().lines().count()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).as(run.toString()).startsWith("error: ").contains(expectedFragment).doesNotContain("\tat ");
        return run;
    }

    private static String gpt2() {
        return Fixtures.model("tiny-gpt2").toString();
    }

    @Test
    void missingDirectory() {
        String missing = tmp.resolve("no-such-model").toString();
        assertBadInput("no such", "generate", "--model", missing, "--prompt", "hi");
        assertBadInput("no such", "score", "--model", missing, "--text", "hi");
        assertBadInput("no such", "info", "--model", missing);
    }

    @Test
    void noConfigJson() {
        assertBadInput("config.json", "generate", "--model", tmp.toString(), "--prompt", "hi");
        assertBadInput("config.json", "info", "--model", tmp.toString());
    }

    @Test
    void corruptSafetensors() throws IOException {
        Files.copy(Fixtures.model("tiny-gpt2").resolve("config.json"), tmp.resolve("config.json"));
        byte[] real = Files.readAllBytes(Fixtures.model("tiny-gpt2").resolve("model.safetensors"));
        Files.write(tmp.resolve("model.safetensors"), Arrays.copyOf(real, 1000)); // truncated
        CliRun run = assertBadInput("model.safetensors", "generate", "--model", tmp.toString(), "--input-ids", "1,2");
        assertBadInput("model.safetensors", "info", "--model", tmp.toString());
        Files.write(tmp.resolve("model.safetensors"), new byte[] {1, 2, 3}); // not even a header
        assertBadInput("model.safetensors", "score", "--model", tmp.toString(), "--input-ids", "1,2");
        assertThat(run.err()).doesNotContain("Exception");
    }

    @Test
    void unknownModelType() throws IOException {
        Files.writeString(tmp.resolve("config.json"),
                "{\"model_type\": \"bert\", \"vocab_size\": 100, \"hidden_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2}");
        assertBadInput("unsupported model_type 'bert'", "info", "--model", tmp.toString());
        assertBadInput("supported: ", "generate", "--model", tmp.toString(), "--input-ids", "1");
    }

    @Test
    void promptLongerThanTheContext() {
        String ids = IntStream.range(0, 130).mapToObj(i -> Integer.toString(i % 1000)).collect(Collectors.joining(","));
        assertBadInput("context of 128", "generate", "--model", gpt2(), "--input-ids", ids, "--max-new-tokens", "1");
        // Fits alone, but not with the new tokens.
        String fits = IntStream.range(0, 120).mapToObj(Integer::toString).collect(Collectors.joining(","));
        assertBadInput("exceeds the model's context", "generate", "--model", gpt2(), "--input-ids", fits, "--max-new-tokens", "20");
        assertBadInput("context of 128", "score", "--model", gpt2(), "--input-ids", ids);
    }

    @Test
    void unknownEngineListsTheInstalledOnes() {
        CliRun run = assertBadInput("unknown engine 'nope'; installed: ", "generate", "--model", gpt2(), "--input-ids", "1",
                "--engine", "nope");
        assertThat(run.err()).contains("pytorch");
        String old = System.getProperty("peft4j.engine");
        System.setProperty("peft4j.engine", "from-property");
        try {
            assertBadInput("unknown engine 'from-property'", "score", "--model", gpt2(), "--input-ids", "1,2");
            // A flag beats the system property.
            assertThat(CliRun.of("score", "--model", gpt2(), "--input-ids", "1,2", "--engine", "pytorch").exit()).isZero();
        } finally {
            if (old == null) {
                System.clearProperty("peft4j.engine");
            } else {
                System.setProperty("peft4j.engine", old);
            }
        }
    }

    @Test
    void engineFromASettingsFile() throws IOException {
        Path settings = Files.writeString(tmp.resolve("peft4j.properties"), "engine=from-file\n");
        assertBadInput("unknown engine 'from-file'", "generate", "--model", gpt2(), "--input-ids", "1", "--settings", settings.toString());
    }

    @Test
    void usageErrorsAndInvalidValues() {
        assertBadInput("--model", "generate", "--prompt", "hi");
        assertBadInput("--prompt", "generate", "--model", gpt2());
        assertBadInput("mutually exclusive", "generate", "--model", gpt2(), "--prompt", "hi", "--input-ids", "1");
        assertBadInput("'x'", "generate", "--model", gpt2(), "--input-ids", "1,x");
        assertBadInput("outside the vocabulary", "generate", "--model", gpt2(), "--input-ids", "1,99999");
        assertBadInput("top_p", "generate", "--model", gpt2(), "--input-ids", "1", "--top-p", "1.5");
        assertBadInput("at least 2 tokens", "score", "--model", gpt2(), "--input-ids", "5");
        assertBadInput("Unknown option", "info", "--model", gpt2(), "--bogus");
        assertBadInput("threads", "generate", "--model", gpt2(), "--input-ids", "1", "--threads", "-3");
    }

    @Test
    void noTokenizerMeansIdsOnly() throws IOException {
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors"}) {
            Files.copy(Fixtures.model("tiny-gpt2").resolve(f), tmp.resolve(f));
        }
        assertBadInput("no tokenizer.json", "generate", "--model", tmp.toString(), "--prompt", "hi");
        CliRun ok = CliRun.of("generate", "--model", tmp.toString(), "--input-ids", "1,2", "--max-new-tokens", "3");
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(ok.out().strip()).matches("\\d+,\\d+,\\d+");
    }

    @Test
    void verboseAddsTheStackTrace() {
        CliRun run = CliRun.of("generate", "--verbose", "--model", tmp.resolve("missing").toString(), "--prompt", "hi");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("error: ").contains("\tat ");
    }

    @Test
    void noSubcommandPrintsUsage() {
        CliRun run = CliRun.of();
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("generate").contains("score").contains("info");
    }

    /**
     * An adapter file with valid LoRA tensors for a layer the 2-layer base lacks is refused by every
     * command that loads it, and {@code merge} writes nothing.
     */
    @Test
    void anAdapterWithTensorsForALayerTheBaseLacksIsRefusedAndMergeWritesNothing() throws IOException {
        Path src = Fixtures.adapter("tiny-gpt2", "lora-default");
        Path adapter = Files.createDirectories(tmp.resolve("deeper"));
        Files.copy(src.resolve(AdapterFiles.CONFIG), adapter.resolve(AdapterFiles.CONFIG));
        Map<String, HostTensor> tensors = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve(AdapterFiles.WEIGHTS))) {
            for (String k : f.tensors().keySet()) {
                tensors.put(k, f.readHost(k));
                tensors.put(k.replace(".h.0.", ".h.5."), f.readHost(k));
            }
        }
        SafetensorsWriter.write(adapter.resolve(AdapterFiles.WEIGHTS), tensors, Map.of("format", "pt"));
        String expected = "tensor 'base_model.model.transformer.h.5.attn.c_attn.lora_A.weight' matches no module of this base "
                + "model (gpt2, 2 layers)";
        String dir = adapter.toString();
        assertBadInput(expected, "generate", "--model", gpt2(), "--adapter", dir, "--input-ids", "1,2");
        assertBadInput(expected, "score", "--model", gpt2(), "--adapter", dir, "--input-ids", "1,2");
        Path out = tmp.resolve("merged");
        assertBadInput(expected, "merge", "--model", gpt2(), "--adapter", dir, "--out", out.toString());
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("nothing written beside it either").containsOnly("deeper");
        }
    }
}
