package ai.peft4j.api.generate;

/**
 * What {@link Generator#generate} returns: per input row, the prompt plus new ids (as Hugging
 * Face's {@code sequences}) and the new ids alone, cut after the first EOS.
 *
 * <pre>{@code
 * GenerationResult r = generator.generate(ids, mask, config);
 * int[] firstRowNew = r.newTokens()[0];
 * }</pre>
 *
 * @param sequences {@code [b][prompt + generated]}, padded with the pad id after EOS like HF
 * @param newTokens {@code [b][n_b]} generated ids up to and including EOS, unpadded
 */
public record GenerationResult(int[][] sequences, int[][] newTokens) {}
