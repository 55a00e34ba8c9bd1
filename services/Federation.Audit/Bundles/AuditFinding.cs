namespace Federation.Audit.Bundles;

/// <summary>One thing an audit found wrong, and exactly where.</summary>
/// <param name="Check">Which check found it: 1 checkpoint, 2 events and root, 3 key events, 4 signatures, 5 model versions, 6 payloads.</param>
/// <param name="Where">The file and, inside it, the line, event position and field, e.g. <c>events.jsonl line 7 (position 7), field data.signature</c>.</param>
/// <param name="Problem">What is wrong there, with the values that disagree.</param>
public sealed record AuditFinding(int Check, string Where, string Problem)
{
    /// <summary>The finding on one line: where, then what.</summary>
    public override string ToString() => $"{Where}: {Problem}";
}

/// <summary>What <see cref="BundleVerifier"/> checked and found.</summary>
/// <param name="Findings">Every problem, in check order (checkpoint, events and root, key events, signatures, model versions, payloads); empty when the bundle verifies.</param>
/// <param name="Warnings">Things that are not failures but limit what was proven (trust on first use, events after the checkpoint).</param>
/// <param name="LogKey">The verifier key the checkpoint was checked against, or null when there was none.</param>
/// <param name="LogKeyPinned">Whether that key was pinned by the auditor rather than read from the bundle.</param>
/// <param name="CheckpointSize">The size the authentic checkpoint commits to, or null when it could not be verified.</param>
/// <param name="RootMatches">Whether the events' RFC 6962 root equals the checkpoint's.</param>
/// <param name="EventsChecked">Lines of events.jsonl read.</param>
/// <param name="ContributionsChecked">Contribution-accepted events checked.</param>
/// <param name="SignaturesChecked">Ed25519 signatures checked (contribution manifests and evaluation reports).</param>
/// <param name="SignaturesVerified">Of those, the ones that verified against the enrolled key.</param>
/// <param name="ModelVersions">Model-version-published events.</param>
/// <param name="ModelVersionsTraced">Versions from 1 whose every listed contribution matched a signed, accepted contribution of their round.</param>
/// <param name="PayloadsChecked">Payload files that hash to their names, or null when the bundle holds no payloads folder.</param>
public sealed record AuditReport(
    IReadOnlyList<AuditFinding> Findings,
    IReadOnlyList<string> Warnings,
    string? LogKey,
    bool LogKeyPinned,
    long? CheckpointSize,
    bool RootMatches,
    long EventsChecked,
    long ContributionsChecked,
    long SignaturesChecked,
    long SignaturesVerified,
    int ModelVersions,
    int ModelVersionsTraced,
    int? PayloadsChecked)
{
    /// <summary>True when nothing was found wrong.</summary>
    public bool Passed => Findings.Count == 0;

    /// <summary>Tasks whose model versions were read and checked, each as its own lineage.</summary>
    public int Tasks { get; init; }

    /// <summary>Key events read (enrolled, rotated, revoked, policies allowed).</summary>
    public long KeyEvents { get; init; }

    /// <summary>Gateways the key events enrol.</summary>
    public int Gateways { get; init; }

    /// <summary>Keys the key events enrol, over all gateways, past and present.</summary>
    public int Keys { get; init; }

    /// <summary>Every revoked key, with the signed events it authenticated before its revocation (which stay valid).</summary>
    public IReadOnlyList<RevokedKey> RevokedKeys { get; init; } = [];
}

/// <summary>A key the history revokes, and what it signed before.</summary>
/// <param name="GatewayId">Its gateway.</param>
/// <param name="KeyId">The key id.</param>
/// <param name="RevokedAt">The revocation time the event states.</param>
/// <param name="Position">The revocation event's position.</param>
/// <param name="Reason">The operator's reason.</param>
/// <param name="SignedBefore">Positions of the accepted contributions and recorded evaluations it signed, all before <paramref name="Position"/>.</param>
public sealed record RevokedKey(string GatewayId, string KeyId, DateTimeOffset RevokedAt, long Position, string Reason, IReadOnlyList<long> SignedBefore);
