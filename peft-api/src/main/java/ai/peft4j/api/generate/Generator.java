package ai.peft4j.api.generate;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.model.HookSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Engine-agnostic text generation with Hugging Face {@code generate} semantics: KV cache, greedy,
 * sampling (temperature, top-k, top-p, seed), repetition penalty, {@code no_repeat_ngram_size},
 * beam search, min/max new tokens, EOS stopping and left-padded batches. The loop and sampling
 * run in Java; the engine only computes logits for the last position of each step.
 *
 * <pre>{@code
 * Generator gen = new Generator(runtime, hooks);
 * GenerationResult r = gen.generate(new int[][] {ids}, null, GenerationConfig.builder().maxNewTokens(16).build());
 * }</pre>
 */
public final class Generator {
    private final DecoderRuntime runtime;
    private final HookSet hooks;
    private final String[] rowAdapters;

    public Generator(DecoderRuntime runtime, HookSet hooks) {
        this(runtime, hooks, null);
    }

    /**
     * @param rowAdapters the adapter of each input row for mixed-adapter batches, or null
     */
    public Generator(DecoderRuntime runtime, HookSet hooks, String[] rowAdapters) {
        this.runtime = runtime;
        this.hooks = hooks == null ? HookSet.EMPTY : hooks;
        this.rowAdapters = rowAdapters;
    }

    /**
     * Generates continuations of left-padded prompts.
     *
     * @param inputIds {@code [b][s]}
     * @param attentionMask {@code [b][s]}, or null for all ones
     */
    public GenerationResult generate(int[][] inputIds, int[][] attentionMask, GenerationConfig config) {
        return generate(inputIds, attentionMask, config, null);
    }

    /**
     * Generates as {@link #generate(int[][], int[][], GenerationConfig)} and hands each step's new
     * tokens to {@code streamer} as soon as they are chosen, as Hugging Face's {@code streamer}
     * argument does (and, as there, not with beam search, whose tokens are final only at the end).
     *
     * <pre>{@code
     * gen.generate(ids, null, config, tokens -> System.out.print(tokenizer.decode(tokens)));
     * }</pre>
     *
     * @param streamer called once per step with one token per row (a finished row gets the pad
     *     token), or null
     */
    public GenerationResult generate(int[][] inputIds, int[][] attentionMask, GenerationConfig config, TokenStreamer streamer) {
        if (streamer != null && config.numBeams() > 1) {
            throw new Peft4jException("a token streamer cannot follow beam search (num_beams " + config.numBeams()
                    + "): its tokens are final only at the end; use greedy or sampled decoding");
        }
        if (inputIds.length == 0) {
            return new GenerationResult(new int[0][], new int[0][]);
        }
        int total = hooks.prefixLength() + inputIds[0].length + config.maxNewTokens();
        int max = runtime.config().maxPositions();
        if (total > max) {
            throw new Peft4jException("prompt of " + inputIds[0].length + " tokens" + (hooks.prefixLength() > 0
                    ? " + " + hooks.prefixLength() + " virtual tokens" : "") + " + " + config.maxNewTokens()
                    + " new tokens exceeds the model's context of " + max + " positions");
        }
        int[][] mask = attentionMask == null ? ones(inputIds) : attentionMask;
        return config.numBeams() > 1 ? beamSearch(inputIds, mask, config) : decode(inputIds, mask, config, streamer);
    }

    private static int[][] ones(int[][] ids) {
        int[][] m = new int[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            m[i] = new int[ids[i].length];
            Arrays.fill(m[i], 1);
        }
        return m;
    }

    private int pad(GenerationConfig config) {
        if (config.padTokenId() != null) {
            return config.padTokenId();
        }
        return config.eosTokenIds().isEmpty() ? 0 : config.eosTokenIds().iterator().next();
    }

