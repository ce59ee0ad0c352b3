package ai.peft4j.testkit;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The body of every method module's {@code adapter_config.json} fuzz test: the fuzzed bytes become
 * the config of an adapter directory whose weights file is a valid fixture, and the directory is
 * loaded into a tiny fixture model the way a user loads a downloaded adapter
 * ({@link PeftModel#loadAdapter}: read JSON, pick the plugin by {@code peft_type}, parse, create,
 * check and read the tensors). The contract: the adapter loads (and then runs a forward pass) or
 * the load fails with a {@link Peft4jException}; anything else escapes to the fuzzer as a finding.
 * A failed load must leave the model as it was.
 *
 * <pre>{@code
 * static final AdapterConfigFuzzHarness HARNESS =
 *         AdapterConfigFuzzHarness.open(new PtEngine(), "tiny-llama", Fixtures.adapter("tiny-llama", "lora-default"));
 * @FuzzTest void adapterConfigLoadsOrFailsClearly(byte[] json) { HARNESS.load(json); }
 * }</pre>
 */
public final class AdapterConfigFuzzHarness {
    private static final int[][] IDS = {{1, 2, 3}};

    private final PeftModel model;
    private final Path dir;
    private long loaded;
    private long refused;

    private AdapterConfigFuzzHarness(PeftModel model, Path dir) {
        this.model = model;
        this.dir = dir;
    }

    /**
     * A harness on a fixture model, with the weights of a fixture adapter in its adapter directory.
     * The model stays open for the JVM's life (fuzzing runs every input in one process).
     */
    public static AdapterConfigFuzzHarness open(Engine engine, String baseModel, Path fixtureAdapter) {
        try {
            Path dir = Files.createTempDirectory("peft4j-fuzz-adapter");
            dir.toFile().deleteOnExit();
            Path weights = dir.resolve(AdapterFiles.WEIGHTS);
            Files.copy(fixtureAdapter.resolve(AdapterFiles.WEIGHTS), weights, StandardCopyOption.REPLACE_EXISTING);
            weights.toFile().deleteOnExit();
            dir.resolve(AdapterFiles.CONFIG).toFile().deleteOnExit();
            return new AdapterConfigFuzzHarness(PeftModel.open(Fixtures.model(baseModel), engine, new EngineOptions("cpu", 0)), dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads one fuzzed {@code adapter_config.json}; throws only when the contract is broken. */
    public void load(byte[] config) {
        try {
            Files.write(dir.resolve(AdapterFiles.CONFIG), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            model.loadAdapter(dir, "fuzz");
        } catch (Peft4jException expected) {
            refused++;
            checkUnchanged();
            return;
        }
        loaded++;
        try {
            model.setActiveAdapters("fuzz");
            model.forward(IDS, null);
        } catch (Peft4jException clearError) {
            // a loaded adapter may still be refused for a request (a prompt too long for the context)
        } finally {
            model.deleteAdapter("fuzz");
        }
        checkUnchanged();
    }

    /** Nothing half-loaded: no adapter and no adapter parameter survives a failed or deleted load. */
    private void checkUnchanged() {
        if (!model.adapterNames().isEmpty() || !model.runtime().parameters().adapterKeys().isEmpty()) {
            throw new AssertionError("model changed: adapters " + model.adapterNames() + ", parameters "
                    + model.runtime().parameters().adapterKeys());
        }
    }

    /** How many inputs loaded and how many were refused with a clear error. */
    public String stats() {
        return loaded + " loaded, " + refused + " refused";
    }
}
