package ai.peft4j.api.peft;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.GenerationResult;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.io.TensorInfo;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.tokenizer.TextTokenizer;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A base decoder plus named adapters, with PEFT's operations: add, load, save, delete, activate,
 * disable, merge and unmerge, mixed-adapter batches, and the trainable-parameter summary.
 * Method-agnostic: every method plugin is handled the same way.
 *
 * <p>Thread-safe when the engine's runtime is (PyTorch's is): any number of threads may run
 * {@code forward}, {@code generate} and {@code loss} at once, also with mixed-adapter batches,
 * and changes (adding, loading, deleting, activating, disabling, merging) may come from other
 * threads meanwhile: a change waits for the runs in flight and runs alone, and each run sees the
 * model either before or after it. {@link #close()} waits for the runs in flight. Training
 * through the runtime directly is not covered: train while nothing else uses the model.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoint.open(modelDir);
 *      PeftModel model = PeftModel.of(Engines.byName("pytorch").load(ckpt, EngineOptions.defaults()))) {
 *   model.loadAdapter(adapterDir, "summarize");
 *   GenerationResult r = model.generate(new int[][] {ids}, null, GenerationConfig.builder().maxNewTokens(32).build());
 *   model.saveAdapter("summarize", outDir);
 * }
 * }</pre>
 */
public final class PeftModel implements AutoCloseable {
    /** The row name that selects the base model in a mixed-adapter batch. */
    public static final String BASE = "__base__";

    private final DecoderRuntime runtime;
    /**
     * Runs (forward, loss, generate, reads) share it; changes (add, load, delete, activate,
     * disable, merge) hold it alone, so no run sees a half-made change or a freed parameter.
     * Fair, so that a change waiting behind a stream of generations gets its turn.
     */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final Set<String> merged = new LinkedHashSet<>();
    /** Which merged adapter changed which base tensor, for every method (see {@link MergeLedger}). */
    private final MergeLedger ledger = new MergeLedger();
    private List<String> active = new ArrayList<>();
    private boolean disabled;
    private TextTokenizer tokenizer;
    private long seed = 0;

    private final Checkpoint ownedCheckpoint;

    private PeftModel(DecoderRuntime runtime, Checkpoint ownedCheckpoint) {
        this.runtime = runtime;
        this.ownedCheckpoint = ownedCheckpoint;
    }

    /** Wraps a loaded runtime; closing the model closes the runtime (not its checkpoint). */
    public static PeftModel of(DecoderRuntime runtime) {
        return new PeftModel(runtime, null);
    }

