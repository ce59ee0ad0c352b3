package ai.peft4j.api.engine;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.HookSet;

/**
 * One forward through a {@link DecoderRuntime}: the new token ids, the attention mask over every
 * position the model sees (cached, soft-prompt and new), the positions of the new tokens, and the
 * hooks of the active adapters.
 *
 * <p>Use {@link #start} for the first forward of a sequence and {@link #next} for each decoding
 * step; they derive the mask and positions the way Hugging Face {@code generate} does (positions
 * count attended tokens; with a soft prompt, PEFT's absolute positions are used instead).
 *
 * <p>The constructor checks the request's own shapes; {@link #validate} checks it against a model
 * and a cache, which every engine does first, so a bad request fails with the same message on
 * every engine.
 *
 * <pre>{@code
 * ForwardRequest req = ForwardRequest.start(ids, mask, hooks, null, false);
 * Logits logits = runtime.forward(req, cache);
 * }</pre>
 */
public final class ForwardRequest {
    private final int[][] inputIds;
    private final int[][] attentionMask;
    private final int[][] positionIds;
    private final HookSet hooks;
    private final boolean startsSequence;
    private final String[] rowAdapters;
    private final boolean lastPositionOnly;

    /**
     * @param inputIds {@code [b][s]} new token ids
     * @param attentionMask {@code [b][past + prefix + s]} with 1 for tokens to attend
     * @param positionIds {@code [b][prefix + s]} position of each new position, soft-prompt ones included
     * @param startsSequence whether input hooks (soft prompts) are applied
     * @param rowAdapters the adapter of each row for mixed batches, or null
     * @param lastPositionOnly compute logits for the last position only (decoding)
     */
    public ForwardRequest(int[][] inputIds, int[][] attentionMask, int[][] positionIds, HookSet hooks,
            boolean startsSequence, String[] rowAdapters, boolean lastPositionOnly) {
        if (inputIds.length == 0 || inputIds[0].length == 0) {
            throw new Peft4jException("empty input: at least one token is needed");
        }
        int b = inputIds.length;
        int s = inputIds[0].length;
        for (int i = 0; i < b; i++) {
            if (inputIds[i].length != s || positionIds[i].length != positionIds[0].length
                    || attentionMask[i].length != attentionMask[0].length) {
                throw new Peft4jException("ragged batch: pad every row to the same length (left padding) with an attention mask");
            }
        }
        if (attentionMask.length != b || positionIds.length != b || (rowAdapters != null && rowAdapters.length != b)) {
            throw new Peft4jException("batch size mismatch between ids, mask, positions and row adapters");
        }
        this.inputIds = inputIds;
        this.attentionMask = attentionMask;
        this.positionIds = positionIds;
        this.hooks = hooks == null ? HookSet.EMPTY : hooks;
        this.startsSequence = startsSequence;
        this.rowAdapters = rowAdapters;
        this.lastPositionOnly = lastPositionOnly;
    }

    /**
     * The first forward of a (left-padded) batch: prepends the hooks' soft-prompt positions to the
     * mask and derives positions.
     */
    public static ForwardRequest start(int[][] inputIds, int[][] attentionMask, HookSet hooks, String[] rowAdapters,
            boolean lastPositionOnly) {
        HookSet h = hooks == null ? HookSet.EMPTY : hooks;
        int prefix = h.prefixLength();
        int b = inputIds.length;
        int s = inputIds[0].length;
        int[][] mask = new int[b][prefix + s];
        int[][] pos = new int[b][prefix + s];
        for (int i = 0; i < b; i++) {
            int[] m = attentionMask == null ? null : attentionMask[i];
            if (m != null && m.length != s) {
                throw new Peft4jException("attention mask row " + i + " has " + m.length + " entries for " + s + " tokens");
            }
            for (int j = 0; j < prefix; j++) {
                mask[i][j] = 1;
                pos[i][j] = j;
            }
            int seen = 0;
            for (int j = 0; j < s; j++) {
                int mj = m == null ? 1 : m[j];
                mask[i][prefix + j] = mj;
                if (prefix > 0) {
                    pos[i][prefix + j] = prefix + j; // PEFT drops position ids under a soft prompt
                } else {
                    seen += mj;
                    pos[i][j] = mj == 0 ? 1 : seen - 1; // HF: cumsum(mask) - 1, pads at 1
                }
            }
        }
        return new ForwardRequest(inputIds, mask, pos, h, true, rowAdapters, lastPositionOnly);
    }

