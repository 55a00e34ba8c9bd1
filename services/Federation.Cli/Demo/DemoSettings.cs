using Federation.Learning.Models;

namespace Federation.Cli.Demo;

/// <summary>What the demo runs: three non-IID factories over Fashion-MNIST.</summary>
/// <param name="DataDirectory">Where the history and payloads go (emptied first).</param>
/// <param name="Rounds">Rounds to run.</param>
/// <param name="Model">Model kind.</param>
/// <param name="Strategy">Aggregation strategy.</param>
/// <param name="StrategyParameters">The strategy's parameters.</param>
public sealed record DemoSettings(string DataDirectory, int Rounds, ModelKind Model, string Strategy, Dictionary<string, double> StrategyParameters)
{
    /// <summary>Number of factories.</summary>
    public int Factories { get; init; } = 3;

    /// <summary>Dirichlet concentration of the label skew (0.5: each factory sees mostly a few classes).</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>Seed for the data split, model and training.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Local epochs per round.</summary>
    public int LocalEpochs { get; init; } = 1;

    /// <summary>
    /// Mini-batch size (the expected batch of DP-SGD's Poisson sampling), locally and for the central baseline. 64 as
    /// in the DP-SGD bench: a larger batch averages each step's noise (σ = z·C on the sum) over more examples.
    /// </summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// SGD learning rate, locally and for the central baseline. Gateways train with DP-SGD, whose per-example clipping
    /// at C = 1 shrinks the steps, so it wants a larger rate than plain SGD (bench dp-sgd: 0.5 beats 0.1 under DP).
    /// </summary>
    public double LearningRate { get; init; } = 0.5;

    /// <summary>
    /// The learning rate and batch size of the central baseline without DP: plain SGD does best with a smaller rate
    /// (the demo's settings before the gateways trained with DP-SGD), so the cost of privacy is not overstated.
    /// </summary>
    public (double LearningRate, int BatchSize) PlainBaseline { get; init; } = (0.05, 32);

    /// <summary>Hidden units when the model is an MLP.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>
    /// Rounds of the photo CNN task (<see cref="PhotoTask"/>); 0 runs the demo without it. The default, 6, is what
    /// keeps make demo within 5 minutes on a 2-core machine with the central anchor beside it (README states the time).
    /// </summary>
    public int PhotoRounds { get; init; } = 6;

    /// <summary>Local epochs per round of the photo task.</summary>
    public int PhotoEpochs { get; init; } = 1;

    /// <summary>
    /// The photo task's expected DP-SGD batch (Poisson sampling at q = batch / local photos), at the factories and for its
    /// central anchor. 512: each step's noise (σ = z·C on the sum) is averaged over many photos.
    /// </summary>
    public int PhotoBatchSize { get; init; } = 512;

    /// <summary>The photo task's learning rate; large, because DP-SGD's clipped, averaged gradients are small.</summary>
    public double PhotoLearningRate { get; init; } = 4.0;

    /// <summary>The photo task's noise multiplier z: the least its policies allow, which the pinned trainer runs at.</summary>
    public double PhotoNoise { get; init; } = 0.8;
}
