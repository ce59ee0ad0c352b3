/** Tokenization: a facade over DJL's Hugging Face tokenizer that reads {@code tokenizer.json} offline. */
package ai.peft4j.api.tokenizer;
