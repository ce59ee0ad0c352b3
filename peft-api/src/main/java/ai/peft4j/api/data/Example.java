package ai.peft4j.api.data;

import java.util.Objects;

/**
 * One causal-LM training example as text: the model reads {@code prompt} and learns to continue it
 * with {@code completion}. The loss covers the completion (and the EOS appended after it) only.
 *
 * <pre>{@code
 * Example e = new Example("재밌는 영화였다 한줄 요약:", " 좋은 영화");
 * }</pre>
 */
public record Example(String prompt, String completion) {
    public Example {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(completion, "completion");
    }
}
