package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.inject.Peft4jModule;
import ai.peft4j.api.inject.Peft4jSettings;
import com.google.inject.Guice;
import com.google.inject.Injector;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The engine flags shared by every command that runs a model. They are the last layer of
 * {@link Peft4jSettings} (after defaults, the config file and {@code -Dpeft4j.*} properties), and
 * the engine is then built by Guice from the settings alone.
 *
 * <pre>{@code
 * class TrainCommand implements Callable<Integer> {
 *   @Mixin EngineFlags engineFlags;
 *   public Integer call() {
 *     Injector injector = engineFlags.injector();
 *     Engine engine = engineFlags.engine(injector);  // Engines.requireCapability(engine, TRAIN) to train
 *     ...
 *   }
 * }
 * }</pre>
 */
public final class EngineFlags {
    @Option(names = "--engine", paramLabel = "NAME", description = "Engine to run on (pytorch, onnx, ...). Default: pytorch when installed.")
    String engine;

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto (default), cpu, gpu or gpu:N.")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "Intra-op threads; 0 (default) leaves the engine's choice.")
    Integer threads;

    @Option(names = "--dtype", paramLabel = "DTYPE",
            description = "Base weights at rest: auto (default: as stored, F16 stays F16), float32 or float16. Compute is float32.")
    String dtype;

    @Option(names = "--quantize", paramLabel = "SCHEME",
            description = "Quantize the frozen linear weights on load: none (default), int8 (per output channel) or int4 "
                    + "(blocks of --quantize-block-size, ONNX Runtime's MatMulNBits layout).")
    String quantize;

    @Option(names = "--quantize-block-size", paramLabel = "N", description = "int4 block size, a power of two from 16 to 256 (default 32).")
    Integer quantizeBlockSize;

    @Option(names = "--gradient-checkpointing", description = "Training recomputes each block in the backward pass: "
            + "activation memory of one block instead of all, for about a third more compute.")
    Boolean gradientCheckpointing;

    @Option(names = "--checkpoint-blocks", paramLabel = "N",
            description = "Checkpoint only the first N blocks (0: none): less recompute than --gradient-checkpointing, "
                    + "for the activation memory of the other blocks. Settings key gradient_checkpointing=N.")
    Integer checkpointBlocks;

    @Option(names = "--engine-option", paramLabel = "ENGINE.OPTION=VALUE",
            description = "An engine's own tuning knob, repeatable, e.g. onnx.quantized_matmul=float32 (settings key "
                    + "onnx.quantized_matmul, -Dpeft4j.onnx.quantized_matmul). An engine refuses an unknown option under its name.")
    java.util.Map<String, String> engineOptions;

    @Option(names = "--settings", paramLabel = "FILE",
            description = "Settings file (.properties or .json with engine, device, threads, dtype, quantization, "
                    + "quantization_block_size, gradient_checkpointing: true, false or a block count). Also -Dpeft4j.config=FILE.")
    Path config;

    /**
     * The {@code gradient_checkpointing} value of {@code --gradient-checkpointing} ({@code all}) and
     * {@code --checkpoint-blocks N} ({@code blocks}): {@code "true"}, {@code "false"}, the count, or
     * null when neither is given; both at once is an error.
     */
    static String checkpointingValue(Boolean all, Integer blocks) {
        if (blocks == null) {
            return all == null ? null : all.toString();
        }
        if (all != null && all) {
            throw new Peft4jException("give --gradient-checkpointing (every block) or --checkpoint-blocks N, not both");
        }
        return blocks.toString();
    }

    /** Defaults, then the config file, then {@code -Dpeft4j.*}, then these flags. */
    public Peft4jSettings settings() {
        Peft4jSettings.Builder b = Peft4jSettings.resolve(config, System.getProperties()).toBuilder()
                .engine(engine).device(device).threads(threads).dtype(dtype).quantization(quantize)
                .quantizationBlockSize(quantizeBlockSize).gradientCheckpointing(gradientCheckpointing);
        b.gradientCheckpointing("--checkpoint-blocks", checkpointingValue(gradientCheckpointing, checkpointBlocks));
        if (engineOptions != null) {
            engineOptions.forEach(b::engineProperty);
        }
        return b.build();
    }

    /** The application's injector for these settings. */
    public Injector injector() {
        return Guice.createInjector(new Peft4jModule(settings()));
    }

    /** The engine the settings name (an unknown name fails listing the installed engines). */
    public Engine engine(Injector injector) {
        return injector.getInstance(Engine.class);
    }

    /** The device and threads to load with. */
    public EngineOptions options(Injector injector) {
        return injector.getInstance(EngineOptions.class);
    }

    /** Opens a model directory on the engine, device and threads these settings name. */
    public LoadedModel open(java.nio.file.Path modelDir) {
        Injector injector = injector();
        return LoadedModel.open(modelDir, engine(injector), options(injector));
    }
}
