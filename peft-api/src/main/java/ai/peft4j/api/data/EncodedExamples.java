package ai.peft4j.api.data;

import java.util.List;

/**
 * The result of {@link CausalLmEncoder#encode}: the tokenized examples and how many were
 * truncated or skipped (see {@link Truncation}).
 *
 * <pre>{@code
 * EncodedExamples enc = encoder.encode(examples);
 * if (enc.truncated() > 0) System.err.println(enc.truncated() + " prompts were truncated");
 * }</pre>
 */
public record EncodedExamples(List<TokenizedExample> examples, int truncated, int skipped) {}
