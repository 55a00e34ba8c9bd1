using System.Text;
using Federation.Audit.History;
using Federation.Audit.Releases;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.Coordination.History;
using Federation.Coordination.Tasks;
using Federation.EventStore;
using Federation.Trust;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Releases;

/// <summary>
/// Records release decisions in a task's releases stream: the gate's, once enough gateways have evaluated a version
/// (<see cref="ReleaseGateDecision"/>), and an operator's release of a held version (<see cref="ReleaseDecisions"/>).
/// A thin shell: it reads the streams, lets the pure decisions decide, and appends.
/// </summary>
public sealed class ReleaseRecorder(EventHistory history, DecisionGate gate, TaskRegistry tasks, TimeProvider clock, ILogger<ReleaseRecorder> logger)
{
    /// <summary>
    /// Decides the release of <paramref name="version"/> by <paramref name="releaseGate"/> unless it already has a
    /// decision, and appends the decision once the gate makes one. Call inside the <see cref="DecisionGate"/>, right
    /// after an evaluation of the version was recorded.
    /// </summary>
    /// <returns>The appended decision, or null when there is none (decided before, or too few reports).</returns>
    public async Task<IFederationEvent?> DecideAsync(
        string task, ReleaseGate releaseGate, int version, string modelSha256, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(releaseGate);
        var decisions = await DecisionsAsync(task, cancellationToken);
        if (ReleaseDecisions.Latest(decisions).ContainsKey(version))
        {
            // A gate decides a version once; later reports are recorded but do not reopen it.
            return null;
        }

        var evaluations = history.ReadStreamAsync(EventStreams.Evaluations(task), cancellationToken)
            .Select(entry => entry.Event).OfType<EvaluationRecorded>()
            .Where(recorded => recorded.ModelVersion == version)
            .Select(recorded => new GatedEvaluation(recorded, Sha256Hex.Of(Encoding.UTF8.GetBytes(recorded.Report))));
        var decided = ReleaseGateDecision.Decide(task, version, modelSha256, releaseGate, await evaluations.ToListAsync(cancellationToken), now);
        if (decided is not null)
        {
            // Any version, not the one read: this runs inside the evaluation's own decision, whose retry after a
            // conflict would record the evaluation a second time. The gate already keeps decisions in this process
            // one at a time.
            await history.AppendAsync(EventStreams.Releases(task), ExpectedVersion.Any, decided, cancellationToken);
            logger.LogInformation("Task {Task} model version {Version}: {Decision}", task, version, decided is ModelVersionHeld held
                ? $"held ({ReleaseDecisions.Failures(held.Checks)})"
                : "released by its gate");
        }

        return decided;
    }

    /// <summary>Releases a held version on an operator's word, recording the reason and the operator.</summary>
    /// <exception cref="ReleaseRefusedException">The task or version is unknown, the reason is blank, or the version is not held.</exception>
    public async Task<ModelVersionReleased> ReleaseHeldAsync(string task, int version, string? reason, string operatorName, CancellationToken cancellationToken)
    {
        var catalog = await tasks.CatalogAsync(cancellationToken);
        if (catalog.Find(task) is null && task != TaskIds.Default)
        {
            throw new ReleaseRefusedException($"Task '{task}' does not exist (fedctl tasks ls lists them).");
        }

        return await gate.RunAsync(async () =>
        {
            var decisions = await DecisionsAsync(task, cancellationToken);
            var published = await history.ReadStreamAsync(EventStreams.Models(task), cancellationToken)
                .Select(entry => entry.Event).OfType<ModelVersionPublished>()
                .AnyAsync(model => model.Version == version, cancellationToken);
            var released = ReleaseDecisions.ReleaseHeld(
                task, version, published, ReleaseDecisions.Latest(decisions).GetValueOrDefault(version), operatorName, reason, clock.GetUtcNow());
            await history.AppendAsync(EventStreams.Releases(task), decisions.Count, released, cancellationToken);
            logger.LogInformation("Task {Task} model version {Version}: released by {Operator} although held: {Reason}", task, version, operatorName, released.Reason);
            return released;
        }, cancellationToken);
    }

    /// <summary>The latest release decision of each version of <paramref name="task"/>.</summary>
    public async Task<IReadOnlyDictionary<int, IFederationEvent>> LatestAsync(string task, CancellationToken cancellationToken) =>
        ReleaseDecisions.Latest(await DecisionsAsync(task, cancellationToken));

    private async Task<List<IFederationEvent>> DecisionsAsync(string task, CancellationToken cancellationToken) =>
        await history.ReadStreamAsync(EventStreams.Releases(task), cancellationToken).Select(entry => entry.Event).ToListAsync(cancellationToken);
}
