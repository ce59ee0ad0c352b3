package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.train.Checkpoints;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.KillHarness;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of {@code peft4j train}: a child JVM training LoRA (with dropout, so the per-step
 * reseeding matters) and writing a checkpoint every step is killed with SIGKILL three times, at
 * seeded random delays after it made progress and once the moment a checkpoint is being written.
 * After every kill the output directory must hold only complete, loadable {@code checkpoint-<step>}
 * directories (temporary ones are hidden {@code .checkpoint-*} siblings), and {@code --resume}
 * must finish with the adapter of an uninterrupted run.
 */
class TrainKillResumeTest {
    private static final int STEPS = 60;
    private static final long SEED = 20261126L;

    @TempDir
    Path tmp;

    private KillHarness harness;

    @BeforeEach
    void harness() {
        harness = new KillHarness(tmp);
    }

    @Test
    void sigkilledRunsResumeToTheUninterruptedAdapter() throws Exception {
        Path data = tmp.resolve("train.csv");
        try (var in = getClass().getResourceAsStream("/ai/peft4j/examples/summarization/data/train.csv")) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().limit(17).toList();
            Files.write(data, lines, StandardCharsets.UTF_8);
        }
        Path reference = tmp.resolve("reference");
        Process ref = start(data, reference, false, "reference");
        assertThat(ref.waitFor(120, TimeUnit.SECONDS)).as("reference run finished").isTrue();
        assertThat(ref.exitValue()).as(log("reference")).isZero();

        Path out = tmp.resolve("killed");
        Random random = new Random(SEED);
        long newest = 0;
        List<String> kills = new ArrayList<>();
        for (int kill = 0; kill < 3; kill++) {
            List<String> leftovers = temporaries(out);
            Process p = start(data, out, true, "kill" + kill);
            long before = newest;
            String when;
            if (kill == 2) {
                // the moment this run writes (or prunes) a checkpoint: a new hidden sibling exists
                KillHarness.waitFor(p, () -> newestStep(out) > before && temporaries(out).stream().anyMatch(t -> !leftovers.contains(t)),
                        "a checkpoint being written", false);
                when = "while writing a checkpoint";
            } else {
                KillHarness.waitFor(p, () -> newestStep(out) > before, "a new checkpoint", false);
                long delay = random.nextInt(400);
                Thread.sleep(delay);
                when = delay + " ms after a new checkpoint";
            }
            harness.kill(p, "kill" + kill);
            long step = checkEveryCheckpointIsComplete(out);
            assertThat(step).as("newest checkpoint after kill %d", kill).isGreaterThanOrEqualTo(newest).isLessThan(STEPS + 1);
            kills.add("kill " + kill + " " + when + ": newest checkpoint-" + step);
            newest = step;
        }

        Process last = start(data, out, true, "resume");
        assertThat(last.waitFor(120, TimeUnit.SECONDS)).as("resumed run finished").isTrue();
        assertThat(last.exitValue()).as(log("resume")).isZero();
        assertThat(log("resume")).contains("steps " + STEPS);
        checkEveryCheckpointIsComplete(out);
        assertThat(hasTemporary(out)).as("stale temporary checkpoint directories are cleaned up").isFalse();

