using Federation.Contracts.Events;

namespace Federation.Audit.Bundles;

/// <summary>
/// (5) One version v ≥ 1 against its round (of the same task): built on v − 1 with the round's strategy and parameters,
/// after the round closed with a quorum or at its deadline, listing exactly the round's accepted
/// contributions in ascending gateway id order (ordinal), not in arrival order.
/// </summary>
internal sealed class VersionTrace(Findings findings, BundleEvent at, ModelVersionPublished published, RoundTrack round)
{
    private string RoundName => round.Name;

    public void Run()
    {
        CheckRound();
        round.PublishedVersion ??= published.Version;
        var listed = published.Contributions;
        var matched = new HashSet<AcceptedContribution>();
        // The strategy combines a round's accepted contributions in ascending gateway id (ordinal), not in arrival order.
        var order = round.Accepted.OrderBy(accepted => accepted.GatewayId, StringComparer.Ordinal).ToList();
        for (var index = 0; index < listed.Count; index++)
        {
            var used = listed[index];
            var accepted = index < order.Count && order[index].GatewayId == used.GatewayId
                ? order[index]
                : order.FirstOrDefault(candidate => candidate.GatewayId == used.GatewayId);
            if (accepted is null)
            {
                findings.Add(5, $"{at.Field($"contributions[{index}]")}.gatewayId", $"is '{used.GatewayId}', which has no accepted contribution in {RoundName}.");
                continue;
            }

            matched.Add(accepted);
            CheckListed(index, used, accepted, order.IndexOf(accepted));
        }

        foreach (var omitted in round.Accepted.Where(accepted => !matched.Contains(accepted)))
        {
            findings.Add(5, at.Field("contributions"), $"omit the accepted contribution of gateway '{omitted.GatewayId}' at position {omitted.Position}.");
        }
    }

    private void CheckRound()
    {
        var opened = round.Opened;
        if (published.BaseModelVersion != published.Version - 1)
        {
            findings.Add(5, at.Field("baseModelVersion"), $"is {Shown.Of(published.BaseModelVersion)}; {Shown.Version(round.Task, published.Version)} must build on version {published.Version - 1}.");
        }

        if (opened.BaseModelVersion != published.BaseModelVersion)
        {
            findings.Add(5, at.Field("baseModelVersion"), $"is {Shown.Of(published.BaseModelVersion)}, but {RoundName} was opened on version {opened.BaseModelVersion} (position {round.Position}).");
        }

        if (opened.Strategy != published.Strategy)
        {
            findings.Add(5, at.Field("strategy"), $"is {published.Strategy}, but {RoundName} was opened with {opened.Strategy} (position {round.Position}).");
        }

        if (!SameParameters(opened.StrategyParameters, published.StrategyParameters))
        {
            findings.Add(5, at.Field("strategyParameters"), $"are {Shown.Parameters(published.StrategyParameters)}, but {RoundName} was opened with {Shown.Parameters(opened.StrategyParameters)}.");
        }

        if (round.Closed is not { Outcome: RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed })
        {
            findings.Add(5, at.Field("round"),
                $"{RoundName} {(round.Closed is { } closed ? $"closed {Shown.Of(closed.Outcome)}" : "had not closed")}; only a round closed by quorum-reached or deadline-passed produces a version.");
        }

        if (round.PublishedVersion is { } earlier)
        {
            findings.Add(5, at.Field("round"), $"{RoundName} already produced version {earlier}.");
        }
    }

    private void CheckListed(int index, ContributionUsed used, AcceptedContribution accepted, int expectedAt)
    {
        var field = at.Field($"contributions[{index}]");
        if (expectedAt != index)
        {
            findings.Add(5, field, $"lists gateway '{used.GatewayId}' as contribution {index + 1}, but in ascending gateway id order it is contribution {expectedAt + 1} of {RoundName}'s accepted ones; the aggregation order is fixed by the gateway ids.");
        }

        var source = $"the accepted contribution of '{used.GatewayId}' at position {accepted.Position} has";
        if (used.KeyId != accepted.KeyId)
        {
            findings.Add(5, $"{field}.keyId", $"is {used.KeyId}, but {source} {accepted.KeyId}.");
        }

        if (used.PayloadSha256 != accepted.PayloadSha256)
        {
            findings.Add(5, $"{field}.payloadSha256", $"is {used.PayloadSha256}, but {source} {accepted.PayloadSha256}.");
        }

        if (used.SampleCount != accepted.SampleCount)
        {
            findings.Add(5, $"{field}.sampleCount", $"is {used.SampleCount}, but {source} {accepted.SampleCount}.");
        }
    }

    private static bool SameParameters(IReadOnlyDictionary<string, double> left, IReadOnlyDictionary<string, double> right) =>
        left.Count == right.Count && left.All(pair => right.TryGetValue(pair.Key, out var value) && value.Equals(pair.Value));
}
