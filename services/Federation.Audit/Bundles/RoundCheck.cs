using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;

namespace Federation.Audit.Bundles;

/// <summary>An accepted contribution as later checks rely on it: the signed values when the signature holds, the event's otherwise.</summary>
internal sealed record AcceptedContribution(long Position, string GatewayId, string KeyId, string PayloadSha256, long PayloadBytes, long SampleCount);

/// <summary>
/// (4, 5) Rounds and model versions in log order, per task (the task of the stream each event is recorded in): a contribution joins a round that is open and
/// trained from its base model; a version lists exactly its round's accepted contributions, in
/// ascending gateway id order, on the previous version (<see cref="VersionTrace"/>).
/// </summary>
internal sealed class RoundCheck(Findings findings, PayloadCheck payloads)
{
    // Each task has its own round numbers and its own lineage, so both are keyed by task.
    private readonly Dictionary<(string Task, int Round), RoundTrack> rounds = [];
    private readonly Dictionary<(string Task, int Version), (long Position, ModelVersionPublished Published)> versions = [];
    private readonly Dictionary<string, int> nextVersions = new(StringComparer.Ordinal);

    /// <summary>Model-version-published events read.</summary>
    public int ModelVersions { get; private set; }

    /// <summary>Versions from 1 whose every listed contribution matched an accepted one of their round.</summary>
    public int ModelVersionsTraced { get; private set; }

    /// <summary>The tasks whose model versions were read.</summary>
    public int Tasks => nextVersions.Count;

    /// <summary>The model hash of a version of <paramref name="task"/> published so far, or null.</summary>
    public string? ModelOf(string task, int version) => versions.TryGetValue((task, version), out var found) ? found.Published.ModelSha256 : null;

    public void Opened(BundleEvent at, RoundOpened opened)
    {
        var task = at.Task;
        if (rounds.TryGetValue((task, opened.Round), out var earlier))
        {
            findings.Add(5, at.Field("round"), $"{Shown.Round(task, opened.Round)} was already opened at position {earlier.Position}.");
            return;
        }

        // A round starts from a version of its own task's lineage, never another task's.
        if (!versions.TryGetValue((task, opened.BaseModelVersion), out var baseVersion))
        {
            findings.Add(5, at.Field("baseModelVersion"), $"model {Shown.Version(task, opened.BaseModelVersion)} was not published before this round opened.");
        }
        else if (baseVersion.Published.ModelSha256 != opened.BaseModelSha256)
        {
            findings.Add(5, at.Field("baseModelSha256"),
                $"is {opened.BaseModelSha256}, but {Shown.Version(task, opened.BaseModelVersion)} was published as {baseVersion.Published.ModelSha256} (position {baseVersion.Position}).");
        }

        rounds[(task, opened.Round)] = new RoundTrack(at.Position, task, opened);
    }

    /// <summary>The contribution joins its round, which must be open, with the round's base model.</summary>
    public void Accepted(BundleEvent at, int roundNumber, AcceptedContribution contribution, ContributionManifest? manifest)
    {
        if (!rounds.TryGetValue((at.Task, roundNumber), out var round))
        {
            findings.Add(4, at.Field("round"), $"{Shown.Round(at.Task, roundNumber)} was not opened before this contribution was accepted.");
        }
        else if (round.Closed is not null)
        {
            findings.Add(4, at.Where, $"{round.Name} had already closed (position {round.ClosedPosition}) when this contribution was accepted.");
        }
        else
        {
            if (manifest is not null && manifest.BaseModelSha256 != round.Opened.BaseModelSha256)
            {
                findings.Add(4, at.Field("manifest"),
                    $"signs baseModelSha256 {manifest.BaseModelSha256}, but {round.Name} starts from {round.Opened.BaseModelSha256}.");
            }

            round.Accepted.Add(contribution);
        }

        payloads.Reference(contribution.PayloadSha256, contribution.PayloadBytes, at.Field("payloadSha256"));
    }

    public void Closed(BundleEvent at, RoundClosed closed)
    {
        if (!rounds.TryGetValue((at.Task, closed.Round), out var round))
        {
            findings.Add(5, at.Field("round"), $"{Shown.Round(at.Task, closed.Round)} was never opened.");
            return;
        }

        if (round.Closed is not null)
        {
            findings.Add(5, at.Field("round"), $"{round.Name} was already closed at position {round.ClosedPosition}.");
            return;
        }

        if (closed.AcceptedCount != round.Accepted.Count)
        {
            findings.Add(5, at.Field("acceptedCount"), $"is {closed.AcceptedCount}, but {round.Name} has {round.Accepted.Count} contribution-accepted events before it.");
        }

        round.Closed = closed;
        round.ClosedPosition = at.Position;
    }

    // (5) Each task's versions are consecutive from 0; version 0 is the initial model; every later one traces to its round.
    public void Published(BundleEvent at, ModelVersionPublished published)
    {
        ModelVersions++;
        var task = at.Task;
        var nextVersion = nextVersions.GetValueOrDefault(task);
        if (published.Version != nextVersion)
        {
            var lineage = task == TaskIds.Default ? "versions" : $"the versions of task '{task}'";
            findings.Add(5, at.Field("version"), $"is {published.Version}; {lineage} are consecutive from 0, so {nextVersion} was expected.");
        }

        nextVersions[task] = published.Version + 1;

        if (published.Version == 0)
        {
            if (published.Contributions.Count > 0 || published.Round is not null)
            {
                findings.Add(5, at.Where, "version 0 is the initial model; it names no round and lists no contributions.");
            }
        }
        else if (Trace(at, published))
        {
            ModelVersionsTraced++;
        }

        versions.TryAdd((task, published.Version), (at.Position, published));
        payloads.Reference(published.ModelSha256, published.ModelBytes, at.Field("modelSha256"));
        if (published.StrategyStateSha256 is { } state)
        {
            payloads.Reference(state, null, at.Field("strategyStateSha256"));
        }
    }

    private bool Trace(BundleEvent at, ModelVersionPublished published)
    {
        var before = findings.CountOf(5);
        if (published.Round is not { } roundNumber || !rounds.TryGetValue((at.Task, roundNumber), out var round))
        {
            var named = published.Round is { } number ? Shown.Round(at.Task, number) : "round null";
            findings.Add(5, at.Field("round"), $"names {named}, which was not opened before this version.");
            return false;
        }

        new VersionTrace(findings, at, published, round).Run();
        return findings.CountOf(5) == before;
    }
}

/// <summary>A round as the log records it so far.</summary>
internal sealed class RoundTrack(long position, string task, RoundOpened opened)
{
    public long Position { get; } = position;

    /// <summary>The task of the round's stream.</summary>
    public string Task { get; } = task;

    /// <summary>How findings name the round: <c>round 3</c>, or <c>round 3 of task 'press-fit'</c>.</summary>
    public string Name => Shown.Round(Task, Opened.Round);

    public RoundOpened Opened { get; } = opened;

    public List<AcceptedContribution> Accepted { get; } = [];

    public RoundClosed? Closed { get; set; }

    public long ClosedPosition { get; set; }

    public int? PublishedVersion { get; set; }
}
