using Federation.Contracts.Events;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Audit.Bundles;

/// <summary>
/// Recomputes a model version from what the history records, as docs/FORMATS.md section 5
/// specifies: the base version's model, the listed contributions' payloads in the listed order,
/// the recorded strategy and parameters, and, for stateful strategies, the state saved with the
/// base version. The aggregator does exactly this, so the result must have the published hash.
/// </summary>
public static class Reaggregation
{
    /// <summary>Recomputes version <paramref name="version"/> of <paramref name="task"/> from <paramref name="source"/>.</summary>
    /// <param name="source">The bundle or API to read from.</param>
    /// <param name="task">The task whose lineage the version (and its base) belongs to.</param>
    /// <param name="version">The published version to recompute.</param>
    /// <param name="progress">Told (read, total) after each contribution's payload is read, the slow part from an API.</param>
    /// <exception cref="AuditException">The version is not published or is version 0.</exception>
    public static async Task<ReaggregationResult> RunAsync(AuditSource source, string task, int version, Action<long, long>? progress = null)
    {
        var published = (ModelVersionPublished)(await source.VersionAsync(task, version)).Event;
        if (published.BaseModelVersion is not { } baseNumber)
        {
            throw new AuditException($"Version {version} is the initial model ({published.Strategy}); it was not aggregated from contributions.");
        }

        var basePublished = (ModelVersionPublished)(await source.VersionAsync(task, baseNumber)).Event;
        var problems = new List<string>();
        var result = new ReaggregationResult(published, basePublished, problems);

        IAggregationStrategy strategy;
        try
        {
            strategy = AggregationStrategies.Create(published.Strategy, published.StrategyParameters);
        }
        catch (ArgumentException error)
        {
            problems.Add($"The recorded strategy {published.Strategy} cannot be created: {error.Message}");
            return result;
        }

        var baseModel = await ReadTensorsAsync(source, basePublished.ModelSha256, $"the model of base version {baseNumber}", problems);
        StrategyState? state = null;
        if (basePublished.StrategyStateSha256 is { } stateSha256)
        {
            var (bytes, problem) = await source.PayloadAsync(stateSha256);
            AddIfAny(problems, problem);
            try
            {
                // As the aggregator does: continue from the saved state only when the same strategy wrote it.
                state = bytes is null ? null : StrategyState.FromSafeTensors(bytes);
                state = state?.Strategy == strategy.Name ? state : null;
            }
            catch (SafeTensorsFormatException error)
            {
                problems.Add($"The strategy state of version {baseNumber} is not readable: {error.Message}");
            }
        }

        var updates = new List<ClientUpdate>();
        foreach (var (contribution, index) in published.Contributions.Select((contribution, index) => (contribution, index)))
        {
            var delta = await ReadTensorsAsync(source, contribution.PayloadSha256, $"contribution {index + 1} ({contribution.GatewayId})", problems);
            if (delta is not null)
            {
                updates.Add(new ClientUpdate(contribution.GatewayId, delta, contribution.SampleCount));
            }

            progress?.Invoke(index + 1, published.Contributions.Count);
        }

        if (baseModel is null || updates.Count != published.Contributions.Count)
        {
            return result;
        }

        try
        {
            var aggregated = strategy.Aggregate(baseModel, updates, state);
            var model = SafeTensors.Write(aggregated.Model);
            var selected = aggregated.SelectedClientIds.ToHashSet(StringComparer.Ordinal);
            var selection = published.Contributions
                .Where(contribution => contribution.Selected != selected.Contains(contribution.GatewayId))
                .Select(contribution => $"{contribution.GatewayId} is recorded as {(contribution.Selected ? "selected" : "left out")}, but the strategy {(contribution.Selected ? "leaves it out" : "selects it")}")
                .ToList();
            return result with
            {
                Model = model,
                RecomputedSha256 = Sha256Hex.Of(model),
                RecomputedStateSha256 = aggregated.State is { } next ? Sha256Hex.Of(next.ToSafeTensors()) : null,
                ContinuedFromSavedState = state is not null,
                SelectionDifferences = selection,
            };
        }
        catch (StrategyInputException error)
        {
            problems.Add($"The strategy refuses the recorded inputs: {error.Message}");
            return result;
        }
    }

    private static async Task<TensorSet?> ReadTensorsAsync(AuditSource source, string sha256, string what, List<string> problems)
    {
        var (bytes, problem) = await source.PayloadAsync(sha256);
        AddIfAny(problems, problem is null ? null : $"{what}: {problem}");
        try
        {
            return bytes is null ? null : SafeTensors.Read(bytes);
        }
        catch (SafeTensorsFormatException error)
        {
            problems.Add($"{what}: {sha256} is not a readable safetensors file: {error.Message}");
            return null;
        }
    }

    private static void AddIfAny(List<string> problems, string? problem)
    {
        if (problem is not null)
        {
            problems.Add(problem);
        }
    }
}

/// <summary>The outcome of <see cref="Reaggregation.RunAsync"/>.</summary>
/// <param name="Published">The version as published.</param>
/// <param name="Base">The version it was aggregated on.</param>
/// <param name="Problems">Inputs that were missing, changed or unreadable, or a strategy that refused them.</param>
public sealed record ReaggregationResult(ModelVersionPublished Published, ModelVersionPublished Base, IReadOnlyList<string> Problems)
{
    /// <summary>The recomputed model's canonical safetensors bytes, or null when it could not be computed.</summary>
    public byte[]? Model { get; init; }

    /// <summary>SHA-256 of <see cref="Model"/>.</summary>
    public string? RecomputedSha256 { get; init; }

    /// <summary>SHA-256 of the recomputed strategy state, for stateful strategies.</summary>
    public string? RecomputedStateSha256 { get; init; }

    /// <summary>Whether the strategy continued from the state saved with the base version.</summary>
    public bool ContinuedFromSavedState { get; init; }

    /// <summary>Contributions whose recorded selection (Krum, Multi-Krum, Bulyan) the strategy does not reproduce.</summary>
    public IReadOnlyList<string> SelectionDifferences { get; init; } = [];

    /// <summary>
    /// True when the recomputed model has the published hash, and so do the state and the selection:
    /// a forged state would steer the next version even if this one matched.
    /// </summary>
    public bool Confirmed =>
        Problems.Count == 0
        && RecomputedSha256 == Published.ModelSha256
        && RecomputedStateSha256 == Published.StrategyStateSha256
        && SelectionDifferences.Count == 0;
}
