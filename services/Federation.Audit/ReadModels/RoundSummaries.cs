using Federation.Contracts.Tasks;
using Federation.Audit.History;
using Federation.Contracts.Api;
using Federation.Contracts.Events;

namespace Federation.Audit.ReadModels;

/// <summary>Builds <see cref="RoundSummary"/> rows by reading the history once.</summary>
public static class RoundSummaries
{
    /// <summary>Every round of task <see cref="TaskIds.Default"/> in the history, in order.</summary>
    public static Task<IReadOnlyList<RoundSummary>> ReadAsync(EventHistory history, CancellationToken cancellationToken = default) =>
        ReadAsync(history, TaskIds.Default, cancellationToken);

    /// <summary>Every round of <paramref name="task"/> in the history, in order.</summary>
    public static async Task<IReadOnlyList<RoundSummary>> ReadAsync(EventHistory history, string task, CancellationToken cancellationToken = default)
    {
        var rounds = new SortedDictionary<int, RoundSummary>();
        var versionsByRound = new Dictionary<int, ModelVersionPublished>();
        var accuracyByVersion = new Dictionary<int, (double WeightedSum, long Samples, int Reports)>();

        await foreach (var entry in history.ReadAllAsync(1, cancellationToken))
        {
            if (EventStreams.TaskOf(entry.Recorded.StreamId) != task)
            {
                continue;
            }

            switch (entry.Event)
            {
                case RoundOpened opened:
                    rounds[opened.Round] = new RoundSummary(opened.Round, null, [], [], null, null, null, 0);
                    break;
                case ContributionAccepted accepted when rounds.TryGetValue(accepted.Round, out var row):
                    rounds[accepted.Round] = row with { AcceptedGateways = [.. row.AcceptedGateways, accepted.GatewayId] };
                    break;
                case ContributionRejected { Round: { } round } rejected when rounds.TryGetValue(round, out var row):
                    rounds[round] = row with { Rejections = [.. row.Rejections, rejected.Reason] };
                    break;
                case RoundClosed closed when rounds.TryGetValue(closed.Round, out var row):
                    rounds[closed.Round] = row with { Outcome = closed.Outcome };
                    break;
                case ModelVersionPublished { Round: { } round } published:
                    versionsByRound[round] = published;
                    break;
                case EvaluationRecorded evaluation when evaluation.Metrics.FirstOrDefault(metric => metric is { Name: "accuracy", Slice: null }) is { } accuracy:
                    var (sum, samples, reports) = accuracyByVersion.GetValueOrDefault(evaluation.ModelVersion);
                    accuracyByVersion[evaluation.ModelVersion] = (sum + accuracy.Value * accuracy.SampleCount, samples + accuracy.SampleCount, reports + 1);
                    break;
            }
        }

        return rounds.Values.Select(row =>
        {
            if (!versionsByRound.TryGetValue(row.Round, out var published))
            {
                return row;
            }

            var (sum, samples, reports) = accuracyByVersion.GetValueOrDefault(published.Version);
            return row with
            {
                ModelVersion = published.Version,
                ModelSha256 = published.ModelSha256,
                LocalAccuracy = samples > 0 ? sum / samples : null,
                LocalEvaluations = reports,
            };
        }).ToList();
    }
}
