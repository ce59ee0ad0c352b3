package ai.peft4j.examples.progress;

import ai.peft4j.api.train.EvalMetrics;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingPlan;
import ai.peft4j.api.train.TrainingResult;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress as a console progress bar (steps, ETA) with the loss, learning rate and
 * tokens per second, using the {@code progressbar} library.
 *
 * <pre>{@code
 * trainer.addListener(new ProgressBarListener("lora", System.err));
 * }</pre>
 */
public final class ProgressBarListener implements TrainingListener {
    private final String task;
    private final PrintStream out;
    private ProgressBar bar;
    private String lastEval = "";

    public ProgressBarListener(String task, PrintStream out) {
        this.task = task;
        this.out = out;
    }

    @Override
    public void onTrainStart(TrainingPlan plan) {
        bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(plan.totalSteps())
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(out, 110))
                .build();
        bar.stepTo(plan.startStep());
    }

    @Override
    public void onStepEnd(StepMetrics m) {
        if (bar == null) {
            return;
        }
        bar.stepTo(m.step());
        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f lr %.1e %,.0f tok/s%s", m.loss(), m.learningRate(),
                m.tokensPerSecond(), lastEval));
    }

    @Override
    public void onEval(EvalMetrics metrics) {
        lastEval = String.format(Locale.ROOT, " eval %.3f", metrics.loss());
    }

    @Override
    public void onTrainEnd(TrainingResult result) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
