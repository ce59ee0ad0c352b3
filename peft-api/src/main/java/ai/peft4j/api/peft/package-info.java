/**
 * {@link ai.peft4j.api.peft.PeftModel}: a base decoder with named adapters, in Hugging Face PEFT's
 * file format. Merge bookkeeping (which adapters are merged into which base tensors) is kept here,
 * once for every method, as PEFT keeps {@code merged_adapters}; methods only compute merged and
 * unmerged values.
 */
package ai.peft4j.api.peft;
