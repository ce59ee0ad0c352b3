package ai.peft4j.api.peft;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.RawTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.io.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a runtime's current base weights, merges included, as a Hugging Face model directory:
 * {@code model.safetensors} (each tensor in its original dtype), {@code config.json},
 * {@code generation_config.json} and the tokenizer files copied from the source directory. It
 * loads back with {@link Checkpoint#open} and in transformers' {@code from_pretrained}.
 *
 * <p>Weights a merge replaced come from the parameter store; every other tensor is streamed from
 * the checkpoint's mapped files, so only the replaced weights are ever on the Java heap.
 *
 * <pre>{@code
 * model.mergeAndUnload(true);
 * MergedModelWriter.write(model.runtime(), outDir);
 * }</pre>
 */
public final class MergedModelWriter {
    /** The weights file written (one file; Hugging Face loads it unsharded). */
    public static final String WEIGHTS = "model.safetensors";

    /** Non-weight files of a model directory copied when present. */
    static final List<String> COPIED_FILES = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt",
            "vocab.txt", "tokenizer.model", "spiece.model", "chat_template.jinja", "chat_template.json");

    private MergedModelWriter() {}

    /**
     * Writes {@code runtime}'s weights to {@code dir} (created if needed). Each file is written
     * atomically, weights first. The source model directory itself is refused.
     */
    public static void write(DecoderRuntime runtime, Path dir) {
        Checkpoint ckpt = runtime.checkpoint();
        Path source = ckpt.directory();
        try {
            Files.createDirectories(dir);
            if (Files.isSameFile(source, dir)) {
                throw new Peft4jException(dir + ": is the base model's own directory; write the merged model elsewhere");
            }
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot create directory: " + e.getMessage(), e);
        }
        ParameterStore store = runtime.parameters();
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        Set<String> written = new HashSet<>();
        for (String key : ckpt.keys()) {
            SafetensorsFile file = ckpt.file(key);
            TensorInfo info = ckpt.info(key);
            // Older checkpoints store some keys without their prefix; each stored tensor is written once.
            if (!written.add(file.path() + "\u0000" + info.name())) {
                continue;
            }
            if (store.isBaseReplaced(key)) {
                DType dtype = isFloatWritable(info.dtype()) ? info.dtype() : DType.F32;
                tensors.put(key, RawTensor.of(store.get(key), dtype));
            } else {
                tensors.put(key, new RawTensor(info.dtype(), info.shape(), file.rawBuffer(info.name())));
            }
        }
        SafetensorsWriter.writeRaw(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        try {
            // A stale shard index would make loaders ignore the file just written.
            Files.deleteIfExists(dir.resolve("model.safetensors.index.json"));
        } catch (IOException e) {
            throw new Peft4jException(dir.resolve("model.safetensors.index.json") + ": cannot delete stale index: " + e, e);
        }
        for (String name : COPIED_FILES) {
            Path from = source.resolve(name);
            if (Files.isRegularFile(from)) {
                try {
                    byte[] bytes = Files.readAllBytes(from);
                    AtomicFiles.write(dir.resolve(name), out -> out.write(bytes));
                } catch (IOException e) {
                    throw new Peft4jException(from + ": cannot read: " + e.getMessage(), e);
                }
            }
        }
    }

    private static boolean isFloatWritable(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16;
    }
}
