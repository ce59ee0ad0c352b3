package ai.peft4j.api.serving;

import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.peft.PeftModel;

/**
 * A {@link PeftModel} as an engine's {@link ModelExporter} sees it: its runtime (the base, with any
 * merged adapters in its weights) and, unless every adapter is merged, its adapters served from
 * one graph ({@link AdapterServing}, no rank limit), opened when the exporter first asks and
 * closed when the export ends. So export glue lives here, and engines do not depend on
 * {@link PeftModel}.
 *
 * <pre>{@code
 * try (PeftModel model = PeftModel.open(modelDir, Engines.byName("onnx"), EngineOptions.defaults())) {
 *   model.loadAdapter(adapterDir, "summarize");
 *   OnnxExport.Result r = ModelExport.write(model, OnnxExport.to(outDir, OnnxExport.WeightStorage.LINK));
 * }
 * }</pre>
 */
public final class ModelExport {
    private final PeftModel model;
    private AdapterServing adapters;

    private ModelExport(PeftModel model) {
        this.model = model;
    }

    /** Exports {@code model} with {@code exporter}, then closes whatever the export opened. */
    public static <R> R write(PeftModel model, ModelExporter<R> exporter) {
        ModelExport source = new ModelExport(model);
        try {
            return exporter.export(source);
        } finally {
            if (source.adapters != null) {
                source.adapters.close();
            }
        }
    }

    /** The model's runtime: its base weights, merged adapters included. */
    public DecoderRuntime runtime() {
        return model.runtime();
    }

    /**
     * The model's adapters served from one graph ({@link AdapterServing#of} with no rank limit),
     * or null when every adapter is merged into the base (or there are none): then the base is
     * the whole model.
     */
    public AdapterServing adapters() {
        if (adapters == null && !model.mergedAdapters().containsAll(model.adapterNames())) {
            adapters = AdapterServing.of(model, 0);
        }
        return adapters;
    }
}
