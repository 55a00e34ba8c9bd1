using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"), as in Flower's FedProx strategy:
/// the server aggregates exactly like <see cref="FedAvg"/>, and the round tells every client to add the proximal
/// term μ/2·‖w − w_global‖² to its local loss.
/// </summary>
/// <remarks>
/// <see cref="ConfigureRound"/> returns <c>proximal_mu</c> in <see cref="RoundConfiguration.ClientSettings"/>; the client
/// passes it to <see cref="Training.TrainingOptions.ProximalMu"/>. The server cannot verify that clients used it.
/// </remarks>
public sealed class FedProx : IAggregationStrategy
{
    /// <summary>The strategy name, <c>fedprox</c>.</summary>
    public const string StrategyName = "fedprox";

    /// <summary>Creates the strategy.</summary>
    /// <param name="proximalMu">μ, the weight of the proximal term (<c>proximal_mu</c>); 0 makes the clients plain SGD.</param>
    /// <exception cref="ArgumentOutOfRangeException">μ is negative or not finite.</exception>
    public FedProx(double proximalMu)
    {
        ProximalMu = StrategyParameters.NonNegative("proximal_mu", proximalMu);
        Parameters = StrategyMath.Dictionary(("proximal_mu", ProximalMu));
    }

    /// <summary>μ, the weight of the clients' proximal term.</summary>
    public double ProximalMu { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(1, Parameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state) =>
        FedAvg.AggregateAs(Name, globalModel, updates, state);
}
