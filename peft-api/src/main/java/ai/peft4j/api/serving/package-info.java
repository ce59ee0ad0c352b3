/**
 * Many adapters served from one compiled graph, switched per request, and models exported as
 * files for another runtime; method- and engine-agnostic.
 *
 * <p>Engines implement the SPI: {@link ai.peft4j.api.serving.SharedGraphEngine} (an engine whose
 * runtimes serve adapters from one graph), {@link ai.peft4j.api.serving.SharedGraphServing} and
 * {@link ai.peft4j.api.serving.ServedAdapter} (what it serves), and
 * {@link ai.peft4j.api.serving.ModelExporter} (an export format). The glue that reads a
 * {@link ai.peft4j.api.peft.PeftModel} lives here, so engines see runtime-level types only:
 * {@link ai.peft4j.api.serving.AdapterServing#of} serves every adapter of a model (through the
 * method's {@link ai.peft4j.api.method.SharedGraphAdapter}), {@link ai.peft4j.api.serving.ModelExport}
 * hands a model to an exporter.
 *
 * <pre>{@code
 * try (AdapterServing serving = AdapterServing.of(model, 64)) {
 *   new Generator(serving.runtime(serving.adapter("translate")), serving.hooks()).generate(ids, null, config);
 * }
 * OnnxExport.Result r = ModelExport.write(model, OnnxExport.to(outDir, OnnxExport.WeightStorage.LINK));
 * }</pre>
 */
package ai.peft4j.api.serving;
