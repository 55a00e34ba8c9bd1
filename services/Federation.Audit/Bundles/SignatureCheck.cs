using System.Text;
using System.Text.Json;
using Federation.Audit.Contributions;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Trust;

namespace Federation.Audit.Bundles;

/// <summary>
/// (4) Every accepted contribution and recorded evaluation is signed by a key that the key events
/// before it made valid at its receipt, under an allowed policy, with a growing sequence, and the
/// event says what the signed document says.
/// </summary>
internal sealed class SignatureCheck(Findings findings, KeyEventCheck keyEvents, RoundCheck rounds)
{
    private readonly Dictionary<string, long> highestSequences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<long>> signedBy = new(StringComparer.Ordinal);

    private KeyHistory Keys => keyEvents.History;

    public long ContributionsChecked { get; private set; }

    public long SignaturesChecked { get; private set; }

    public long SignaturesVerified { get; private set; }

    /// <summary>Positions of the events whose signature verified with <paramref name="keyId"/>.</summary>
    public IReadOnlyList<long> SignedWith(string keyId) => signedBy.GetValueOrDefault(keyId) ?? [];

    public void Accepted(BundleEvent at, ContributionAccepted accepted)
    {
        ContributionsChecked++;
        var manifest = ManifestDocument.Parse(accepted.Manifest, out var rejection);
        var authentic = false;
        if (manifest is null)
        {
            findings.Add(4, at.Field("manifest"), rejection!.Detail);
        }
        else
        {
            authentic = Authenticate(at, "data.manifest", manifest.GatewayId, manifest.KeyId, accepted.Manifest, accepted.Signature, accepted.ReceivedAt, "received");
            var says = authentic ? "the signed manifest says" : "the manifest says";
            Same(at, "round", accepted.Round, manifest.Round, says);
            Same(at, "gatewayId", accepted.GatewayId, manifest.GatewayId, says);
            Same(at, "keyId", accepted.KeyId, manifest.KeyId, says);
            Same(at, "payloadSha256", accepted.PayloadSha256, manifest.PayloadSha256, says);
            Same(at, "payloadBytes", accepted.PayloadBytes, manifest.PayloadBytes, says);
            Same(at, "sampleCount", accepted.SampleCount, manifest.SampleCount, says);
            Same(at, "sequence", accepted.Sequence, manifest.Sequence, says);
            Same(at, "policySha256", accepted.PolicySha256, manifest.PolicySha256, says);
            CheckTask(at, manifest, says);
            CheckPolicyAndSequence(at, manifest);
        }

        // What later checks rely on: the signed values when the signature holds, the event's otherwise.
        var contribution = authentic
            ? new AcceptedContribution(at.Position, manifest!.GatewayId, manifest.KeyId, manifest.PayloadSha256, manifest.PayloadBytes, manifest.SampleCount)
            : new AcceptedContribution(at.Position, accepted.GatewayId, accepted.KeyId, accepted.PayloadSha256, accepted.PayloadBytes, accepted.SampleCount);
        rounds.Accepted(at, authentic ? manifest!.Round : accepted.Round, contribution, manifest);
    }

    // A contribution counts in the task of the stream it is recorded in; its signed manifest must name that task (a v1 names task default).
    private void CheckTask(BundleEvent at, ContributionManifest manifest, string says)
    {
        var signed = manifest.Task ?? TaskIds.Default;
        if (signed != at.Task)
        {
            findings.Add(4, at.Field("manifest"),
                $"{says} task '{signed}'{(manifest.Task is null ? $" (a {DocumentTypes.ContributionManifest} is one of task default)" : "")}, but the contribution is recorded in stream '{at.Recorded.StreamId}' of task '{at.Task}'.");
        }
    }

    // The policy must be allowed for the gateway by the key events so far; sequences only grow (no replay).
    private void CheckPolicyAndSequence(BundleEvent at, ContributionManifest manifest)
    {
        if (Keys.Registry.Find(manifest.GatewayId) is { } gateway && !gateway.AllowedPolicies.Contains(manifest.PolicySha256))
        {
            findings.Add(4, at.Field("policySha256"),
                $"is {manifest.PolicySha256}, which the key events before this position do not allow for gateway '{manifest.GatewayId}' (allowed: {string.Join(", ", gateway.AllowedPolicies)}).");
        }

        if (highestSequences.TryGetValue(manifest.GatewayId, out var highest) && manifest.Sequence <= highest)
        {
            findings.Add(4, at.Field("sequence"), $"is {manifest.Sequence}, not above {highest}, the highest sequence of gateway '{manifest.GatewayId}' accepted before: a replay.");
        }

        highestSequences[manifest.GatewayId] = Math.Max(highest, manifest.Sequence);
    }

