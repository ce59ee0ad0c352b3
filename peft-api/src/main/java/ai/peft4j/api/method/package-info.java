/**
 * The PEFT method SPI: {@link ai.peft4j.api.method.PeftMethod} plugins create
 * {@link ai.peft4j.api.method.Adapter}s from {@link ai.peft4j.api.method.PeftConfig}s. An adapter
 * that is also a {@link ai.peft4j.api.method.SharedGraphAdapter} can be served with others of its
 * structure from one graph, its parameters fed per request.
 */
package ai.peft4j.api.method;
