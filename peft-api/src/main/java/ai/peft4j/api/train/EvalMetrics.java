package ai.peft4j.api.train;

/**
 * An evaluation's result: the token-weighted mean loss over the eval set after {@code step} updates.
 *
 * <pre>{@code
 * public void onEval(EvalMetrics e) { System.out.println("eval loss " + e.loss() + " ppl " + Math.exp(e.loss())); }
 * }</pre>
 */
public record EvalMetrics(long step, double loss, long tokens, double seconds) {}
