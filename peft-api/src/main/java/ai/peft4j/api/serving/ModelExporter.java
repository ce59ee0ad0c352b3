package ai.peft4j.api.serving;

/**
 * An export format, implemented by an engine: writes a model (its base, merges applied, and its
 * adapters served from one graph) as files another runtime loads. Reached through
 * {@link ModelExport#write}, which hands the exporter a model as runtime-level types.
 *
 * <pre>{@code
 * ModelExporter<OnnxExport.Result> exporter = OnnxExport.to(outDir, OnnxExport.WeightStorage.LINK);
 * OnnxExport.Result r = ModelExport.write(model, exporter);
 * }</pre>
 *
 * @param <R> what the exporter reports
 */
@FunctionalInterface
public interface ModelExporter<R> {

    /**
     * Writes {@code model}. Check {@link ModelExport#runtime()} before asking for
     * {@link ModelExport#adapters()}, so a runtime this format cannot export is refused first.
     */
    R export(ModelExport model);
}
