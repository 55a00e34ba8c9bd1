using System.Globalization;
using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// What a server-optimizer strategy carries from one round to the next: its moment tensors and how many
/// aggregations it has folded in. Store it with the round (e.g. as <see cref="ToSafeTensors"/> bytes) so an auditor
/// can re-run the aggregation bit for bit.
/// </summary>
/// <param name="Strategy">The <see cref="IAggregationStrategy.Name"/> that produced it; another strategy refuses it.</param>
/// <param name="Round">The number of aggregations folded into the tensors (1 after the first).</param>
/// <param name="Tensors">
/// One tensor per model tensor and moment, named <c>prefix/model-name</c>: <c>v/…</c> (momentum) for FedAvgM;
/// <c>m/…</c> and <c>v/…</c> (first and second moments) for FedAdam, FedYogi and FedAdagrad.
/// </param>
public sealed record StrategyState(string Strategy, long Round, TensorSet Tensors)
{
    /// <summary>The safetensors metadata key holding <see cref="Strategy"/>.</summary>
    public const string StrategyMetadataKey = "federation.strategy";

    /// <summary>The safetensors metadata key holding <see cref="Round"/> in invariant decimal.</summary>
    public const string RoundMetadataKey = "federation.round";

    /// <summary>Serializes the state as canonical safetensors, with the strategy and round in the metadata.</summary>
    /// <returns>The file bytes; the same state always gives the same bytes.</returns>
    public byte[] ToSafeTensors() => SafeTensors.Write(Tensors, new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [StrategyMetadataKey] = Strategy,
        [RoundMetadataKey] = Round.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>Reads a state written by <see cref="ToSafeTensors"/>.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <returns>The state; whether it fits a model and strategy is checked when it is used.</returns>
    /// <exception cref="SafeTensorsFormatException">The bytes are not safetensors, or the metadata lacks the strategy or a valid round.</exception>
    public static StrategyState FromSafeTensors(ReadOnlySpan<byte> bytes)
    {
        var metadata = SafeTensors.ReadMetadata(bytes);
        if (!metadata.TryGetValue(StrategyMetadataKey, out var strategy) || strategy.Length == 0)
        {
            throw new SafeTensorsFormatException($"the strategy state has no \"{StrategyMetadataKey}\" metadata");
        }

        if (!metadata.TryGetValue(RoundMetadataKey, out var roundText)
            || !long.TryParse(roundText, NumberStyles.None, CultureInfo.InvariantCulture, out long round)
            || round < 1)
        {
            throw new SafeTensorsFormatException($"the strategy state's \"{RoundMetadataKey}\" metadata must be a positive integer");
        }

        return new StrategyState(strategy, round, SafeTensors.Read(bytes));
    }
}