        Map<String, float[]> expected = KillHarness.tensors(reference.resolve("adapter_model.safetensors"));
        Map<String, float[]> actual = KillHarness.tensors(out.resolve("adapter_model.safetensors"));
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        double maxDiff = 0;
        for (String k : expected.keySet()) {
            float[] e = expected.get(k);
            float[] a = actual.get(k);
            assertThat(a).hasSameSizeAs(e);
            for (int i = 0; i < e.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs((double) e[i] - a[i]));
            }
        }
        System.out.println(String.join("\n", kills) + "\nmax |resumed - uninterrupted| = " + maxDiff);
        assertThat(maxDiff).as("max abs diff to the uninterrupted adapter (%s)", kills).isLessThanOrEqualTo(1e-6);
        // the killed run learned something: the adapter moved away from its B = 0 start
        assertThat(actual.values().stream().anyMatch(t -> anyNonZero(t))).isTrue();
    }

    @Test
    void aNewRunIntoAnOutputWithCheckpointsIsRefusedAndLosesNothing() throws Exception {
        Path data = tmp.resolve("train.csv");
        try (var in = getClass().getResourceAsStream("/ai/peft4j/examples/summarization/data/train.csv")) {
            Files.write(data, new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().limit(9).toList(), StandardCharsets.UTF_8);
        }
        Path out = tmp.resolve("run");
        String[] args = {"train", "--model", Fixtures.model("tiny-gpt2").toString(), "--method", "lora", "--set", "r=4",
            "--data", data.toString(), "--prompt-template", "{text} 한줄 요약:", "--completion-template", " {summary}",
            "--out", out.toString(), "--steps", "2", "--batch", "2", "--max-length", "48", "--checkpoint-every", "1",
            "--threads", "1", "--no-progress"};
        CliRun first = CliRun.of(args);
        assertThat(first.exit()).as(first.toString()).isZero();
        List<Path> checkpoints = Checkpoints.list(out);
        assertThat(checkpoints).isNotEmpty();

        CliRun again = CliRun.of(args);

        assertThat(again.exit()).as(again.toString()).isNotZero();
        assertThat(again.err()).contains("holds the checkpoints of an earlier run").contains(checkpoints.get(checkpoints.size() - 1)
                .getFileName().toString()).contains("--resume");
        assertThat(Checkpoints.list(out)).isEqualTo(checkpoints);
    }

    private Process start(Path data, Path out, boolean resume, String name) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", "--model", Fixtures.model("tiny-gpt2").toString(), "--method", "lora",
                "--set", "r=4", "--set", "lora_alpha=8", "--set", "lora_dropout=0.1", "--set", "target_modules=[\"c_attn\",\"c_proj\"]",
                "--data", data.toString(), "--prompt-template", "{text} 한줄 요약:", "--completion-template", " {summary}",
                "--out", out.toString(), "--steps", Integer.toString(STEPS), "--batch", "2", "--lr", "2e-3", "--max-length", "48",
                "--checkpoint-every", "1", "--seed", "7", "--threads", "1", "--no-progress"));
        if (resume) {
            args.add("--resume");
        }
        return harness.start(name, "512m", Peft4jCli.class.getName(), args);
    }

    private String log(String name) {
        return harness.log(name);
    }

    private static long newestStep(Path out) {
        return Checkpoints.latest(out).map(Checkpoints::stepOf).orElse(0L);
    }

    private static boolean hasTemporary(Path out) throws IOException {
        return !temporaries(out).isEmpty();
    }

    /** Hidden {@code .checkpoint-*} siblings: checkpoints being written or deleted. */
    private static List<String> temporaries(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".checkpoint-")).toList();
        }
    }

    /**
     * Every {@code checkpoint-<step>} under its final name is complete: all four files, a parsable
     * state naming its own step, and an adapter that loads. Returns the newest step.
     */
    private static long checkEveryCheckpointIsComplete(Path out) throws IOException {
        List<Path> named;
        try (Stream<Path> s = Files.list(out)) {
            named = s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+")).sorted().toList();
        }
        assertThat(named).as("at least one checkpoint in %s", out).isNotEmpty();
        assertThat(Checkpoints.list(out)).as("every checkpoint-<step> directory counts as complete").hasSameSizeAs(named);
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-gpt2"), Engines.byName("pytorch"), EngineOptions.defaults())) {
            for (Path c : named) {
                for (String f : List.of("adapter_config.json", "adapter_model.safetensors", Checkpoints.OPTIMIZER, Checkpoints.STATE)) {
                    assertThat(c.resolve(f)).as("%s in %s", f, c).isRegularFile();
                }
                JsonObject state = JsonParser.parseString(Files.readString(c.resolve(Checkpoints.STATE))).getAsJsonObject();
                assertThat(state.get("global_step").getAsLong()).isEqualTo(Checkpoints.stepOf(c));
                String name = "c" + Checkpoints.stepOf(c);
                model.loadAdapter(c, name);
                model.deleteAdapter(name);
                KillHarness.tensors(c.resolve(Checkpoints.OPTIMIZER));
            }
        }
        return Checkpoints.stepOf(Checkpoints.latest(out).orElseThrow());
    }

    private static boolean anyNonZero(float[] t) {
        for (float v : t) {
            if (v != 0) {
                return true;
            }
        }
        return false;
    }
}
