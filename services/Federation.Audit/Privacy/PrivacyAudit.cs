using Federation.Audit.Contributions;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Policies;

namespace Federation.Audit.Privacy;

/// <summary>
/// Recomputes every factory's privacy spending per task from the signed manifests in a history alone: each release's
/// charge as its gateway signed it (<see cref="ReleasePrivacy"/>), the ε of the task's budget window ending with it by
/// the same RDP accountant the gateways run (docs/PRIVACY.md, section 3), and whether any release went over the budget
/// of the policy it was made under. Only v3 manifests carry a charge; a gateway's releases from before them are not
/// seen, so its own window ε can be higher than the recomputed one (never lower).
/// </summary>
public static class PrivacyAudit
{
    /// <summary>Every release with a signed charge, by gateway, task and time, each with its recomputation.</summary>
    /// <param name="events">The history's events, accepted and rejected contributions alike (a rejected update was released all the same).</param>
    public static IReadOnlyList<AuditedRelease> Of(IEnumerable<IFederationEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var signed = new Dictionary<(string Gateway, long Sequence), (ContributionManifest Manifest, ReleasePrivacy Privacy)>();
        foreach (var manifestJson in events.Select(ManifestOf).OfType<string>())
        {
            if (ManifestDocument.Parse(manifestJson, out _) is { Privacy: { } privacy } manifest)
            {
                signed.TryAdd((manifest.GatewayId, manifest.Sequence), (manifest, privacy));
            }
        }

        var audited = new List<AuditedRelease>();
        foreach (var group in signed.Values.GroupBy(release => (release.Manifest.GatewayId, Task: release.Manifest.Task!)).OrderBy(group => group.Key))
        {
            var ledger = PrivacyLedger.Empty;
            foreach (var (manifest, privacy) in group.OrderBy(release => release.Manifest.CreatedAt).ThenBy(release => release.Manifest.Sequence))
            {
                var release = new PrivacyRelease(manifest.CreatedAt, privacy.NoiseMultiplier, privacy.SamplingRate, privacy.Steps, group.Key.Task);
                ledger = ledger.Record(release);
                var window = TimeSpan.FromSeconds(privacy.WindowSeconds);
                double alone = PrivacyLedger.Empty.Record(release).Spent(release.At, window, privacy.Delta, group.Key.Task).Epsilon;
                double inWindow = ledger.Spent(release.At, window, privacy.Delta, group.Key.Task).Epsilon;
                audited.Add(new AuditedRelease(manifest.GatewayId, group.Key.Task, manifest.Sequence, manifest.CreatedAt, manifest.PolicySha256, privacy, alone, inWindow));
            }
        }

        return audited;
    }

    private static string? ManifestOf(IFederationEvent federationEvent) => federationEvent switch
    {
        ContributionAccepted accepted => accepted.Manifest,
        ContributionRejected rejected => rejected.Manifest,
        _ => null,
    };
}

/// <summary>One release as signed and as recomputed.</summary>
/// <param name="GatewayId">The gateway that released it.</param>
/// <param name="Task">Its task, whose budget paid.</param>
/// <param name="Sequence">The manifest's sequence.</param>
/// <param name="At">When it was released (the manifest's <c>createdAt</c>).</param>
/// <param name="PolicySha256">The policy it was made under.</param>
/// <param name="Signed">The charge as signed.</param>
/// <param name="Epsilon">ε of this release alone, recomputed.</param>
/// <param name="EpsilonInWindow">ε of the task's window ending with it, recomputed from the releases in the history.</param>
public sealed record AuditedRelease(
    string GatewayId, string Task, long Sequence, DateTimeOffset At, string PolicySha256, ReleasePrivacy Signed, double Epsilon, double EpsilonInWindow)
{
    /// <summary>Relative tolerance between signed and recomputed ε (both come from one accountant; only float formatting differs).</summary>
    public const double Tolerance = 1e-9;

    /// <summary>Whether the release went over its policy's budget, by the signed or the recomputed window ε.</summary>
    public bool ExceedsBudget => Math.Max(Signed.EpsilonInWindow, EpsilonInWindow) > Signed.BudgetEpsilon * (1 + Tolerance);

    /// <summary>Whether the signed ε of the release alone is what its signed parameters cost.</summary>
    public bool EpsilonAgrees => Math.Abs(Signed.Epsilon - Epsilon) <= Tolerance * Math.Max(1, Epsilon);

    /// <summary>
    /// Whether the signed window ε is the recomputed one; when it is higher, the gateway spent on releases the history
    /// does not show (made before manifests carried a charge, or not delivered); when lower, the gateway under-counted.
    /// </summary>
    public bool WindowAgrees => Math.Abs(Signed.EpsilonInWindow - EpsilonInWindow) <= Tolerance * Math.Max(1, EpsilonInWindow);
}
