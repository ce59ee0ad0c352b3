package ai.peft4j.spark;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.examples.cli.GenerationDefaults;
import ai.peft4j.examples.cli.LoadedModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode), loaded once per
 * {@link ModelSpec} and shared by every task the executor runs, at once or one after another.
 * Base weights stay memory-mapped from the {@code .safetensors} files, so an executor holds one
 * copy however many task threads it runs; {@link PeftModel} is safe for concurrent generation.
 *
 * <p>Thread-safe: the first task to ask for a spec loads it while later ones wait for that load
 * (other specs load in parallel); a failed load is forgotten, so a retried task tries again.
 * Models live until {@link #closeAll()} or the JVM exits.
 *
 * <pre>{@code
 * ExecutorModels.Shared m = ExecutorModels.get(spec);   // inside a task
 * Summarizer s = decoding.summarizer(m.model(), m.tokenizer(), m.eosTokenIds()).setAdapter("news");
 * }</pre>
 */
public final class ExecutorModels {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    private static final Map<ModelSpec, Slot> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "peft4j-executor-models-close"));
    }

    private ExecutorModels() {}

    /** A loaded model with its adapters (none active: choose one per call, see {@code Summarizer.setAdapter}). */
    public record Shared(ModelSpec spec, LoadedModel loaded, Set<Integer> eosTokenIds) {
        public PeftModel model() {
            return loaded.model();
        }

        public TextTokenizer tokenizer() {
            return loaded.tokenizer().orElseThrow(() -> new Peft4jException(spec.modelDir() + ": no tokenizer.json"));
        }
    }

    /** The model for {@code spec}, loading it on first use. */
    public static Shared get(ModelSpec spec) {
        while (true) {
            Slot slot = MODELS.computeIfAbsent(spec, Slot::new);
            try {
                return slot.get();
            } catch (RuntimeException e) {
                MODELS.remove(spec, slot);
                throw e;
            } catch (ClosedSlot e) {
                // closeAll() ran between lookup and load: look up again
            }
        }
    }

    /** How many models this JVM has loaded so far (a test checks that tasks share them). */
    public static int loadCount() {
        return LOADS.get();
    }

    /** Closes every model; tasks still running must not use them afterwards. */
    public static void closeAll() {
        for (Map.Entry<ModelSpec, Slot> e : MODELS.entrySet()) {
            if (MODELS.remove(e.getKey(), e.getValue())) {
                e.getValue().close();
            }
        }
    }

    private static final class ClosedSlot extends Exception {
        ClosedSlot() {
            super(null, null, false, false);
        }
    }

    /** One spec's model, loaded by the first caller under the slot's own lock. */
    private static final class Slot {
        private final ModelSpec spec;
        private Shared shared;
        private boolean closed;

        Slot(ModelSpec spec) {
            this.spec = spec;
        }

        synchronized Shared get() throws ClosedSlot {
            if (closed) {
                throw new ClosedSlot();
            }
            if (shared == null) {
                long t0 = System.nanoTime();
                LoadedModel m = spec.open();
                try {
                    spec.adapters().forEach((name, dir) -> m.model().loadAdapter(Path.of(dir), name));
                    shared = new Shared(spec, m, GenerationDefaults.read(Path.of(spec.modelDir())).eosTokenIds());
                } catch (RuntimeException e) {
                    m.close();
                    throw e;
                }
                LOADS.incrementAndGet();
                LOG.info("loaded {} with adapters {} in {} ms", spec.modelDir(), spec.adapters().keySet(), (System.nanoTime() - t0) / 1_000_000);
            }
            return shared;
        }

        synchronized void close() {
            closed = true;
            if (shared != null) {
                shared.loaded().close();
                shared = null;
            }
        }
    }
}
