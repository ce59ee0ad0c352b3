/**
 * The PEFT method SPI: {@link ai.peft4j.api.method.PeftMethod} plugins create
 * {@link ai.peft4j.api.method.Adapter}s from {@link ai.peft4j.api.method.PeftConfig}s.
 */
package ai.peft4j.api.method;
