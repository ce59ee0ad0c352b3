package ai.peft4j.api.engine;

import ai.peft4j.api.checkpoint.Checkpoint;
import java.util.List;
import java.util.Set;

/**
 * A runtime that implements {@link ai.peft4j.api.ops.Ops} and loads decoders. Engines are
 * plugins found with {@link java.util.ServiceLoader}; see {@link Engines}.
 *
 * <pre>{@code
 * Engine engine = Engines.byName("pytorch");
 * try (Checkpoint ckpt = Checkpoint.open(dir); DecoderRuntime rt = engine.load(ckpt, EngineOptions.defaults())) {
 *   ...
 * }
 * }</pre>
 */
public interface Engine {

    /** The name used in settings and on the command line ({@code pytorch}, {@code onnx}). */
    String name();

    Set<Capability> capabilities();

    /**
     * The tuning knobs this engine reads from {@link EngineOptions#engineProperties()}, as
     * {@code <name()>.<option>}; loading refuses any other key under its name.
     */
    default Set<String> optionNames() {
        return Set.of();
    }

    /** The devices this engine can use on this machine, e.g. {@code [cpu, gpu:0]}. */
    List<String> devices();

    /**
     * Loads a checkpoint's base weights, frozen. The runtime keeps referring to the checkpoint's
     * mapped files, so the checkpoint must stay open while the runtime is in use.
     */
    DecoderRuntime load(Checkpoint checkpoint, EngineOptions options);
}
