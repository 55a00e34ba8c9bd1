using System.Text;
using Federation.Contracts.Events;

namespace Federation.Audit.Bundles;

/// <summary>
/// Verifies an audit bundle completely offline (docs/FORMATS.md section 10) and says where each
/// problem is: (1) the checkpoint is signed by the log key, (2) the events are exactly the ones
/// the checkpoint commits to, (3) the key events (enrolled, rotated, revoked, policies allowed)
/// are well formed and fold into one key history, (4) every accepted contribution (and evaluation
/// report) is signed by a key that the key events before it made valid at its receipt, under an
/// allowed policy, and agrees with what it signed (its task included), (5) every model version lists exactly the accepted contributions of its round,
/// and (6) every payload file hashes to its name and every payload the events name is there.
/// Rounds and versions are checked per task: an event belongs to the task of the stream it is recorded in.
/// </summary>
/// <param name="directory">The bundle folder.</param>
/// <param name="pinnedLogKey">
/// The log's verifier key as the auditor obtained it, out of band; or a file holding it. When null,
/// the bundle's own log-key.txt is used, which proves only that the bundle is self-consistent
/// (trust on first use) and is reported as a warning.
/// </param>
public sealed class BundleVerifier(string directory, string? pinnedLogKey = null)
{
    /// <summary>The phase names passed to the progress callback.</summary>
    public const string EventsPhase = "events";

    /// <summary>The phase of hashing payload files.</summary>
    public const string PayloadsPhase = "payloads";

    private const int ProgressEvery = 500;

    /// <summary>Runs every check; never throws for a bad bundle, only reports findings.</summary>
    /// <param name="progress">Called now and then with (phase, done, total); total is 0 when unknown.</param>
    public AuditReport Verify(Action<string, long, long>? progress = null)
    {
        progress ??= (_, _, _) => { };
        var findings = new Findings();
        var checkpoint = CheckpointCheck.Run(directory, pinnedLogKey, findings);
        var log = new LogCheck(checkpoint, directory, findings);
        var keyEvents = new KeyEventCheck(findings);
        var keyTimes = new KeyEventTimeCheck(findings);
        var payloads = new PayloadCheck(directory, findings, progress);
        var rounds = new RoundCheck(findings, payloads);
        var signatures = new SignatureCheck(findings, keyEvents, rounds);

        var path = Path.Combine(directory, AuditBundle.EventsFile);
        if (File.Exists(path))
        {
            var total = checkpoint.Size ?? 0;
            progress(EventsPhase, 0, total);
            foreach (var line in File.ReadLines(path, Encoding.UTF8))
            {
                if (log.Read(line) is { } read)
                {
                    keyTimes.Check(read);
                    Dispatch(read, keyEvents, rounds, signatures);
                }

                if (log.Lines % ProgressEvery == 0)
                {
                    progress(EventsPhase, log.Lines, Math.Max(total, log.Lines));
                }
            }

            progress(EventsPhase, log.Lines, Math.Max(total, log.Lines));
            log.Finish();
            keyTimes.Report(log.ChangedLines);
        }
        else
        {
            findings.Add(2, AuditBundle.EventsFile, "is missing.");
        }

        GatewaysFileCheck.Run(directory, keyEvents.History.Registry, findings);
        payloads.Run();
        return Report(findings, checkpoint, log, keyEvents, rounds, signatures, payloads);
    }

    private static void Dispatch(BundleEvent read, KeyEventCheck keyEvents, RoundCheck rounds, SignatureCheck signatures)
    {
        switch (read.Event)
        {
            case RoundOpened opened:
                rounds.Opened(read, opened);
                break;
            case ContributionAccepted accepted:
                signatures.Accepted(read, accepted);
                break;
            case RoundClosed closed:
                rounds.Closed(read, closed);
                break;
            case ModelVersionPublished published:
                rounds.Published(read, published);
                break;
            case EvaluationRecorded evaluation:
                signatures.Evaluation(read, evaluation);
                break;
            case var keyEvent when KeyHistory.IsKeyEvent(keyEvent):
                keyEvents.Check(read);
                break;
        }
    }

    private static AuditReport Report(
        Findings findings, CheckpointResult checkpoint, LogCheck log, KeyEventCheck keyEvents, RoundCheck rounds, SignatureCheck signatures, PayloadCheck payloads)
    {
        var registry = keyEvents.History.Registry;
        var revoked = keyEvents.History.Keys.Values
            .Where(life => life.RevokedPosition is not null)
            .Select(life => new RevokedKey(life.GatewayId, life.KeyId, life.RevokedAt!.Value, life.RevokedPosition!.Value, life.RevokedReason ?? "", [.. signatures.SignedWith(life.KeyId)]))
            .ToList();
        return new AuditReport(
            findings.All(), findings.Warnings, checkpoint.LogKey?.VerifierKey, checkpoint.Pinned, checkpoint.Checkpoint?.Size, log.RootMatches,
            log.Lines, signatures.ContributionsChecked, signatures.SignaturesChecked, signatures.SignaturesVerified, rounds.ModelVersions, rounds.ModelVersionsTraced, payloads.Checked)
        {
            Tasks = rounds.Tasks,
            KeyEvents = keyEvents.Count,
            Gateways = registry.Gateways.Count,
            Keys = registry.Gateways.Values.Sum(gateway => gateway.Keys.Length),
            RevokedKeys = revoked,
        };
    }
}