    /** Greedy or sampled decoding of a batch. */
    private GenerationResult decode(int[][] inputIds, int[][] mask, GenerationConfig config, TokenStreamer streamer) {
        int b = inputIds.length;
        int s = inputIds[0].length;
        int steps = config.maxNewTokens();
        int[][] seq = new int[b][s + steps];
        int[][] fullMask = new int[b][];
        for (int i = 0; i < b; i++) {
            System.arraycopy(inputIds[i], 0, seq[i], 0, s);
        }
        boolean[] done = new boolean[b];
        int[] produced = new int[b];
        SplittableRandom rng = new SplittableRandom(config.seed());
        int len = s;
        KvCache cache = config.useCache() ? runtime.newCache() : null;
        try {
            Logits logits = null;
            int[][] curMask = mask;
            for (int step = 0; step < steps; step++) {
                if (step == 0 || cache == null) {
                    int[][] ids = slice(seq, len);
                    int[][] m = step == 0 ? mask : curMask;
                    ForwardRequest req = ForwardRequest.start(ids, m, hooks, rowAdapters, true);
                    logits = runtime.forward(req, cache);
                    for (int i = 0; i < b; i++) {
                        fullMask[i] = req.attentionMask()[i];
                    }
                }
                int[] next = new int[b];
                for (int i = 0; i < b; i++) {
                    if (done[i]) {
                        next[i] = pad(config);
                        continue;
                    }
                    float[] scores = logits.row(i, logits.positions() - 1);
                    process(scores, seq[i], len, step, config);
                    next[i] = config.doSample() ? sample(scores, config, rng) : LogitsProcessing.argmax(scores);
                    produced[i]++;
                    if (config.eosTokenIds().contains(next[i])) {
                        done[i] = true;
                    }
                }
                if (streamer != null) {
                    streamer.put(next.clone());
                }
                for (int i = 0; i < b; i++) {
                    seq[i][len] = next[i];
                    fullMask[i] = Arrays.copyOf(fullMask[i], fullMask[i].length + 1);
                    fullMask[i][fullMask[i].length - 1] = 1;
                }
                len++;
                if (allTrue(done) || step == steps - 1) {
                    break;
                }
                if (cache != null) {
                    logits = runtime.forward(ForwardRequest.next(next, fullMask, hooks, rowAdapters), cache);
                } else {
                    curMask = new int[b][];
                    for (int i = 0; i < b; i++) {
                        curMask[i] = Arrays.copyOfRange(fullMask[i], hooks.prefixLength(), fullMask[i].length);
                    }
                }
            }
        } finally {
            if (cache != null) {
                cache.close();
            }
        }
        int[][] sequences = slice(seq, len);
        int[][] newTokens = new int[b][];
        for (int i = 0; i < b; i++) {
            newTokens[i] = Arrays.copyOfRange(seq[i], s, s + produced[i]);
        }
        return new GenerationResult(sequences, newTokens);
    }

    private void process(float[] scores, int[] seq, int len, int step, GenerationConfig config) {
        LogitsProcessing.repetitionPenalty(scores, seq, len, config.repetitionPenalty());
        LogitsProcessing.noRepeatNgram(scores, seq, len, config.noRepeatNgramSize());
        if (step < config.minNewTokens()) {
            LogitsProcessing.suppress(scores, config.eosTokenIds());
        }
    }

