package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.KillHarness;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of {@link PeftModel#saveAdapter}: a child JVM saves two different LoRA adapters
 * (r = 4 and r = 8, random values) over the same directory, alternately and without pause, and is
 * killed with SIGKILL at seeded random moments, the moment a save's temporary sibling appears, and
 * the moment the directory's weights file changes (which, with per-file saves, is exactly when
 * new weights sit beside the old config). After every kill the directory must hold one complete
 * adapter, bit-identical to one of the two, and the other entries of the directory (a checkpoint,
 * a model card) must be intact. A kill between the swap's two renames leaves the complete old
 * directory as a backup sibling, which the next save restores; that case is accepted too.
 */
class AdapterSaveKillTest {
    private static final int KILLS = 6;
    private static final long SEED = 20261127L;

    @TempDir
    Path tmp;

    /** The child: saves adapter "a" and "b" over {@code args[1]} in turn until killed. */
    public static final class Saver {
        public static void main(String[] args) {
            try (PeftModel model = twoAdapters(Path.of(args[0]))) {
                Path out = Path.of(args[1]);
                for (long i = 0; ; i++) {
                    model.saveAdapter(i % 2 == 0 ? "a" : "b", out);
                    System.out.println("saved " + i);
                    System.out.flush();
                }
            }
        }
    }

    /** tiny-llama with adapter "a" (r = 4) and "b" (r = 8) on every linear layer, seeded values. */
    static PeftModel twoAdapters(Path modelDir) {
        PeftModel model = PeftModel.open(modelDir, new PtEngine(), new EngineOptions("cpu", 1));
        int r = 4;
        for (String name : new String[] {"a", "b"}) {
            model.addAdapter(name, LoraConfig.builder().r(r).loraAlpha(8).targetModules(List.of("q_proj", "k_proj", "v_proj", "o_proj",
                    "gate_proj", "up_proj", "down_proj")).build());
            SplittableRandom rnd = new SplittableRandom(r);
            ParameterStore store = model.runtime().parameters();
            for (String key : model.adapter(name).stateKeys().values()) {
                HostTensor t = store.get(key);
                float[] d = new float[t.data().length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) rnd.nextGaussian();
                }
                store.update(key, new HostTensor(t.shape(), d));
            }
            r = 8;
        }
        return model;
    }

    @Test
    void aKilledSaveLeavesTheCompleteOldOrTheCompleteNewAdapter() throws Exception {
        Map<Integer, Map<String, float[]>> expected = new TreeMap<>();
        try (PeftModel model = twoAdapters(Fixtures.model("tiny-llama"))) {
            for (String name : new String[] {"a", "b"}) {
                Path ref = tmp.resolve("ref-" + name);
                model.saveAdapter(name, ref);
                expected.put(rank(ref), tensors(ref));
            }
        }
        assertThat(expected).containsOnlyKeys(4, 8);

        Path out = tmp.resolve("run");
        Files.createDirectories(out.resolve("checkpoint-1"));
        Files.writeString(out.resolve("checkpoint-1/trainer_state.json"), "{\"global_step\": 1}\n");
        Files.writeString(out.resolve("README.md"), "model card\n");

        KillHarness harness = new KillHarness(tmp);
        Random random = new Random(SEED);
        List<String> kills = new ArrayList<>();
        int restored = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            String logName = "kill" + kill;
            int saves = 1 + random.nextInt(3);
            Process p = harness.start(logName, "256m", Saver.class.getName(), List.of(Fixtures.model("tiny-llama").toString(), out.toString()));
            KillHarness.waitFor(p, () -> savedCount(harness.log(logName)) >= saves, "a completed save", true);
            String when;
            switch (kill % 3) {
                case 0 -> {
                    long delay = random.nextInt(60);
                    Thread.sleep(delay);
                    when = delay + " ms after a save";
                }
                case 1 -> {
                    List<String> before = hidden(out);
                    KillHarness.waitFor(p, () -> hidden(out).stream().anyMatch(h -> !before.contains(h)), "a save's temporary sibling", true);
                    when = "while a save is being written";
                }
                default -> {
                    Object weights = fileKey(out.resolve(AdapterFiles.WEIGHTS));
                    KillHarness.waitFor(p, () -> !Objects.equals(fileKey(out.resolve(AdapterFiles.WEIGHTS)), weights), "new weights", true);
                    when = "the moment new weights appear";
                }
            }
            harness.kill(p, logName); // SIGKILL on Linux: no shutdown hooks, no finally blocks

            if (!Files.exists(out)) { // killed between the two renames: the backup is the complete old directory
                assertThat(AtomicFiles.recoverDirectory(out)).as("backup restored").isTrue();
                restored++;
                when += " (between the renames)";
            }
            int r = rank(out);
            assertThat(expected).as("adapter_config.json r after kill %d (%s)", kill, when).containsKey(r);
            Map<String, float[]> actual = tensors(out);
            assertThat(actual.keySet()).as("tensor keys match the config's r=%d after kill %d (%s)", r, kill, when)
                    .isEqualTo(expected.get(r).keySet());
            for (String k : actual.keySet()) {
                assertThat(actual.get(k)).as("%s after kill %d (%s): the r=%d adapter's values", k, kill, when, r)
                        .containsExactly(expected.get(r).get(k));
            }
            try (PeftModel model = PeftModel.open(Fixtures.model("tiny-llama"), new PtEngine(), new EngineOptions("cpu", 1))) {
                model.loadAdapter(out, "check");
            }
            assertThat(Files.readString(out.resolve("checkpoint-1/trainer_state.json"))).isEqualTo("{\"global_step\": 1}\n");
            assertThat(Files.readString(out.resolve("README.md"))).isEqualTo("model card\n");
            kills.add("kill " + kill + " " + when + ": r=" + r);
        }
        System.out.println(String.join("\n", kills) + "\nrestored from a backup: " + restored);

        // A save after the kills cleans up: no temporary or backup siblings are left.
        try (PeftModel model = twoAdapters(Fixtures.model("tiny-llama"))) {
            model.saveAdapter("a", out);
        }
        assertThat(rank(out)).isEqualTo(4);
        assertThat(hidden(out)).as("temporaries and backups left after a completed save").isEmpty();
    }

    private static long savedCount(String log) {
        return log.lines().filter(l -> l.startsWith("saved ")).count();
    }

    /** The file's identity (device and inode on Linux), or null while it does not exist. */
    private static Object fileKey(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Hidden entries beside and inside the directory: temporaries and backups of a save. */
    private static List<String> hidden(Path out) throws IOException {
        List<String> names = new ArrayList<>();
        for (Path dir : new Path[] {out.getParent(), out}) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).forEach(names::add);
                }
            }
        }
        return names;
    }

    private static int rank(Path dir) throws IOException {
        return JsonParser.parseString(Files.readString(dir.resolve(AdapterFiles.CONFIG))).getAsJsonObject().get("r").getAsInt();
    }

    private static Map<String, float[]> tensors(Path dir) {
        return KillHarness.tensors(dir.resolve(AdapterFiles.WEIGHTS));
    }
}
