package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsException;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.peft.PeftModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code checkpoint-<step>} directories of a run's output directory, and their IO. Each holds
 * the adapter files (a PEFT adapter, or a whole model for full fine-tuning), {@code
 * optimizer.safetensors} and {@code trainer_state.json} ({@link TrainerState}); it is written into
 * a temporary sibling and renamed into place ({@link #write}), so a directory with this name is
 * always complete. Reading one back ({@link #readState}, {@link #loadAdapter},
 * {@link #loadOptimizer}) names the checkpoint when a file in it is damaged.
 *
 * <pre>{@code
 * Optional<Path> latest = Checkpoints.latest(Path.of("out"));   // for --resume
 * TrainerState state = Checkpoints.readState(latest.orElseThrow());
 * }</pre>
 */
public final class Checkpoints {
    /** The trainer state file inside a checkpoint. */
    public static final String STATE = "trainer_state.json";
    /** The optimizer state file inside a checkpoint. */
    public static final String OPTIMIZER = "optimizer.safetensors";

    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final Pattern LEFTOVER = Pattern.compile("\\.(checkpoint-\\d+)\\.(tmp|del|bak)-[0-9a-z]+");

    private Checkpoints() {}

    public static Path dir(Path outputDir, long step) {
        return outputDir.resolve("checkpoint-" + step);
    }

    /** The step of a checkpoint directory name, or -1. */
    public static long stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Writes {@code checkpoint-<step>} (the state's {@code global_step}) atomically: the state's
     * adapter as {@link PeftModel#saveAdapter} saves it, the optimizer state and the trainer state.
     * An existing checkpoint of that step is replaced whole.
     *
     * @param parameterShapes the shape of every trained parameter, given to its optimizer slots
     * @return the checkpoint directory
     */
    public static Path write(Path outputDir, TrainerState state, PeftModel model, Optimizer optimizer, Map<String, long[]> parameterShapes) {
        Path dir = dir(outputDir, state.globalStep());
        AtomicFiles.replaceDirectory(dir, tmp -> {
            model.saveAdapter(state.adapterName(), tmp);
            Map<String, HostTensor> slots = new LinkedHashMap<>();
            // slots are keyed "<slot>/<parameter key>" and shaped as their parameter
            optimizer.state().forEach((k, v) -> slots.put(k, new HostTensor(parameterShapes.get(k.substring(k.indexOf('/') + 1)), v)));
            SafetensorsWriter.write(tmp.resolve(OPTIMIZER), slots,
                    Map.of("optimizer", optimizer.name(), "steps", Long.toString(optimizer.steps())));
            Files.writeString(tmp.resolve(STATE), state.toJson(), StandardCharsets.UTF_8);
        });
        return dir;
    }

    /**
     * The trainer state of a checkpoint.
     *
     * @throws Peft4jException if the file is missing, truncated or not a peft4j trainer state
     */
    public static TrainerState readState(Path checkpointDir) {
        Path file = checkpointDir.resolve(STATE);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read the trainer state (is " + checkpointDir + " a checkpoint-<step> directory?): "
                    + e.getMessage(), e);
        }
        return TrainerState.parse(text, file);
    }

    /** Overwrites the adapter's values with the checkpoint's ({@link PeftModel#loadAdapterWeights}). */
    public static void loadAdapter(Path checkpointDir, PeftModel model, String adapterName) {
        try {
            model.loadAdapterWeights(adapterName, checkpointDir);
        } catch (SafetensorsException e) {
            throw damaged(checkpointDir, e);
        }
    }

    /** Restores the optimizer's state from the checkpoint, with the step count its trainer state records. */
    public static void loadOptimizer(Path checkpointDir, Optimizer optimizer, long steps) {
        Map<String, float[]> slots = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(checkpointDir.resolve(OPTIMIZER))) {
            for (String k : f.tensors().keySet()) {
                slots.put(k, f.readHost(k).data());
            }
        } catch (SafetensorsException e) {
            throw damaged(checkpointDir, e);
        }
        optimizer.loadState(slots, steps);
    }

    private static Peft4jException damaged(Path checkpointDir, SafetensorsException e) {
        return new Peft4jException(checkpointDir + ": damaged checkpoint: " + e.getMessage() + "; resume from an earlier checkpoint", e);
    }

    /** Every complete checkpoint in the output directory, oldest step first. */
    public static List<Path> list(Path outputDir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(outputDir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            s.filter(p -> stepOf(p) >= 0 && Files.isRegularFile(p.resolve(STATE))).forEach(out::add);
        } catch (IOException e) {
            throw new Peft4jException(outputDir + ": cannot list checkpoints: " + e.getMessage(), e);
        }
        out.sort(Comparator.comparingLong(Checkpoints::stepOf));
        return out;
    }

    /** The newest complete checkpoint, if any. */
    public static Optional<Path> latest(Path outputDir) {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * Deletes the oldest checkpoints with step <= {@code upToStep} beyond the newest {@code keep}.
     * Each is first renamed to a hidden {@code .checkpoint-<step>.del-<n>} sibling, so a crash in
     * the middle of the deletion never leaves a half-deleted directory under a checkpoint name.
     */
    static void prune(Path outputDir, int keep, long upToStep) {
        List<Path> all = new ArrayList<>(list(outputDir));
        all.removeIf(p -> stepOf(p) > upToStep);
        for (int i = 0; i < all.size() - keep; i++) {
            Path dir = all.get(i);
            Path doomed = dir.resolveSibling("." + dir.getFileName() + ".del-" + System.nanoTime());
            try {
                Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new Peft4jException(dir + ": cannot remove old checkpoint: " + e.getMessage(), e);
            }
            deleteTree(doomed);
        }
    }

    /**
     * Removes what a killed run can leave next to its checkpoints: {@code .checkpoint-<step>.tmp-*}
     * (a checkpoint being written) and {@code .checkpoint-<step>.del-*} (one being deleted). A
     * {@code .bak-*} backup is renamed back if its checkpoint is missing (a crash between the two
     * renames of {@code AtomicFiles.replaceDirectory}), and otherwise removed. Called before a run
     * writes into the directory; one run per output directory at a time.
     */
    public static void recover(Path outputDir) {
        if (!Files.isDirectory(outputDir)) {
            return;
        }
        List<Path> stale;
        try (Stream<Path> s = Files.list(outputDir)) {
            stale = s.filter(p -> LEFTOVER.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            throw new Peft4jException(outputDir + ": cannot list checkpoints: " + e.getMessage(), e);
        }
        for (Path p : stale) {
            Matcher m = LEFTOVER.matcher(p.getFileName().toString());
            m.matches();
            Path target = outputDir.resolve(m.group(1));
            try {
                if (m.group(2).equals("bak") && !Files.exists(target) && Files.isRegularFile(p.resolve(STATE))) {
                    Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
                } else {
                    deleteTree(p);
                }
            } catch (IOException | RuntimeException e) {
                // a leftover that cannot be removed is harmless: it never matches a checkpoint name
            }
        }
    }

    static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot delete old checkpoint: " + e.getMessage(), e);
        }
    }
}
