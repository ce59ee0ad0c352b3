/**
 * Training data for causal-LM fine-tuning: (prompt, completion) {@link ai.peft4j.api.data.Example}s
 * read from JSONL or CSV with a {@link ai.peft4j.api.data.PromptTemplate}, tokenized by
 * {@link ai.peft4j.api.data.CausalLmEncoder} (loss on the completion only, EOS appended, explicit
 * truncation), and batched by {@link ai.peft4j.api.data.LengthBucketBatcher} (shuffled, bucketed by
 * length, right-padded).
 *
 * <pre>{@code
 * List<Example> train = Examples.read(Path.of("train.jsonl"), "{text} 한줄 요약:", " {summary}");
 * EncodedExamples enc = CausalLmEncoder.builder(tokenizer).maxLength(512).build().encode(train);
 * }</pre>
 */
package ai.peft4j.api.data;
