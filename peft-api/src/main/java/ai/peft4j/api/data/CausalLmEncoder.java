package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenizes (prompt, completion) examples for causal-LM fine-tuning, as Hugging Face's usual
 * recipe does: {@code ids = prompt_ids + completion_ids + EOS} and {@code labels} equal to ids
 * with -100 over the prompt, so the loss covers the completion and the EOS only. The prompt is
 * encoded with the tokenizer's special tokens (a Llama BOS, for instance), the completion without.
 *
 * <p>Examples longer than {@link Builder#maxLength} follow the {@link Truncation} policy; nothing
 * is cut silently.
 *
 * <pre>{@code
 * CausalLmEncoder enc = CausalLmEncoder.builder(tokenizer).eosTokenId(1249).maxLength(256).build();
 * EncodedExamples data = enc.encode(List.of(new Example("좋은 영화 한줄 요약:", " 좋다")));
 * }</pre>
 */
public final class CausalLmEncoder {
    private static final Logger LOG = LoggerFactory.getLogger(CausalLmEncoder.class);

    private final Function<String, int[]> promptEncoder;
    private final Function<String, int[]> completionEncoder;
    private final int eosTokenId;
    private final int maxLength;
    private final Truncation truncation;

    private CausalLmEncoder(Builder b) {
        this.promptEncoder = b.promptEncoder;
        this.completionEncoder = b.completionEncoder;
        this.eosTokenId = b.eosTokenId;
        this.maxLength = b.maxLength;
        this.truncation = b.truncation;
    }

    /** An encoder over a model's tokenizer; set the EOS id ({@code config.json}'s eos_token_id). */
    public static Builder builder(TextTokenizer tokenizer) {
        return new Builder(t -> tokenizer.encode(t, true), t -> tokenizer.encode(t, false));
    }

    /** An encoder over any text-to-ids functions (for tests and custom tokenizers). */
    public static Builder builder(Function<String, int[]> promptEncoder, Function<String, int[]> completionEncoder) {
        return new Builder(promptEncoder, completionEncoder);
    }

    public EncodedExamples encode(List<Example> examples) {
        List<TokenizedExample> out = new ArrayList<>(examples.size());
        int truncated = 0;
        int skipped = 0;
        for (int i = 0; i < examples.size(); i++) {
            Example ex = examples.get(i);
            int[] prompt = promptEncoder.apply(ex.prompt());
            int[] completion = completionEncoder.apply(ex.completion());
            int total = prompt.length + completion.length + 1;
            if (total > maxLength) {
                int room = maxLength - completion.length - 1;
                String what = "example " + i + " has " + total + " tokens (prompt " + prompt.length + ", completion "
                        + completion.length + " + EOS) but max length is " + maxLength;
                if (truncation == Truncation.ERROR) {
                    throw new Peft4jException(what + "; shorten it, raise the max length, or truncate the prompt from the left");
                }
                // Name the first few examples; the summary below counts them all.
                boolean detail = truncated + skipped < 3;
                if (room < 1) {
                    if (detail) {
                        LOG.warn("{}; the completion alone does not fit, so the example is skipped", what);
                    }
                    skipped++;
                    continue;
                }
                if (detail) {
                    LOG.warn("{}; the prompt is cut from the left to {} tokens", what, room);
                }
                prompt = Arrays.copyOfRange(prompt, prompt.length - room, prompt.length);
                truncated++;
            }
            out.add(build(prompt, completion));
        }
        if (truncated + skipped > 0) {
            LOG.warn("{} of {} examples were too long: {} prompts truncated from the left, {} skipped", truncated + skipped,
                    examples.size(), truncated, skipped);
        }
        return new EncodedExamples(List.copyOf(out), truncated, skipped);
    }

    private TokenizedExample build(int[] prompt, int[] completion) {
        int n = prompt.length + completion.length + 1;
        int[] ids = new int[n];
        int[] labels = new int[n];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        Arrays.fill(labels, 0, prompt.length, TrainBatch.IGNORE);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        System.arraycopy(completion, 0, labels, prompt.length, completion.length);
        ids[n - 1] = eosTokenId;
        labels[n - 1] = eosTokenId;
        return new TokenizedExample(ids, labels);
    }

    /** Builds a {@link CausalLmEncoder}. */
    public static final class Builder {
        private final Function<String, int[]> promptEncoder;
        private final Function<String, int[]> completionEncoder;
        private int eosTokenId = -1;
        private int maxLength = 1024;
        private Truncation truncation = Truncation.TRUNCATE_PROMPT_LEFT;

        private Builder(Function<String, int[]> promptEncoder, Function<String, int[]> completionEncoder) {
            this.promptEncoder = promptEncoder;
            this.completionEncoder = completionEncoder;
        }

        /** The id appended after every completion (required). */
        public Builder eosTokenId(int id) {
            this.eosTokenId = id;
            return this;
        }

        /** The longest sequence, prompt + completion + EOS (default 1024; at most the model's context). */
        public Builder maxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        public Builder truncation(Truncation truncation) {
            this.truncation = truncation;
            return this;
        }

        public CausalLmEncoder build() {
            if (eosTokenId < 0) {
                throw new Peft4jException("CausalLmEncoder: set eosTokenId (the model's eos_token_id)");
            }
            if (maxLength < 2) {
                throw new Peft4jException("CausalLmEncoder: maxLength must be at least 2, got " + maxLength);
            }
            return new CausalLmEncoder(this);
        }
    }
}