    /** Opens a model directory on an engine; closing the model closes the runtime and checkpoint. */
    public static PeftModel open(Path modelDir, Engine engine, EngineOptions options) {
        Checkpoint ckpt = Checkpoint.open(modelDir);
        try {
            return new PeftModel(engine.load(ckpt, options), ckpt);
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    public DecoderRuntime runtime() {
        return runtime;
    }

    /** Sets the seed used to initialise adapters added from now on (deterministic per seed). */
    public PeftModel setSeed(long seed) {
        lock.writeLock().lock();
        try {
            this.seed = seed;
            return this;
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- adapters -----------------------------------------------------------------------------

    /**
     * Adds a freshly initialised adapter and makes it the active one (as PEFT's
     * {@code get_peft_model} does for the first adapter).
     */
    public Adapter addAdapter(String name, PeftConfig config) {
        lock.writeLock().lock();
        try {
            AdapterFiles.checkName(name);
            if (adapters.containsKey(name)) {
                throw new Peft4jException("adapter '" + name + "' already exists; delete it first or choose another name");
            }
            PeftMethod method = PeftMethods.forType(config.peftType());
            Adapter adapter = method.create(name, config, context(name));
            adapters.put(name, adapter);
            if (active.isEmpty()) {
                active = new ArrayList<>(List.of(name));
            }
            return adapter;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private AdapterContext context(String name) {
        return new AdapterContext(runtime, seed ^ name.hashCode(), this::tokenizer);
    }

    private synchronized TextTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = TextTokenizer.load(runtime.checkpoint().directory());
        }
        return tokenizer;
    }

    /**
     * Loads a PEFT adapter directory under a name. The files are checked completely before anything
     * is registered: a known {@code peft_type}, every tensor this base needs present with the shape
     * it needs, and no tensor that matches nothing in this base (Hugging Face PEFT only warns about
     * such unexpected keys; here they are an error naming the first one, since an adapter for a
     * deeper or different model would otherwise run with part of its weights silently dropped). A
     * refused adapter leaves the model exactly as it was.
     *
     * <pre>{@code
     * model.loadAdapter(Path.of("runs/lora"), "summarize");
     * model.setActiveAdapters("summarize");
     * }</pre>
     */
    public Adapter loadAdapter(Path dir, String name) {
        lock.writeLock().lock();
        try {
            AdapterFiles.checkName(name);
            if (adapters.containsKey(name)) {
                throw new Peft4jException("adapter '" + name + "' already exists; delete it first or choose another name");
            }
            JsonObject json = AdapterFiles.readConfig(dir);
            // As PEFT's from_pretrained: the saved weights replace the initial ones, so no init work runs
            // (a TEXT-initialised prompt would otherwise read a tokenizer from a path the file names).
            json.addProperty("inference_mode", true);
            PeftMethod method = PeftMethods.forType(json.get("peft_type").getAsString());
            PeftConfig config = method.parseConfig(json, dir.resolve(AdapterFiles.CONFIG).toString());
            Path weights = AdapterFiles.weightsFile(dir);
            try (SafetensorsFile file = SafetensorsFile.open(weights)) {
                // create() registers into a staging store; only a file that passed every check reaches the runtime
                StagedParameterStore staged = new StagedParameterStore(runtime.parameters());
                Adapter adapter = method.create(name, config, new AdapterContext(runtime, staged, seed ^ name.hashCode(), this::tokenizer));
                Map<String, HostTensor> values = readState(file, adapter);
                Map<String, HostTensor> byStoreKey = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : adapter.stateKeys().entrySet()) {
                    byStoreKey.put(e.getValue(), reshape(values.get(e.getKey()), adapter.storeShape(e.getKey())));
                }
                staged.commit(byStoreKey);
                adapters.put(name, adapter);
                if (active.isEmpty()) {
                    active = new ArrayList<>(List.of(name));
                }
                return adapter;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Overwrites the values of an existing adapter with those saved in {@code dir} (by
     * {@link #saveAdapter}, or a training checkpoint), read from the file the adapter's method
     * saves them in ({@link Adapter#savedWeightsFile}). The file is checked completely first, as
     * {@link #loadAdapter} checks one, so a refused file changes nothing. The adapter keeps its
     * config, its trainable flags and whether it is active.
     *
     * <pre>{@code
     * model.addAdapter("default", config);
     * model.loadAdapterWeights("default", Path.of("out/checkpoint-200"));
     * }</pre>
     *
     * @throws Peft4jException if the adapter is merged, or the file misses, adds or misshapes a tensor
     */
    public void loadAdapterWeights(String name, Path dir) {
        lock.writeLock().lock();
        try {
            Adapter adapter = adapter(name);
            if (merged.contains(name)) {
                throw new Peft4jException("adapter '" + name + "' is merged; unmerge it before loading its weights");
            }
            Path weights = adapter.savedWeightsFile(dir).orElseGet(() -> AdapterFiles.weightsFile(dir));
            try (SafetensorsFile file = SafetensorsFile.open(weights)) {
                Map<String, HostTensor> values = readState(file, adapter);
                for (Map.Entry<String, String> e : adapter.stateKeys().entrySet()) {
                    runtime.parameters().update(e.getValue(), reshape(values.get(e.getKey()), adapter.storeShape(e.getKey())));
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Reads the adapter's tensors from its file after checking that the file holds exactly them:
     * no unexpected tensor (first, since it names what the file is for), none missing, every
     * shape as this base needs.
     */
    private Map<String, HostTensor> readState(SafetensorsFile file, Adapter adapter) {
        Map<String, String> stored = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String key : adapter.stateKeys().keySet()) {
            String s = findKey(file, key, adapter.name());
            if (s == null) {
                missing.add(key);
            } else {
                stored.put(key, s);
            }
        }
        TreeSet<String> unexpected = new TreeSet<>(file.tensors().keySet());
        unexpected.removeAll(stored.values());
        String base = runtime.config().modelType() + ", " + runtime.config().numLayers() + " layers";
        if (!unexpected.isEmpty()) {
            throw new Peft4jException(file.path() + ": tensor '" + unexpected.first() + "' matches no module of this base model ("
                    + base + ")" + (unexpected.size() > 1 ? ", nor do " + (unexpected.size() - 1) + " more" : "")
                    + "; is this adapter for another base model? (Hugging Face PEFT only warns here; peft4j refuses)");
        }
        if (!missing.isEmpty()) {
            throw new Peft4jException(file.path() + ": missing tensor '" + missing.get(0) + "' that this " + adapter.config().peftType()
                    + " config needs on this base model (" + base + ")"
                    + (missing.size() > 1 ? ", and " + (missing.size() - 1) + " more of " + adapter.stateKeys().size() : "")
                    + "; is this adapter for another base model?");
        }
        Map<String, HostTensor> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = adapter.stateShapes();
        for (Map.Entry<String, String> e : stored.entrySet()) {
            String key = e.getKey();
            TensorInfo info = file.info(e.getValue());
            if (!Arrays.equals(info.shape(), shapes.get(key))) {
                throw new Peft4jException(file.path() + ": tensor '" + key + "' has shape " + Arrays.toString(info.shape())
                        + " but this base model needs " + Arrays.toString(shapes.get(key)) + " (adapter for another base model?)");
            }
            values.put(key, file.readHost(e.getValue()));
        }
        return values;
    }

    /** The same elements in another shape ({@link Adapter#storeShape} versus the file shape). */
    private static HostTensor reshape(HostTensor t, long[] shape) {
        if (shape == null || Arrays.equals(t.shape(), shape)) {
            return t;
        }
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != t.numel()) {
            throw new Peft4jException("cannot hold a tensor of shape " + Arrays.toString(t.shape()) + " as "
                    + Arrays.toString(shape) + ": the element counts differ");
        }
        return new HostTensor(shape, t.data());
    }

    /** PEFT accepts keys with or without the adapter name inserted before {@code .weight}. */
    private static String findKey(SafetensorsFile file, String key, String adapterName) {
        if (file.contains(key)) {
            return key;
        }
        int dot = key.lastIndexOf('.');
        if (dot > 0) {
            String named = key.substring(0, dot) + "." + adapterName + key.substring(dot);
            if (file.contains(named)) {
                return named;
            }
        }
        return null;
    }

    /**
     * Saves an adapter as a PEFT directory ({@code adapter_config.json},
     * {@code adapter_model.safetensors}). A method with its own saved form writes that instead (see
     * {@link Adapter#saveFiles}).
     *
     * <p>The save is atomic per directory, as training checkpoints are: the new files are written
     * into a hidden sibling and swapped in with {@link AtomicFiles#updateDirectory}, so a crash
     * while saving over an existing adapter leaves the complete old adapter or the complete new
     * one, never new weights beside an old config. Other entries of the directory (a training
     * run's checkpoints, a model card) are kept. Into a directory that exists and is empty (a
     * fresh temporary one), the files are written in place, the config last.
     *
     * <pre>{@code
     * model.saveAdapter("summarize", Path.of("runs/lora"));   // loads in Python: PeftModel.from_pretrained(base, "runs/lora")
     * }</pre>
     */
    public void saveAdapter(String name, Path dir) {
        lock.readLock().lock();
        try {
            Adapter adapter = adapter(name);
            if (isEmptyDirectory(dir)) {
                writeAdapter(adapter, dir);
            } else {
                Path[] fresh = new Path[1];
                AtomicFiles.updateDirectory(dir, tmp -> {
                    fresh[0] = tmp;
                    writeAdapter(adapter, tmp);
                }, old -> supersededBy(old, fresh[0]));
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    private static final Pattern SHARD = Pattern.compile("model-\\d+-of-\\d+\\.safetensors");

    /**
     * Whether an old entry the new save did not rewrite would still be read in place of (or beside)
     * what it wrote: pickle adapter weights beside new safetensors ones, a shard index and shards
     * beside a new unsharded model. Everything else in the directory is kept.
     */
    private static boolean supersededBy(String oldEntry, Path fresh) {
        if (oldEntry.equals("adapter_model.bin")) {
            return Files.exists(fresh.resolve(AdapterFiles.WEIGHTS));
        }
        if (oldEntry.equals("model.safetensors.index.json") || SHARD.matcher(oldEntry).matches()) {
            return Files.exists(fresh.resolve(MergedModelWriter.WEIGHTS));
        }
        return false;
    }

    private static boolean isEmptyDirectory(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot list directory: " + e.getMessage(), e);
        }
    }

    /** Writes the adapter's files into {@code dir}: the weights, then the config. */
    private void writeAdapter(Adapter adapter, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot create directory: " + e.getMessage(), e);
        }
        if (adapter.saveFiles(dir, runtime)) {
            return; // the method writes its own form (full fine-tuning: a whole model)
        }
        Map<String, HostTensor> tensors = new TreeMap<>();
        for (Map.Entry<String, String> e : adapter.stateKeys().entrySet()) {
            tensors.put(e.getKey(), reshape(runtime.parameters().get(e.getValue()), adapter.stateShapes().get(e.getKey())));
        }
        JsonObject config = adapter.config().toJson();
        SafetensorsWriter.write(dir.resolve(AdapterFiles.WEIGHTS), tensors, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve(AdapterFiles.CONFIG), AdapterFiles.toJson(config));
    }

    /** Removes an adapter and its parameters (unmerging it first if merged). */
    public void deleteAdapter(String name) {
        lock.writeLock().lock();
        try {
            Adapter adapter = adapter(name);
            if (merged.contains(name)) {
                unmerge(name);
            }
            removeKeys(adapter);
            adapters.remove(name);
            active.remove(name);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void removeKeys(Adapter adapter) {
        for (String k : adapter.stateKeys().values()) {
            runtime.parameters().remove(k);
        }
    }

    public Adapter adapter(String name) {
        lock.readLock().lock();
        try {
            Adapter a = adapters.get(name);
            if (a == null) {
                throw new Peft4jException("no adapter '" + name + "'; adapters: " + (adapters.isEmpty() ? "(none)" : adapters.keySet()));
            }
            return a;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Adapter names in the order they were added. */
    public List<String> adapterNames() {
        lock.readLock().lock();
        try {
            return List.copyOf(adapters.keySet());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Makes the named adapters the active ones (several are applied together, in order). */
    public void setActiveAdapters(String... names) {
        lock.writeLock().lock();
        try {
            for (String n : names) {
                adapter(n);
            }
            active = new ArrayList<>(Arrays.asList(names));
        } finally {
            lock.writeLock().unlock();
        }
    }

    public List<String> activeAdapters() {
        lock.readLock().lock();
        try {
            return Collections.unmodifiableList(active);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs the base model until the returned scope is closed, then restores the previous state.
     *
     * <pre>{@code
     * try (var off = model.disableAdapters()) {
     *   baseLogits = model.forward(ids, null);
     * }
     * }</pre>
     */
    public AdapterScope disableAdapters() {
        lock.writeLock().lock();
        try {
            boolean wasDisabled = disabled;
            List<String> wasMerged = new ArrayList<>(merged);
            for (String n : wasMerged) {
                unmerge(n);
            }
            disabled = true;
            return () -> {
                lock.writeLock().lock();
                try {
                    disabled = wasDisabled;
                    for (String n : wasMerged) {
                        merge(n, false);
                    }
                } finally {
                    lock.writeLock().unlock();
                }
            };
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** A scope that restores the model's previous adapter state on close. */
    @FunctionalInterface
    public interface AdapterScope extends AutoCloseable {
        @Override
        void close();
    }

    /** The hooks of the active, unmerged adapters (empty while disabled). */
    public HookSet hooks() {
        lock.readLock().lock();
        try {
            HookSet.Builder b = HookSet.builder();
            if (!disabled) {
                for (String n : active) {
                    if (!merged.contains(n)) {
                        adapters.get(n).addHooks(b, false);
                    }
                }
            }
            return b.build();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Hooks for a mixed batch: every adapter named by a row, each applied to its rows only. When
     * every row names the same adapter, the batch is that adapter's own batch (its plain hooks,
     * so soft prompts work too, and the result equals running it as the only active adapter).
     */
    public HookSet hooks(String[] rowAdapters) {
        lock.readLock().lock();
        try {
            if (rowAdapters == null) {
                return hooks();
            }
            if (!merged.isEmpty()) {
                throw new Peft4jException("mixed-adapter batches need unmerged adapters; unmerge " + merged + " first");
            }
            HookSet.Builder b = HookSet.builder();
            String only = sameAdapter(rowAdapters);
            if (only != null) {
                if (!only.equals(BASE)) {
                    adapter(only).addHooks(b, false);
                }
                return b.build();
            }
            for (String n : new LinkedHashSet<>(Arrays.asList(rowAdapters))) {
                if (!n.equals(BASE)) {
                    adapter(n).addHooks(b, true);
                }
            }
            HookSet h = b.build();
            if (h.prefixLength() > 0) {
                throw new Peft4jException("mixed-adapter batches support adapters that do not change the sequence length "
                        + "(not soft prompts); run prompt-tuning adapters in their own batch");
            }
            return h;
        } finally {
            lock.readLock().unlock();
        }
    }

    // ---- merging -----------------------------------------------------------------------------

    /**
     * Folds an adapter into the base weights; its hooks stop applying. An adapter whose method
     * cannot merge ({@link Adapter#canMerge}: soft prompts) is refused, and nothing changes. An
     * adapter already merged is not merged twice: the call changes nothing (PEFT skips it too).
     * The model records which base tensors each merge changed, for every method alike, so that
     * {@link #unmerge} can restore the checkpoint's values exactly.
     *
     * <pre>{@code
     * model.merge("default", true);
     * model.mergedAdapters();          // [default]
     * model.unmerge("default");        // the base weights are the checkpoint's again, bit for bit
     * }</pre>
     *
     * @param safe check the merged weights for NaN/Inf first and leave the base untouched if any
     */
    public void merge(String name, boolean safe) {
        lock.writeLock().lock();
        try {
            Adapter a = adapter(name);
            if (merged.contains(name)) {
                return;
            }
            requireMergeable(a);
            try {
                a.merge(ledger.merging(name, runtime.parameters()), safe);
            } catch (RuntimeException e) {
                ledger.forget(name);
                throw e;
            }
            merged.add(name);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Reverses {@link #merge}; a no-op for an adapter that is not merged. A base tensor that this
     * adapter was the last merge in, and that held the checkpoint's values before, gets them back
     * exactly; any other gets the method's inverse (LoRA subtracts its delta, as PEFT does).
     */
    public void unmerge(String name) {
        lock.writeLock().lock();
        try {
            Adapter a = adapter(name);
            if (!merged.remove(name)) {
                return;
            }
            a.unmerge(ledger.unmerging(name, runtime.parameters()));
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static void requireMergeable(Adapter a) {
        if (!a.canMerge()) {
            throw new Peft4jException("adapter '" + a.name() + "' (" + a.config().peftType() + ") cannot be merged into the base "
                    + "weights (its method does not merge; a soft prompt adds inputs instead of changing weights); run it unmerged");
        }
    }

    public Set<String> mergedAdapters() {
        lock.readLock().lock();
        try {
            return Collections.unmodifiableSet(merged);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Merges the active adapters and deletes every adapter, leaving a plain model (PEFT's
     * {@code merge_and_unload}).
     */
    public void mergeAndUnload(boolean safe) {
        lock.writeLock().lock();
        try {
            for (String n : active) {
                requireMergeable(adapters.get(n)); // before merging anything, so a refusal changes nothing
            }
            for (String n : active) {
                merge(n, safe);
            }
            for (String n : new ArrayList<>(adapters.keySet())) {
                removeKeys(adapters.get(n));
            }
            adapters.clear();
            merged.clear();
            ledger.clear(); // the merged values are the base now
            active.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Saves what {@link #forward} computes as a plain Hugging Face model directory
     * ({@code config.json}, {@code model.safetensors}, tokenizer files): the active adapters are
     * merged (safely) for the write and unmerged afterwards, so the model is unchanged. Adapters
     * already merged stay merged. See {@link MergedModelWriter}. The directory is written
     * atomically, as {@link #saveAdapter} writes one: a crash or a failed write leaves the old
     * directory, or none.
     *
     * <pre>{@code
     * model.loadAdapter(adapterDir, "default");
     * model.saveMerged(outDir);   // loads back with PeftModel.open(outDir, engine, options)
     * }</pre>
     */
    public void saveMerged(Path dir) {
        lock.writeLock().lock();
        try {
            List<String> toMerge = new ArrayList<>();
            if (!disabled) {
                for (String n : active) {
                    if (!merged.contains(n)) {
                        if (!adapters.get(n).canMerge()) {
                            throw new Peft4jException("adapter '" + n + "' (" + adapters.get(n).config().peftType()
                                    + ") cannot be merged into the base weights, so it cannot be saved as a plain model; "
                                    + "save it as an adapter (saveAdapter) and serve it on the base");
                        }
                        toMerge.add(n);
                    }
                }
            }
            List<String> done = new ArrayList<>();
            try {
                for (String n : toMerge) {
                    merge(n, true);
                    done.add(n);
                }
                writeMerged(dir);
            } finally {
                Collections.reverse(done);
                for (String n : done) {
                    unmerge(n);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The merged directory, atomic like an adapter save: built beside {@code dir} and swapped in,
     * keeping the directory's other entries, so a crash or a failed write leaves the old directory
     * (or none) and never a mix.
     */
    private void writeMerged(Path dir) {
        Path source = runtime.checkpoint().directory();
        try {
            if (Files.exists(dir) && Files.isSameFile(source, dir)) {
                throw new Peft4jException(dir + ": is the base model's own directory; write the merged model elsewhere");
            }
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot read: " + e.getMessage(), e);
        }
        if (isEmptyDirectory(dir)) {
            MergedModelWriter.write(runtime, dir);
            return;
        }
        Path[] fresh = new Path[1];
        AtomicFiles.updateDirectory(dir, tmp -> {
            fresh[0] = tmp;
            MergedModelWriter.write(runtime, tmp);
        }, old -> supersededBy(old, fresh[0]));
    }

    // ---- running -----------------------------------------------------------------------------

    /** Logits of every position of a (left-padded) batch under the active adapters. */
    public Logits forward(int[][] inputIds, int[][] attentionMask) {
        lock.readLock().lock();
        try {
            return runtime.forward(ForwardRequest.start(inputIds, attentionMask, hooks(), null, false), null);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Logits for a mixed-adapter batch ({@link #BASE} selects the base model for a row). */
    public Logits forward(int[][] inputIds, int[][] attentionMask, String[] rowAdapters) {
        lock.readLock().lock();
        try {
            return runtime.forward(ForwardRequest.start(inputIds, attentionMask, hooks(rowAdapters), mixedRows(rowAdapters), false), null);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Summed causal-LM loss (no gradients) under the active adapters. */
    public LossResult loss(TrainBatch batch) {
        lock.readLock().lock();
        try {
            return runtime.lossAndGradients(batch, hooks(), false);
        } finally {
            lock.readLock().unlock();
        }
    }

    public GenerationResult generate(int[][] inputIds, int[][] attentionMask, GenerationConfig config) {
        lock.readLock().lock();
        try {
            return new Generator(runtime, hooks()).generate(inputIds, attentionMask, config);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Generation for a mixed-adapter batch (rows that all name one adapter run as that adapter's batch). */
    public GenerationResult generate(int[][] inputIds, int[][] attentionMask, GenerationConfig config, String[] rowAdapters) {
        lock.readLock().lock();
        try {
            return new Generator(runtime, hooks(rowAdapters), mixedRows(rowAdapters)).generate(inputIds, attentionMask, config);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The one adapter every row names, or null for a mixed (or empty) batch. */
    private static String sameAdapter(String[] rowAdapters) {
        if (rowAdapters == null || rowAdapters.length == 0) {
            return null;
        }
        for (String n : rowAdapters) {
            if (!rowAdapters[0].equals(n)) {
                return null;
            }
        }
        return rowAdapters[0];
    }

    /** The row selection for the engine: none when every row names the same adapter. */
    private static String[] mixedRows(String[] rowAdapters) {
        return sameAdapter(rowAdapters) != null ? null : rowAdapters;
    }

    /** PEFT's trainable-parameter summary. */
    public TrainableParameters trainableParameters() {
        lock.readLock().lock();
        try {
            ParameterStore store = runtime.parameters();
            Set<String> trainableKeys = store.trainableKeys();
            long trainable = 0;
            long adapterTotal = 0;
            Set<String> counted = new java.util.HashSet<>();
            for (Adapter a : adapters.values()) {
                for (Map.Entry<String, String> e : a.stateKeys().entrySet()) {
                    long n = 1;
                    for (long d : a.stateShapes().get(e.getKey())) {
                        n *= d;
                    }
                    if (!runtime.checkpoint().contains(e.getValue())) {
                        adapterTotal += n; // a base weight trained in place (full fine-tuning) is already in the base count
                    }
                    counted.add(e.getValue());
                    if (trainableKeys.contains(e.getValue())) {
                        trainable += n;
                    }
                }
            }
            for (String k : trainableKeys) {
                if (!counted.contains(k) && runtime.checkpoint().contains(k)) {
                    trainable += runtime.checkpoint().info(k).numel();
                }
            }
            return new TrainableParameters(trainable, runtime.checkpoint().parameterCount() + adapterTotal);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Waits for the runs in flight, then closes; the model cannot be used afterwards. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            synchronized (this) {
                if (tokenizer != null) {
                    tokenizer.close();
                }
            }
            runtime.close();
            if (ownedCheckpoint != null) {
                ownedCheckpoint.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
