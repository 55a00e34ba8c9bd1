using Federation.Contracts.Events;

namespace Federation.Audit.Bundles;

/// <summary>
/// (3) A key event may not state a time earlier than an event before it in the log. Log order wins:
/// what was accepted before a revocation was appended stays valid whatever <c>revokedAt</c> says, so
/// a backdated key event cannot undo it, but the backdating itself is a finding.
/// </summary>
internal sealed class KeyEventTimeCheck(Findings findings)
{
    private readonly List<(string Where, string Problem, long Cause)> found = [];
    private (DateTimeOffset Time, long Position)? latest;

    public void Check(BundleEvent read)
    {
        if (TimeOf(read.Event) is not { } time)
        {
            return;
        }

        if (KeyHistory.IsKeyEvent(read.Event) && latest is { } before && time < before.Time)
        {
            var (member, subject) = Describe(read.Event);
            found.Add((read.Field(member),
                $"is {time:O}, earlier than {before.Time:O}, the time of the event at position {before.Position} before it in the log: this event about {subject} is backdated. " +
                $"Log order wins: what the log accepted before position {read.Position} stays valid; the key event takes effect from its own position on.", before.Position));
        }

        if (latest is not { } current || time > current.Time)
        {
            latest = (time, read.Position);
        }
    }

    /// <summary>
    /// Reports what was found, except where the later time comes from a line the log check named as
    /// changed: that line is the problem, and it is already named.
    /// </summary>
    public void Report(IReadOnlySet<long> changedLines)
    {
        foreach (var (where, problem, cause) in found.Where(finding => !changedLines.Contains(finding.Cause)))
        {
            findings.Add(3, where, problem);
        }
    }

    private static (string Member, string Subject) Describe(IFederationEvent keyEvent) => keyEvent switch
    {
        GatewayKeyEnrolled enrolled => ("enrolledAt", $"key {enrolled.KeyId} of gateway '{enrolled.GatewayId}'"),
        GatewayKeyRotated rotated => ("rotatedAt", $"key {rotated.OldKeyId} → {rotated.NewKeyId} of gateway '{rotated.GatewayId}'"),
        GatewayKeyRevoked revoked => ("revokedAt", $"key {revoked.KeyId} of gateway '{revoked.GatewayId}'"),
        GatewayPoliciesAllowed allowed => ("changedAt", $"the allowed policies of gateway '{allowed.GatewayId}'"),
        _ => ("", ""),
    };

    // The instant each event states for itself, from the aggregator's clock.
    private static DateTimeOffset? TimeOf(IFederationEvent @event) => @event switch
    {
        RoundOpened opened => opened.OpenedAt,
        ContributionAccepted accepted => accepted.ReceivedAt,
        ContributionRejected rejected => rejected.ReceivedAt,
        RoundClosed closed => closed.ClosedAt,
        ModelVersionPublished published => published.PublishedAt,
        EvaluationRecorded evaluation => evaluation.RecordedAt,
        EvaluationRejected rejected => rejected.ReceivedAt,
        _ when KeyHistory.IsKeyEvent(@event) => KeyHistory.TimeOf(@event),
        _ => null,
    };
}
