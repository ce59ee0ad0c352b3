package ai.peft4j.examples.summarization;

import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * How {@code summarize eval|predict} decode: new-token limits, beams, repetition controls, the
 * prompt template, batch size and first-sentence trimming. Immutable and serializable, so a
 * distributed job (see {@code examples/spark}) ships the same settings to every worker and gets
 * the same summaries as one machine.
 *
 * <pre>{@code
 * SummaryDecoding d = SummaryDecoding.builder().optMaxNewTokens(48).optFirstSentence(true).build();
 * Summarizer s = d.summarizer(model, tokenizer, GenerationDefaults.read(modelDir).eosTokenIds());
 * }</pre>
 */
public final class SummaryDecoding implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int maxNewTokens;
    private final int minNewTokens;
    private final int numBeams;
    private final int noRepeatNgramSize;
    private final double repetitionPenalty;
    private final double lengthPenalty;
    private final boolean firstSentence;
    private final int batchSize;
    private final String template;

    private SummaryDecoding(Builder b) {
        this.maxNewTokens = b.maxNewTokens;
        this.minNewTokens = b.minNewTokens;
        this.numBeams = b.numBeams;
        this.noRepeatNgramSize = b.noRepeatNgramSize;
        this.repetitionPenalty = b.repetitionPenalty;
        this.lengthPenalty = b.lengthPenalty;
        this.firstSentence = b.firstSentence;
        this.batchSize = b.batchSize;
        this.template = b.template;
    }

    /** The command line's defaults: up to 64 new tokens, greedy, batches of 16, the competition's prompt. */
    public static SummaryDecoding defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The generation settings, with the model's EOS ids (see {@code GenerationDefaults}). */
    public GenerationConfig generationConfig(Set<Integer> eosTokenIds) {
        return GenerationConfig.builder().maxNewTokens(maxNewTokens).minNewTokens(minNewTokens).numBeams(numBeams)
                .noRepeatNgramSize(noRepeatNgramSize).repetitionPenalty(repetitionPenalty).lengthPenalty(lengthPenalty)
                .eosTokenIds(eosTokenIds).build();
    }

    /** A summarizer over the model's active adapters with these settings. */
    public Summarizer summarizer(PeftModel model, TextTokenizer tokenizer, Set<Integer> eosTokenIds) {
        return new Summarizer(model, tokenizer, generationConfig(eosTokenIds)).setBatchSize(batchSize)
                .setFirstSentenceOnly(firstSentence).setTemplate(template);
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** Documents per generation batch. */
    public int batchSize() {
        return batchSize;
    }

    public String template() {
        return template;
    }

    public boolean firstSentence() {
        return firstSentence;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SummaryDecoding d && maxNewTokens == d.maxNewTokens && minNewTokens == d.minNewTokens
                && numBeams == d.numBeams && noRepeatNgramSize == d.noRepeatNgramSize
                && Double.compare(repetitionPenalty, d.repetitionPenalty) == 0 && Double.compare(lengthPenalty, d.lengthPenalty) == 0
                && firstSentence == d.firstSentence && batchSize == d.batchSize && template.equals(d.template);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxNewTokens, minNewTokens, numBeams, noRepeatNgramSize, repetitionPenalty, lengthPenalty, firstSentence,
                batchSize, template);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "new tokens %d..%d, beams %d, no-repeat %d, repetition %g, length %g, batch %d%s, template %s",
                minNewTokens, maxNewTokens, numBeams, noRepeatNgramSize, repetitionPenalty, lengthPenalty, batchSize,
                firstSentence ? ", first sentence" : "", template);
    }

    /** Builds {@link SummaryDecoding}; every setting is optional. */
    public static final class Builder {
        private int maxNewTokens = 64;
        private int minNewTokens;
        private int numBeams = 1;
        private int noRepeatNgramSize;
        private double repetitionPenalty = 1.0;
        private double lengthPenalty = 1.0;
        private boolean firstSentence;
        private int batchSize = 16;
        private String template = Summarizer.DEFAULT_TEMPLATE;

        public Builder optMaxNewTokens(int n) {
            this.maxNewTokens = n;
            return this;
        }

        public Builder optMinNewTokens(int n) {
            this.minNewTokens = n;
            return this;
        }

        public Builder optNumBeams(int n) {
            this.numBeams = n;
            return this;
        }

        public Builder optNoRepeatNgramSize(int n) {
            this.noRepeatNgramSize = n;
            return this;
        }

        public Builder optRepetitionPenalty(double p) {
            this.repetitionPenalty = p;
            return this;
        }

        public Builder optLengthPenalty(double p) {
            this.lengthPenalty = p;
            return this;
        }

        public Builder optFirstSentence(boolean first) {
            this.firstSentence = first;
            return this;
        }

        /** Documents per generation batch (at least 1). */
        public Builder optBatchSize(int n) {
            this.batchSize = Math.max(1, n);
            return this;
        }

        /** The prompt template; must contain {@code {text}}. */
        public Builder optTemplate(String template) {
            if (!template.contains("{text}")) {
                throw new IllegalArgumentException("the prompt template must contain {text}: " + template);
            }
            this.template = template;
            return this;
        }

        public SummaryDecoding build() {
            return new SummaryDecoding(this);
        }
    }
}
