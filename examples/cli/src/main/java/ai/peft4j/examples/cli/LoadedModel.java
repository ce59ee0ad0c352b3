package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model directory opened for the command line: the checkpoint, its decoder loaded on an engine,
 * and the tokenizer when the directory has a {@code tokenizer.json}. Closes all three.
 *
 * <pre>{@code
 * try (LoadedModel m = LoadedModel.open(dir, engine, options)) {
 *   int[] ids = m.encode("Once upon a time");
 *   Logits logits = m.runtime().forward(...);
 * }
 * }</pre>
 */
public final class LoadedModel implements AutoCloseable {
    private final Checkpoint checkpoint;
    private final DecoderRuntime runtime;
    private final TextTokenizer tokenizer;
    private final PeftModel model;

    private LoadedModel(Checkpoint checkpoint, DecoderRuntime runtime, TextTokenizer tokenizer) {
        this.checkpoint = checkpoint;
        this.runtime = runtime;
        this.tokenizer = tokenizer;
        this.model = PeftModel.of(runtime);
    }

    /** Opens {@code dir}, validating it fully before any weights reach the engine. */
    public static LoadedModel open(Path dir, Engine engine, EngineOptions options) {
        Engines.requireCapability(engine, Capability.INFER);
        if (!Files.exists(dir)) {
            throw new Peft4jException(dir + ": no such directory");
        }
        Checkpoint ckpt = Checkpoint.open(dir);
        TextTokenizer tok = null;
        try {
            tok = ckpt.tokenizerFile().isPresent() ? TextTokenizer.load(dir) : null;
            DecoderRuntime rt = engine.load(ckpt, options);
            return new LoadedModel(ckpt, rt, tok);
        } catch (RuntimeException e) {
            if (tok != null) {
                tok.close();
            }
            ckpt.close();
            throw e;
        }
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    public DecoderRuntime runtime() {
        return runtime;
    }

    /** The runtime wrapped for adapters (closed with this object). */
    public PeftModel model() {
        return model;
    }

    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** Encodes text with the model's tokenizer (special tokens as Hugging Face adds them). */
    public int[] encode(String text) {
        if (tokenizer == null) {
            throw new Peft4jException(checkpoint.directory() + ": no tokenizer.json, so text cannot be encoded; pass --input-ids");
        }
        int[] ids = tokenizer.encode(text);
        if (ids.length == 0) {
            throw new Peft4jException("the text encodes to no tokens");
        }
        return ids;
    }

    /** Decodes ids, skipping special tokens, or null without a tokenizer. */
    public String decode(int[] ids) {
        return tokenizer == null ? null : tokenizer.decode(ids, true);
    }

    /** Rejects empty input and ids outside the vocabulary, which would otherwise fail inside the engine. */
    public void checkIds(int[] ids) {
        if (ids == null || ids.length == 0) {
            throw new Peft4jException("no input tokens");
        }
        int vocab = checkpoint.config().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new Peft4jException("token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
    }

    @Override
    public void close() {
        try {
            model.close();
        } finally {
            try {
                if (tokenizer != null) {
                    tokenizer.close();
                }
            } finally {
                checkpoint.close();
            }
        }
    }
}
