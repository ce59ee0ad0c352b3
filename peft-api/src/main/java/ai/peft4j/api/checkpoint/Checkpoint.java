package ai.peft4j.api.checkpoint;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.TensorInfo;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.Architectures;
import ai.peft4j.api.model.DecoderConfig;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A Hugging Face model directory opened for reading: {@code config.json} plus memory-mapped
 * {@code model.safetensors} or a sharded set with {@code model.safetensors.index.json}.
 *
 * <p>Weights stay in the mapped files until an engine asks for them, so opening a checkpoint
 * costs almost no Java heap. Every expected tensor is checked against the architecture's shapes
 * on open, so a wrong or truncated checkpoint fails before any computation.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoint.open(Path.of("models/tiny-llama"))) {
 *   System.out.println(ckpt.config() + ", " + ckpt.parameterCount() + " parameters");
 * }
 * }</pre>
 */
public final class Checkpoint implements AutoCloseable {
    private static final List<String> KEY_PREFIXES = List.of("transformer.", "model.", "gpt_neox.");

    private final Path directory;
    private final DecoderConfig config;
    private final Architecture architecture;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileByKey;
    private final Map<String, String> storedKey;

    private Checkpoint(Path directory, DecoderConfig config, Architecture architecture, List<SafetensorsFile> files) {
        this.directory = directory;
        this.config = config;
        this.architecture = architecture;
        this.files = files;
        Map<String, SafetensorsFile> byKey = new TreeMap<>();
        for (SafetensorsFile f : files) {
            for (String k : f.tensors().keySet()) {
                if (byKey.put(k, f) != null) {
                    throw new Peft4jException(directory + ": tensor '" + k + "' appears in more than one shard");
                }
            }
        }
        this.fileByKey = Collections.unmodifiableMap(byKey);
        this.storedKey = new LinkedHashMap<>();
        validateShapes();
    }

    /** Opens a model directory; every failure names the directory or file at fault. */
    public static Checkpoint open(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new Peft4jException(directory + ": not a directory (expected a Hugging Face model directory)");
        }
        DecoderConfig config = DecoderConfig.load(directory.resolve("config.json"));
        Architecture arch = Architectures.forConfig(config);
        List<Path> paths = safetensorsPaths(directory);
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (Path p : paths) {
                opened.add(SafetensorsFile.open(p));
            }
            return new Checkpoint(directory, config, arch, List.copyOf(opened));
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static List<Path> safetensorsPaths(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            return shardsFromIndex(dir, index);
        }
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        List<String> pickles = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt"))
                    .sorted()
                    .forEach(pickles::add);
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot list: " + e.getMessage(), e);
        }
        if (!pickles.isEmpty()) {
            throw new Peft4jException(dir + ": only PyTorch pickle weights (" + String.join(", ", pickles)
                    + "), which peft4j refuses because unpickling can run code. Convert once in Python: "
                    + "AutoModelForCausalLM.from_pretrained(dir).save_pretrained(out, safe_serialization=True)");
        }
        throw new Peft4jException(dir + ": no model.safetensors or model.safetensors.index.json");
    }

    private static List<Path> shardsFromIndex(Path dir, Path index) {
        JsonObject weightMap;
        try {
            JsonElement root = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
            weightMap = root.getAsJsonObject().getAsJsonObject("weight_map");
        } catch (IOException e) {
            throw new Peft4jException(index + ": cannot read: " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException | ClassCastException | NullPointerException e) {
            throw new Peft4jException(index + ": not a valid shard index (expected {\"weight_map\": {...}})", e);
        }
        if (weightMap == null) {
            throw new Peft4jException(index + ": no 'weight_map'");
        }
        Path root = dir.toAbsolutePath().normalize();
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
            String name = e.getValue().getAsString();
            Path resolved = root.resolve(name).normalize();
            if (name.contains("/") || name.contains("\\") || !resolved.getParent().equals(root)) {
                throw new Peft4jException(index + ": shard '" + name + "' for tensor '" + e.getKey()
                        + "' is not a plain file name inside the model directory");
            }
            if (!Files.isRegularFile(resolved)) {
                throw new Peft4jException(index + ": shard '" + name + "' (for tensor '" + e.getKey() + "') is missing");
            }
            names.add(name);
        }
        List<Path> out = new ArrayList<>();
        names.forEach(n -> out.add(root.resolve(n)));
        return out;
    }

    private void validateShapes() {
        for (Map.Entry<String, long[]> e : architecture.weightShapes(config).entrySet()) {
            String key = e.getKey();
            String stored = findStored(key);
            if (stored == null) {
                throw new Peft4jException(directory + ": " + config.modelType() + " checkpoint is missing tensor '" + key + "'");
            }
            TensorInfo info = fileByKey.get(stored).info(stored);
            if (!Arrays.equals(info.shape(), e.getValue())) {
                throw new Peft4jException(directory + ": tensor '" + key + "' has shape " + Arrays.toString(info.shape())
                        + " but config.json implies " + Arrays.toString(e.getValue()));
            }
            if (!info.dtype().isFloating()) {
                throw new Peft4jException(directory + ": tensor '" + key + "' has dtype " + info.dtype() + ", expected a float type");
            }
            storedKey.put(key, stored);
        }
        // Optional extras (an untied lm_head next to tied embeddings, for instance).
        for (String k : fileByKey.keySet()) {
            storedKey.putIfAbsent(k, k);
        }
    }

    private String findStored(String key) {
        if (fileByKey.containsKey(key)) {
            return key;
        }
        // Older GPT-2 checkpoints drop the "transformer." prefix, for example.
        for (String prefix : KEY_PREFIXES) {
            if (key.startsWith(prefix) && fileByKey.containsKey(key.substring(prefix.length()))) {
                return key.substring(prefix.length());
            }
        }
        return null;
    }

    public Path directory() {
        return directory;
    }

    public DecoderConfig config() {
        return config;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** The canonical keys of every tensor (architecture keys plus any extras in the files). */
    public List<String> keys() {
        return List.copyOf(storedKey.keySet());
    }

    public boolean contains(String key) {
        return storedKey.containsKey(key);
    }

    /** Shape, dtype and location of a tensor by its canonical key. */
    public TensorInfo info(String key) {
        return file(key).info(stored(key));
    }

    /** The file that holds a tensor, for engines that reference weights in place. */
    public SafetensorsFile file(String key) {
        return fileByKey.get(stored(key));
    }

    /** A direct float32 buffer of the tensor: the mapped bytes for F32, widened off-heap otherwise. */
    public ByteBuffer float32(String key) {
        return file(key).readFloat32Direct(stored(key));
    }

    /** A heap copy of a tensor; for small tensors only. */
    public HostTensor readHost(String key) {
        return file(key).readHost(stored(key));
    }

    private String stored(String key) {
        String s = storedKey.get(key);
        if (s == null) {
            throw new Peft4jException(directory + ": no tensor '" + key + "'");
        }
        return s;
    }

    /** The number of parameters in the architecture's weights (tied weights counted once). */
    public long parameterCount() {
        long n = 0;
        for (long[] shape : architecture.weightShapes(config).values()) {
            long p = 1;
            for (long d : shape) {
                p *= d;
            }
            n += p;
        }
        return n;
    }

    /** The {@code tokenizer.json} of the directory, if present. */
    public Optional<Path> tokenizerFile() {
        Path p = directory.resolve("tokenizer.json");
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