    private static int sample(float[] scores, GenerationConfig config, SplittableRandom rng) {
        LogitsProcessing.temperature(scores, config.temperature());
        LogitsProcessing.topK(scores, config.topK());
        LogitsProcessing.topP(scores, config.topP());
        double[] p = LogitsProcessing.softmax(scores);
        double u = rng.nextDouble();
        double c = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                c += p[i];
                last = i;
                if (u < c) {
                    return i;
                }
            }
        }
        return last;
    }

    private static boolean allTrue(boolean[] a) {
        for (boolean x : a) {
            if (!x) {
                return false;
            }
        }
        return true;
    }

    private static int[][] slice(int[][] seq, int len) {
        int[][] out = new int[seq.length][];
        for (int i = 0; i < seq.length; i++) {
            out[i] = Arrays.copyOf(seq[i], len);
        }
        return out;
    }

    // ---- beam search --------------------------------------------------------------------------

    private record Hypothesis(int[] tokens, double score) {}

    /** Beam search per input row (each row decoded with its own beams), Hugging Face style. */
    private GenerationResult beamSearch(int[][] inputIds, int[][] mask, GenerationConfig config) {
        int b = inputIds.length;
        int[][] sequences = new int[b][];
        int[][] newTokens = new int[b][];
        for (int i = 0; i < b; i++) {
            // Without a soft prompt a padded row decodes exactly as the unpadded one (positions count
            // attended tokens). With one, PEFT's absolute positions count the pads, so keep them.
            boolean keepPads = hooks.prefixLength() > 0;
            int[] prompt = keepPads ? inputIds[i] : stripLeftPadding(inputIds[i], mask[i]);
            String[] rows = rowAdapters == null ? null : fill(config.numBeams(), rowAdapters[i]);
            int[] best = beamOne(prompt, keepPads ? mask[i] : null, config, rows);
            newTokens[i] = best;
            sequences[i] = new int[inputIds[i].length + best.length];
            System.arraycopy(inputIds[i], 0, sequences[i], 0, inputIds[i].length);
            System.arraycopy(best, 0, sequences[i], inputIds[i].length, best.length);
        }
        int width = Arrays.stream(sequences).mapToInt(r -> r.length).max().orElse(0);
        for (int i = 0; i < b; i++) {
            int n = sequences[i].length;
            sequences[i] = Arrays.copyOf(sequences[i], width);
            Arrays.fill(sequences[i], n, width, pad(config));
        }
        return new GenerationResult(sequences, newTokens);
    }

    private static String[] fill(int n, String v) {
        String[] a = new String[n];
        Arrays.fill(a, v);
        return a;
    }

    private static int[] stripLeftPadding(int[] ids, int[] mask) {
        int start = 0;
        while (start < ids.length - 1 && mask[start] == 0) {
            start++;
        }
        return Arrays.copyOfRange(ids, start, ids.length);
    }

    private int[] beamOne(int[] prompt, int[] promptMask, GenerationConfig config, String[] rows) {
        int k = config.numBeams();
        int s = prompt.length;
        int steps = config.maxNewTokens();
        int[][] beams = new int[k][s + steps];
        for (int[] beam : beams) {
            System.arraycopy(prompt, 0, beam, 0, s);
        }
        double[] beamScores = new double[k];
        Arrays.fill(beamScores, 1, k, -1e9); // only the first beam is live at the start, as in HF
        List<Hypothesis> finished = new ArrayList<>();
        int len = s;
        KvCache cache = runtime.newCache();
        try {
            int[][] ids = new int[k][];
            int[][] masks = promptMask == null ? null : new int[k][];
            for (int i = 0; i < k; i++) {
                ids[i] = prompt;
                if (masks != null) {
                    masks[i] = promptMask;
                }
            }
            ForwardRequest first = ForwardRequest.start(ids, masks, hooks, rows, true);
            int[][] fullMask = first.attentionMask();
            Logits logits = runtime.forward(first, cache);
            for (int step = 0; step < steps; step++) {
                int vocab = logits.vocab();
                double[] cand = new double[k * vocab];
                for (int i = 0; i < k; i++) {
                    float[] scores = logits.row(i, logits.positions() - 1);
                    process(scores, beams[i], len, step, config);
                    double[] lp = LogitsProcessing.logSoftmax(scores);
                    for (int v = 0; v < vocab; v++) {
                        cand[i * vocab + v] = lp[v] + beamScores[i];
                    }
                }
                Integer[] top = topIndices(cand, 2 * k);
                int[] nextBeam = new int[k];
                int[] nextToken = new int[k];
                double[] nextScore = new double[k];
                int filled = 0;
                for (int rank = 0; rank < top.length && filled < k; rank++) {
                    int idx = top[rank];
                    int beam = idx / vocab;
                    int token = idx % vocab;
                    if (config.eosTokenIds().contains(token)) {
                        if (rank < k) {
                            int[] tokens = Arrays.copyOfRange(beams[beam], s, len + 1);
                            tokens[tokens.length - 1] = token;
                            finished.add(new Hypothesis(tokens, cand[idx] / Math.pow(tokens.length, config.lengthPenalty())));
                        }
                        continue;
                    }
                    nextBeam[filled] = beam;
                    nextToken[filled] = token;
                    nextScore[filled] = cand[idx];
                    filled++;
                }
                int[][] reordered = new int[k][];
                for (int i = 0; i < k; i++) {
                    reordered[i] = beams[nextBeam[i]].clone();
                    reordered[i][len] = nextToken[i];
                }
                beams = reordered;
                beamScores = nextScore;
                len++;
                if (done(finished, beamScores, len - s, config) || step == steps - 1) {
                    break;
                }
                cache.reorder(nextBeam);
                int[][] nm = new int[k][];
                for (int i = 0; i < k; i++) {
                    nm[i] = Arrays.copyOf(fullMask[nextBeam[i]], fullMask[nextBeam[i]].length + 1);
                    nm[i][nm[i].length - 1] = 1;
                }
                fullMask = nm;
                logits = runtime.forward(ForwardRequest.next(nextToken, fullMask, hooks, rows), cache);
            }
        } finally {
            cache.close();
        }
        for (int i = 0; i < k; i++) {
            int[] tokens = Arrays.copyOfRange(beams[i], s, len);
            finished.add(new Hypothesis(tokens, beamScores[i] / Math.pow(Math.max(1, tokens.length), config.lengthPenalty())));
        }
        finished.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
        return finished.get(0).tokens();
    }

    private static boolean done(List<Hypothesis> finished, double[] beamScores, int generated, GenerationConfig config) {
        int k = config.numBeams();
        if (finished.size() < k) {
            return false;
        }
        if (config.earlyStopping()) {
            return true;
        }
        double worstKept = finished.stream().mapToDouble(Hypothesis::score).sorted().skip(finished.size() - k).findFirst()
                .orElse(Double.NEGATIVE_INFINITY);
        double bestRunning = Arrays.stream(beamScores).max().orElse(Double.NEGATIVE_INFINITY)
                / Math.pow(generated, config.lengthPenalty());
        return bestRunning <= worstKept;
    }

    private static Integer[] topIndices(double[] values, int n) {
        Integer[] idx = new Integer[values.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, c) -> Double.compare(values[c], values[a]));
        return Arrays.copyOf(idx, Math.min(n, idx.length));
    }
}
