/**
 * peft4j's core: the exception type and entry points. Sub-packages hold the op interface, the
 * engine and method SPIs, checkpoint loading, architectures, generation and training.
 */
package ai.peft4j.api;