    public void Evaluation(BundleEvent at, EvaluationRecorded evaluation)
    {
        var report = ReportDocument.Parse(evaluation.Report, out var rejection);
        if (report is null || rejection is not null)
        {
            findings.Add(4, at.Field("report"), rejection!.Detail);
            return;
        }

        var says = Authenticate(at, "data.report", report.GatewayId, report.KeyId, evaluation.Report, evaluation.Signature, evaluation.RecordedAt, "recorded")
            ? "the signed report says"
            : "the report says";
        Same(at, "gatewayId", evaluation.GatewayId, report.GatewayId, says);
        Same(at, "keyId", evaluation.KeyId, report.KeyId, says);
        Same(at, "modelVersion", evaluation.ModelVersion, report.ModelVersion, says);
        // A recorded report counts in the task of its stream; the signed report must name that task (a v1 names task default).
        if ((report.Task ?? TaskIds.Default) is var signedTask && signedTask != at.Task)
        {
            findings.Add(4, at.Field("report"), $"{says} task '{signedTask}', but the report is recorded in stream '{at.Recorded.StreamId}' of task '{at.Task}'.");
        }

        if (!evaluation.Metrics.SequenceEqual(report.Metrics))
        {
            findings.Add(4, at.Field("metrics"), $"differ from the metrics in data.report ({says}: {string.Join(", ", report.Metrics.Select(metric => $"{metric.Name}={Shown.Of(metric.Value)}"))}).");
        }

        if (rounds.ModelOf(at.Task, report.ModelVersion) is { } model && model != report.ModelSha256)
        {
            findings.Add(4, at.Field("report"), $"evaluates model {report.ModelSha256}, but {Shown.Version(at.Task, report.ModelVersion)} is {model}.");
        }
    }

    // The key must be valid at the time of receipt according to the key events before this position:
    // enrolled, not rotated away past its overlap, not revoked. A revocation recorded earlier in the log
    // ends the key's signatures for every later event, whatever receipt time that event claims.
    private bool Authenticate(BundleEvent at, string documentField, string gatewayId, string keyId, string document, string signature, DateTimeOffset time, string received)
    {
        var position = at.Position;
        if (keyEvents.InvalidKeyEvent(gatewayId, keyId) is { } badKeyEvent)
        {
            findings.Add(4, $"{at.Where}, field {documentField}", $"is signed by key {keyId} of gateway '{gatewayId}', whose key event at position {badKeyEvent} is invalid, so the signature cannot be checked.");
            return false;
        }

        var life = Keys.Keys.GetValueOrDefault(keyId);
        if (life?.RevokedPosition is { } revokedPosition)
        {
            findings.Add(4, at.Field("keyId"),
                $"revoked-key: key {keyId} of gateway '{gatewayId}' was revoked at position {revokedPosition}, before this event at position {position}; " +
                $"nothing signed with it may be accepted after its revocation (the event claims it was {received} at {time:O}, the revocation says {life.RevokedAt:O}).");
            return false;
        }

        var key = Keys.Registry.FindValidKey(gatewayId, keyId, time, out var rejection);
        if (key is null)
        {
            var reason = JsonNamingPolicy.KebabCaseLower.ConvertName(rejection!.Reason.ToString());
            var history = life is null
                ? $"no key event before position {position} enrols key {keyId} for gateway '{gatewayId}'"
                : $"key events before position {position}: {Describe(life)}";
            findings.Add(4, at.Field("keyId"), $"{reason}: the {documentField[5..]} {received} at {time:O} is signed by a key that was not valid then. {rejection.Detail} ({history}).");
            return false;
        }

        var signatureBytes = new byte[Ed25519.SignatureLength + 3];
        if (!Convert.TryFromBase64String(signature, signatureBytes, out var length) || length != Ed25519.SignatureLength)
        {
            findings.Add(4, at.Field("signature"), "is not base64 of a 64-byte Ed25519 signature.");
            return false;
        }

        SignaturesChecked++;
        if (!Ed25519.Verify(key.PublicKey, Encoding.UTF8.GetBytes(document), signatureBytes.AsSpan(0, length)))
        {
            findings.Add(4, at.Field("signature"), $"does not verify: it is not an Ed25519 signature of {documentField} by key {keyId} of gateway '{gatewayId}' (enrolled at position {life?.EnrolledPosition}).");
            return false;
        }

        SignaturesVerified++;
        if (life is not null)
        {
            if (!signedBy.TryGetValue(keyId, out var positions))
            {
                signedBy[keyId] = positions = [];
            }

            positions.Add(position);
        }

        return true;
    }

    // The key's life in log positions, as the verifier reports it.
    private static string Describe(KeyLife life) =>
        $"enrolled at position {life.EnrolledPosition}" +
        (life.RotatedPosition is { } rotated ? $", rotated away at position {rotated}" : "") +
        (life.RevokedPosition is { } revoked ? $", revoked at position {revoked} ({life.RevokedAt:O})" : "");

    private void Same<T>(BundleEvent at, string field, T inEvent, T signed, string says)
    {
        if (!EqualityComparer<T>.Default.Equals(inEvent, signed))
        {
            findings.Add(4, at.Field(field), $"is {Shown.Of(inEvent)}, but {says} {Shown.Of(signed)}.");
        }
    }
}
