namespace Federation.Contracts.Api;

/// <summary>What the model team may set when opening a round; anything left out takes the configured default.</summary>
/// <param name="Strategy">Aggregation strategy name.</param>
/// <param name="StrategyParameters">The strategy's parameters.</param>
/// <param name="MinParticipants">Accepted contributions needed at the deadline.</param>
/// <param name="DurationSeconds">How long the round stays open.</param>
/// <param name="Invited">Gateways to invite; every enrolled gateway when left out.</param>
/// <param name="Epochs">Local epochs.</param>
/// <param name="BatchSize">Local batch size.</param>
/// <param name="LearningRate">Local learning rate.</param>
/// <param name="ProximalMu">FedProx μ.</param>
/// <param name="MaxUpdateNorm">L2 bound on each update.</param>
public sealed record OpenRoundRequest(
    string? Strategy = null,
    Dictionary<string, double>? StrategyParameters = null,
    int? MinParticipants = null,
    double? DurationSeconds = null,
    List<string>? Invited = null,
    int? Epochs = null,
    int? BatchSize = null,
    double? LearningRate = null,
    double? ProximalMu = null,
    double? MaxUpdateNorm = null);
