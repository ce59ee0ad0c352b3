package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.tokenizer.TextTokenizer;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prompt-tuning plugin ({@code PROMPT_TUNING}, {@code prompt-tuning}): creates
 * {@link PromptTuningAdapter}s initialised as PEFT's {@code PromptEmbedding} does.
 *
 * <pre>{@code
 * PeftMethod pt = PeftMethods.byName("prompt-tuning");
 * PeftConfig cfg = pt.parseConfig(JsonParser.parseString("{\"num_virtual_tokens\": 8}").getAsJsonObject(), "cli");
 * model.addAdapter("default", cfg);
 * }</pre>
 */
public final class PromptTuningMethod implements PeftMethod {
    private static final Logger LOG = LoggerFactory.getLogger(PromptTuningMethod.class);

    @Override
    public String peftType() {
        return PromptTuningConfig.PEFT_TYPE;
    }

    @Override
    public String name() {
        return "prompt-tuning";
    }

    @Override
    public PromptTuningConfig parseConfig(JsonObject json, String source) {
        return PromptTuningConfig.fromJson(json, source);
    }

    @Override
    public Adapter create(String adapterName, PeftConfig config, AdapterContext context) {
        if (!(config instanceof PromptTuningConfig cfg)) {
            throw new Peft4jException("prompt tuning needs a PromptTuningConfig, got " + config.getClass().getName()
                    + " (peft_type " + config.peftType() + ")");
        }
        PromptTuningConfig resolved = resolve(cfg, context);
        HostTensor prompt = initialPrompt(resolved, context);
        String key = AdapterContext.storeKey(adapterName, PromptTuningAdapter.STATE_KEY);
        context.store().put(key, prompt, true);
        return new PromptTuningAdapter(adapterName, resolved, key, context.config().hiddenSize());
    }

    /** Fills what PEFT's {@code _prepare_prompt_learning_config} fills, and checks the rest fits. */
    static PromptTuningConfig resolve(PromptTuningConfig cfg, AdapterContext context) {
        return cfg.filledFrom(context);
    }

    // ---- initialisation -----------------------------------------------------------------------

    /**
     * The initial {@code [num_virtual_tokens, hidden]} prompt. Like PEFT, an inference-mode config
     * (about to be overwritten by saved weights) gets the plain random init.
     */
    static HostTensor initialPrompt(PromptTuningConfig cfg, AdapterContext context) {
        int n = cfg.numVirtualTokens();
        int hidden = context.config().hiddenSize();
        SplittableRandom rnd = context.random();
        AdapterContext.checkFitsInHeap((long) n * hidden, "a soft prompt of num_virtual_tokens = " + n);
        if (cfg.inferenceMode() || cfg.init() == PromptTuningInit.RANDOM) {
            HostTensor prompt = HostTensor.zeros(n, hidden);
            float[] d = prompt.data();
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) rnd.nextGaussian(); // torch.nn.Embedding's default init, N(0, 1)
            }
            return prompt;
        }
        HostTensor table = context.store().get(context.architecture().embeddingKey(context.config()));
        int vocab = (int) table.shape()[0];
        int[] ids;
        if (cfg.init() == PromptTuningInit.SAMPLE_VOCAB) {
            ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = rnd.nextInt(vocab);
            }
        } else {
            ids = fitToLength(encodeInitText(cfg, context), n, cfg.initText());
        }
        return embeddingRows(table, ids);
    }

    /** PEFT's rule: truncate to {@code n} ids, or repeat the whole list until it reaches {@code n}. */
    static int[] fitToLength(int[] ids, int n, String text) {
        if (ids.length == 0) {
            throw new Peft4jException("prompt_tuning_init_text '" + text + "' tokenizes to no tokens; TEXT init needs at least one");
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = ids[i % ids.length];
        }
        return out;
    }

    private static HostTensor embeddingRows(HostTensor table, int[] ids) {
        int vocab = (int) table.shape()[0];
        int hidden = (int) table.shape()[1];
        float[] d = new float[ids.length * hidden];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new Peft4jException("prompt-tuning init token id " + ids[i] + " is outside the base model's embedding table ("
                        + vocab + " rows); does the tokenizer belong to this model?");
            }
            System.arraycopy(table.data(), ids[i] * hidden, d, i * hidden, hidden);
        }
        return new HostTensor(new long[] {ids.length, hidden}, d);
    }

    /** Tokenizes the init text as PEFT does ({@code tokenizer(text)["input_ids"]}, special tokens added). */
    static int[] encodeInitText(PromptTuningConfig cfg, AdapterContext context) {
        if (cfg.tokenizerKwargs() != null && !cfg.tokenizerKwargs().isEmpty()) {
            LOG.warn("tokenizer_kwargs {} are recorded for PEFT but not used: peft4j reads tokenizer.json as it is",
                    cfg.tokenizerKwargs());
        }
        Path own = findTokenizer(cfg.tokenizerNameOrPath(), context);
        if (own == null) {
            LOG.info("prompt_tuning_init_text is tokenized with the base model's tokenizer ({})", context.modelDirectory());
            return context.tokenizer().encode(cfg.initText(), true);
        }
        LOG.info("prompt_tuning_init_text is tokenized with {} (tokenizer_name_or_path '{}')", own, cfg.tokenizerNameOrPath());
        try (TextTokenizer tok = TextTokenizer.load(own)) {
            return tok.encode(cfg.initText(), true);
        }
    }

    /**
     * A local tokenizer other than the base model's, or null for the base model's. PEFT passes the
     * name to {@code AutoTokenizer}; here it must be a local directory (holding
     * {@code tokenizer.json}) or file, as given or next to the base model's directory. Anything else
     * is refused rather than replaced by the base model's tokenizer, which would tokenize the init
     * text differently from PEFT.
     */
    private static Path findTokenizer(String nameOrPath, AdapterContext context) {
        Path base = context.modelDirectory().toAbsolutePath().normalize();
        if (nameOrPath == null || nameOrPath.isBlank() || nameOrPath.equals(PromptLearning.baseName(context))) {
            return null;
        }
        List<Path> candidates = new ArrayList<>();
        try {
            Path p = Path.of(nameOrPath);
            candidates.add(p);
            if (!p.isAbsolute() && base.getParent() != null) {
                candidates.add(base.getParent().resolve(p));
            }
        } catch (InvalidPathException e) {
            // not a path: a Hub id, handled below
        }
        for (Path c : candidates) {
            Path abs = c.toAbsolutePath().normalize();
            if (abs.equals(base)) {
                return null;
            }
            if (Files.isRegularFile(abs) || Files.isRegularFile(abs.resolve("tokenizer.json"))) {
                return abs;
            }
        }
        // PEFT would load this name with AutoTokenizer; another tokenizer would give other ids, so refuse
        throw new Peft4jException("prompt_tuning_init_text needs the tokenizer named by tokenizer_name_or_path '" + nameOrPath
                + "', which is not a local tokenizer (tried " + Arrays.toString(candidates.toArray()) + "; peft4j reads no Hub ids). "
                + "Download it and give its directory, or leave tokenizer_name_or_path unset (or set it to the base model, "
                + base.getFileName() + ") to use the base model's tokenizer");
    }
}
