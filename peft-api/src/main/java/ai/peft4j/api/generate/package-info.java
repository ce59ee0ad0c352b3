/** Engine-agnostic generation: greedy, sampling and beam search with Hugging Face semantics. */
package ai.peft4j.api.generate;
