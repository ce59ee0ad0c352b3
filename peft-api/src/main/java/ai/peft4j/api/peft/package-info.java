/**
 * {@link ai.peft4j.api.peft.PeftModel}: a base decoder with named adapters, in Hugging Face PEFT's
 * file format.
 */
package ai.peft4j.api.peft;
