using Federation.Audit.Contributions;
using Federation.Contracts.Events;
using Federation.Coordination.Aggregation;
using Federation.Coordination.Models;
using Federation.Coordination.Payloads;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Coordination.Rounds;

/// <summary>A model version ready to be appended: its blobs are stored, its event is built.</summary>
/// <param name="Event">The event to append to the models stream.</param>
/// <param name="Version">The version as the coordinator keeps it once the event is appended.</param>
public sealed record PreparedModel(ModelVersionPublished Event, ModelVersion Version);

/// <summary>
/// Makes model versions: the initial one, and each round's by running its strategy over the accepted updates. This
/// is the model-sized work (every parameter is read, the result is written), so it runs outside the
/// <see cref="History.DecisionGate"/>; only appending the prepared event is a decision.
/// </summary>
public sealed class ModelPublishing(PayloadStore payloads, ModelOptions model, TimeProvider clock)
{
    /// <summary>Stores the initial model and builds the event of version 0.</summary>
    public Task<PreparedModel> PrepareInitialAsync(CancellationToken cancellationToken)
    {
        var spec = model.ToSpec();
        return PrepareAsync(0, spec.Initialize(model.Seed), null, null, "initial", new Dictionary<string, double>(), null, [], cancellationToken);
    }

    /// <summary>
    /// Aggregates the accepted updates of <paramref name="round"/> onto <paramref name="baseModel"/>, stores the new
    /// model (and the strategy's state) and builds the event of the next version.
    /// </summary>
    /// <exception cref="StrategyInputException">The updates do not satisfy the strategy.</exception>
    /// <exception cref="OverflowException">The combination overflows.</exception>
    /// <exception cref="ArgumentException">The updates cannot be combined.</exception>
    /// <exception cref="InvalidOperationException">The round was not opened on <paramref name="baseModel"/>.</exception>
    public async Task<PreparedModel> PrepareAsync(RoundState round, ModelVersion baseModel, CancellationToken cancellationToken)
    {
        if (round.Opened.BaseModelVersion != baseModel.Version)
        {
            throw new InvalidOperationException(
                $"Round {round.Round} was opened on model version {round.Opened.BaseModelVersion}, but the latest is {baseModel.Version}.");
        }

        // Aggregating needs the parameters (a strategy's accumulator is model-sized by nature); only now are they read.
        var strategy = AggregationStrategies.Create(round.Opened.Strategy, round.Opened.StrategyParameters);
        var previousState = StrategyAggregation.PreviousState(strategy, baseModel.StrategyStateSha256, payloads);
        var parameters = SafeTensors.Read(payloads.Get(baseModel.Sha256));
        var result = StrategyAggregation.Aggregate(strategy, parameters, round.AggregationOrder, payloads, previousState);

        var stateSha256 = result.State is { } state ? await payloads.PutAsync(state.ToSafeTensors(), cancellationToken) : null;
        var selected = result.SelectedClientIds.ToHashSet(StringComparer.Ordinal);
        var contributions = round.AggregationOrder
            .Select(accepted => new ContributionUsed(accepted.GatewayId, accepted.KeyId, accepted.PayloadSha256, accepted.SampleCount, selected.Contains(accepted.GatewayId)))
            .ToList();
        return await PrepareAsync(
            baseModel.Version + 1, result.Model, round.Round, baseModel.Version, round.Opened.Strategy,
            round.Opened.StrategyParameters, stateSha256, contributions, cancellationToken);
    }

    /// <summary>The version a published event names, with the layout read from the stored model.</summary>
    public async Task<ModelVersion> LoadAsync(ModelVersionPublished published)
    {
        await using var stored = payloads.OpenRead(published.ModelSha256);
        return new ModelVersion(published.Version, published.ModelSha256, PayloadScan.ReadLayout(stored, stored.Length), published.StrategyStateSha256);
    }

    private async Task<PreparedModel> PrepareAsync(
        int version, TensorSet parameters, int? fromRound, int? baseVersion, string strategy,
        IReadOnlyDictionary<string, double> strategyParameters, string? strategyStateSha256,
        IReadOnlyList<ContributionUsed> contributions, CancellationToken cancellationToken)
    {
        var bytes = SafeTensors.Write(parameters);
        var sha256 = await payloads.PutAsync(bytes, cancellationToken);
        var published = new ModelVersionPublished(
            version, sha256, bytes.LongLength, fromRound, baseVersion, strategy, strategyParameters, strategyStateSha256, contributions, clock.GetUtcNow());
        return new PreparedModel(published, new ModelVersion(version, sha256, SafeTensorsLayout.Parse(bytes, bytes.Length), strategyStateSha256));
    }
}
