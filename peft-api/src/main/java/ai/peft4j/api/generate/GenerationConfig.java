package ai.peft4j.api.generate;

import ai.peft4j.api.Peft4jException;
import java.util.Set;

/**
 * Decoding settings, with Hugging Face {@code generate} names and defaults (greedy, 20 new tokens).
 * Build with {@link #builder()}; the builder validates on {@link Builder#build()}.
 *
 * <pre>{@code
 * GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(16).build();
 * GenerationConfig beam = GenerationConfig.builder().numBeams(4).noRepeatNgramSize(3).build();
 * GenerationConfig sample = GenerationConfig.builder().doSample(true).temperature(0.8).topP(0.9).seed(7).build();
 * }</pre>
 */
public record GenerationConfig(int maxNewTokens, int minNewTokens, boolean doSample, double temperature, int topK,
        double topP, long seed, double repetitionPenalty, int noRepeatNgramSize, int numBeams, double lengthPenalty,
        boolean earlyStopping, Set<Integer> eosTokenIds, Integer padTokenId, boolean useCache) {

    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.minNewTokens = minNewTokens;
        b.doSample = doSample;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.seed = seed;
        b.repetitionPenalty = repetitionPenalty;
        b.noRepeatNgramSize = noRepeatNgramSize;
        b.numBeams = numBeams;
        b.lengthPenalty = lengthPenalty;
        b.earlyStopping = earlyStopping;
        b.eosTokenIds = eosTokenIds;
        b.padTokenId = padTokenId;
        b.useCache = useCache;
        return b;
    }

    /** Builds a {@link GenerationConfig}. */
    public static final class Builder {
        private int maxNewTokens = 20;
        private int minNewTokens;
        private boolean doSample;
        private double temperature = 1.0;
        private int topK = 50;
        private double topP = 1.0;
        private long seed = 42;
        private double repetitionPenalty = 1.0;
        private int noRepeatNgramSize;
        private int numBeams = 1;
        private double lengthPenalty = 1.0;
        private boolean earlyStopping;
        private Set<Integer> eosTokenIds = Set.of();
        private Integer padTokenId;
        private boolean useCache = true;

        public Builder maxNewTokens(int v) {
            maxNewTokens = v;
            return this;
        }

        public Builder minNewTokens(int v) {
            minNewTokens = v;
            return this;
        }

        public Builder doSample(boolean v) {
            doSample = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        /** Keeps the k most likely tokens when sampling; 0 disables. */
        public Builder topK(int v) {
            topK = v;
            return this;
        }

        public Builder topP(double v) {
            topP = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder repetitionPenalty(double v) {
            repetitionPenalty = v;
            return this;
        }

        public Builder noRepeatNgramSize(int v) {
            noRepeatNgramSize = v;
            return this;
        }

        public Builder numBeams(int v) {
            numBeams = v;
            return this;
        }

        public Builder lengthPenalty(double v) {
            lengthPenalty = v;
            return this;
        }

        public Builder earlyStopping(boolean v) {
            earlyStopping = v;
            return this;
        }

        public Builder eosTokenIds(Set<Integer> v) {
            eosTokenIds = Set.copyOf(v);
            return this;
        }

        public Builder eosTokenId(int v) {
            eosTokenIds = Set.of(v);
            return this;
        }

        public Builder padTokenId(Integer v) {
            padTokenId = v;
            return this;
        }

        /** Whether to decode with a KV cache (default) or re-run the whole sequence each step. */
        public Builder useCache(boolean v) {
            useCache = v;
            return this;
        }

        public GenerationConfig build() {
            if (maxNewTokens < 0 || minNewTokens < 0 || minNewTokens > maxNewTokens) {
                throw new Peft4jException("need 0 <= min_new_tokens <= max_new_tokens, got " + minNewTokens + " and " + maxNewTokens);
            }
            if (doSample && !(temperature > 0)) {
                throw new Peft4jException("temperature must be > 0 when sampling, got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new Peft4jException("top_p must be in (0, 1], got " + topP);
            }
            if (topK < 0) {
                throw new Peft4jException("top_k must be >= 0, got " + topK);
            }
            if (!(repetitionPenalty > 0)) {
                throw new Peft4jException("repetition_penalty must be > 0, got " + repetitionPenalty);
            }
            if (noRepeatNgramSize < 0) {
                throw new Peft4jException("no_repeat_ngram_size must be >= 0, got " + noRepeatNgramSize);
            }
            if (numBeams < 1) {
                throw new Peft4jException("num_beams must be >= 1, got " + numBeams);
            }
            if (numBeams > 1 && doSample) {
                throw new Peft4jException("beam sampling is not supported: use num_beams > 1 or do_sample, not both");
            }
            return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, seed,
                    repetitionPenalty, noRepeatNgramSize, numBeams, lengthPenalty, earlyStopping, eosTokenIds, padTokenId,
                    useCache);
        }
    }
}
