package ai.peft4j.api.serving;

/**
 * One adapter loaded into a {@link SharedGraphServing}: values for the graph's adapter inputs,
 * activated per request. Close it when no request uses it any more.
 *
 * <pre>{@code
 * try (ServedAdapter a = serving.load(dir.resolve("summarize.onnx_adapter"))) {
 *   Logits logits = serving.forward(request, null, a);
 * }
 * }</pre>
 */
public interface ServedAdapter extends AutoCloseable {

    /** The adapter's name (or the file it came from), for messages. */
    String name();

    @Override
    void close();
}
