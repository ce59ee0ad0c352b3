/**
 * The recipe for the demo's embedded Korean base model: a byte-level BPE tokenizer trainer and
 * the pretraining command built on the shared trainer and the {@code full} method.
 */
package ai.peft4j.examples.pretrain;
