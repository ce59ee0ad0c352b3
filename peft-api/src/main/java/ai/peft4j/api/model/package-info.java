/**
 * Decoder architectures and how adapters hook them: {@link ai.peft4j.api.model.Architecture},
 * {@link ai.peft4j.api.model.DecoderConfig}, linear sites and hooks.
 */
package ai.peft4j.api.model;
