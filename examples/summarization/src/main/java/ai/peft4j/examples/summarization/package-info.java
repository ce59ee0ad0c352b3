/**
 * Korean abstractive summarization: the competition's ROUGE metric over morphemes
 * ({@link ai.peft4j.examples.summarization.KoreanRouge}) and the nori-based
 * {@link ai.peft4j.examples.summarization.MorphemeTokenizer} it uses.
 *
 * <p>Data loading and the embedded synthetic dataset live in
 * {@link ai.peft4j.examples.summarization.data}.
 */
package ai.peft4j.examples.summarization;