    /** A decoding step of one new token per row after {@code previous} positions in the cache. */
    public static ForwardRequest next(int[] tokens, int[][] fullMask, HookSet hooks, String[] rowAdapters) {
        HookSet h = hooks == null ? HookSet.EMPTY : hooks;
        int b = tokens.length;
        int[][] ids = new int[b][1];
        int[][] pos = new int[b][1];
        for (int i = 0; i < b; i++) {
            ids[i][0] = tokens[i];
            int[] m = fullMask[i];
            if (h.prefixLength() > 0) {
                pos[i][0] = m.length - 1;
            } else {
                int seen = 0;
                for (int v : m) {
                    seen += v;
                }
                pos[i][0] = seen - 1;
            }
        }
        return new ForwardRequest(ids, fullMask, pos, h, false, rowAdapters, true);
    }

    public int[][] inputIds() {
        return inputIds;
    }

    public int[][] attentionMask() {
        return attentionMask;
    }

    public int[][] positionIds() {
        return positionIds;
    }

    public HookSet hooks() {
        return hooks;
    }

    public boolean startsSequence() {
        return startsSequence;
    }

    public String[] rowAdapters() {
        return rowAdapters;
    }

    public boolean lastPositionOnly() {
        return lastPositionOnly;
    }

    public int batch() {
        return inputIds.length;
    }

    public int length() {
        return inputIds[0].length;
    }

    /**
     * Checks this request against the runtime's model and the cache it is to run with, before an
     * engine does anything with it, and returns the cache as the engine's own type. In order:
     * the cache is the engine's ({@code cacheType}); a decoding step has a cache; every token id is
     * in the vocabulary; the positions seen (cached + soft-prompt + new) fit the model's context and
     * sliding window; the mask covers exactly those; the position ids cover the soft-prompt and new
     * positions and lie inside the context; the cache holds as many rows as the request.
     *
     * <pre>{@code
     * PtKvCache cache = request.validate(this, kvCache, PtKvCache.class);  // inside an engine's forward
     * }</pre>
     *
     * @param cache the cache, or null for a forward without one
     * @throws Peft4jException naming the first thing that is wrong
     */
    public <C extends KvCache> C validate(DecoderRuntime runtime, KvCache cache, Class<C> cacheType) {
        if (cache != null && !cacheType.isInstance(cache)) {
            throw new Peft4jException("the " + runtime.engine().name() + " engine needs its own cache (runtime.newCache()), got "
                    + cache.getClass().getName());
        }
        if (cache == null && !startsSequence) {
            throw new Peft4jException("a decoding step needs the cache of the forward that started the sequence");
        }
        DecoderConfig cfg = runtime.config();
        int vocab = cfg.vocabSize();
        for (int i = 0; i < inputIds.length; i++) {
            for (int j = 0; j < inputIds[i].length; j++) {
                int id = inputIds[i][j];
                if (id < 0 || id >= vocab) {
                    throw new Peft4jException("token id " + id + " (row " + i + ", position " + j + ") is outside the vocabulary (0.."
                            + (vocab - 1) + ")");
                }
            }
        }
        int total = attentionMask[0].length;
        if (total > cfg.maxPositions()) {
            throw new Peft4jException("sequence of " + total + " positions exceeds the model's context of " + cfg.maxPositions()
                    + " (max_position_embeddings); shorten the prompt or max new tokens");
        }
        if (cfg.slidingWindow() > 0 && total > cfg.slidingWindow()) {
            throw new Peft4jException("sequence of " + total + " positions exceeds the model's sliding window of "
                    + cfg.slidingWindow() + "; sliding-window attention beyond the window is not implemented yet");
        }
        int past = cache == null ? 0 : cache.length();
        int fresh = positionIds[0].length;
        if (past + fresh != total) {
            throw new Peft4jException("attention mask has " + total + " positions; cache " + past + " + new " + fresh + " expected");
        }
        int prefix = startsSequence ? hooks.prefixLength() : 0;
        if (fresh != length() + prefix) {
            throw new Peft4jException("position ids cover " + fresh + " positions but the request has " + length() + " tokens"
                    + (prefix > 0 ? " + " + prefix + " virtual tokens" : ""));
        }
        for (int i = 0; i < positionIds.length; i++) {
            for (int p : positionIds[i]) {
                if (p < 0 || p >= cfg.maxPositions()) {
                    throw new Peft4jException("position id " + p + " (row " + i + ") is outside the model's context (0.."
                            + (cfg.maxPositions() - 1) + ")");
                }
            }
        }
        if (cache != null && cache.batch() >= 0 && cache.batch() != batch()) {
            throw new Peft4jException("the cache holds " + cache.batch() + " rows but the request has " + batch());
        }
        return cacheType.cast(cache);
    }
}
