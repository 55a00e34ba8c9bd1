namespace Federation.Learning.Strategies;

/// <summary>What a strategy asks of a round before it starts (Flower's <c>configure_train</c>).</summary>
/// <param name="MinimumUpdates">
/// The fewest updates <see cref="IAggregationStrategy.Aggregate"/> accepts, e.g. 2f + 3 for Krum;
/// the aggregator should not close the round with fewer.
/// </param>
/// <param name="ClientSettings">
/// Training settings to send to every client with the round, e.g. <c>proximal_mu</c> for FedProx
/// (see <see cref="Training.TrainingOptions.ProximalMu"/>); empty when the strategy needs none.
/// </param>
public sealed record RoundConfiguration(int MinimumUpdates, IReadOnlyDictionary<string, double> ClientSettings);
