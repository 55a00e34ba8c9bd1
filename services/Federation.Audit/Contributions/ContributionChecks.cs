using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Trust;

namespace Federation.Audit.Contributions;

/// <summary>
/// The checks a contribution must pass on its own, before any round state is consulted, in a fixed order: manifest,
/// signer and key, signature, policy, payload hash, payload format, sample count, values. They come in two halves.
/// <see cref="Authenticate"/> and <see cref="ExaminePayload"/> establish the <see cref="ContributionFacts"/>, which
/// no later key event can change; <see cref="Judge"/> applies the registry at the decision's time to them. The payload
/// is only parsed once the manifest's signature verified and the payload's hash matches it, so unauthenticated bytes
/// are never read; it is read as a stream (<see cref="PayloadScan"/>), never held whole.
/// </summary>
public static class ContributionChecks
{
    /// <summary>The longest manifest accepted; real ones are about 500 characters.</summary>
    public const int MaxManifestLength = 4096;

    /// <summary>The longest signature accepted; an Ed25519 signature is 88 base64 characters.</summary>
    public const int MaxSignatureLength = 128;

    /// <summary>
    /// Runs every check that needs no round state, at once, with the keys valid at <paramref name="receivedAt"/>:
    /// for callers that judge one contribution on the spot (tests, documentation examples). A payload sent in chunks
    /// (an empty payload; the signed manifest names it by SHA-256 and length) is read from <paramref name="store"/>;
    /// when it is not there, the contribution is rejected as if its wait were over.
    /// </summary>
    /// <param name="message">The contribution as received.</param>
    /// <param name="registry">The enrolled gateways and keys.</param>
    /// <param name="receivedAt">When it was received.</param>
    /// <param name="store">Where payloads sent in chunks are assembled; without one, only inline payloads are accepted.</param>
    public static CheckedContribution Check(
        ContributionSubmitted message, GatewayRegistry registry, DateTimeOffset receivedAt, IAssembledPayloads? store = null)
    {
        var facts = ExaminePayload(Authenticate(message, registry), store);
        var rejection = Judge(facts, registry, receivedAt);
        return new CheckedContribution(facts.Message, facts.PayloadSha256, facts.Manifest, rejection is null ? facts.Payload : null, rejection);
    }

    /// <summary>
    /// Reads the manifest and verifies its signature against the public key it names, looked up in
    /// <paramref name="registry"/> whatever that key's validity (judged later, at decision time). The payload is not
    /// examined yet (see <see cref="ExaminePayload"/>).
    /// </summary>
    public static ContributionFacts Authenticate(ContributionSubmitted message, GatewayRegistry registry)
    {
        // A message off the bus may carry nulls whatever the contract says; they are simply wrong input.
        message = message with { Manifest = message.Manifest ?? "", Signature = message.Signature ?? "", Payload = message.Payload ?? [] };
        var payloadSha256 = Sha256Hex.Of(message.Payload);
        if (message.Manifest.Length > MaxManifestLength || message.Signature.Length > MaxSignatureLength)
        {
            // Recorded truncated with the hash of what came, so no sender can write unbounded
            // unsigned text into the permanent history.
            var oversized = new Rejection(
                RejectionReason.MalformedManifest,
                $"The manifest has {message.Manifest.Length} characters and the signature {message.Signature.Length}; at most {MaxManifestLength} and {MaxSignatureLength} are accepted. " +
                $"Recorded truncated; SHA-256 of the manifest as received: {Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(message.Manifest))}.");
            var truncated = message with { Manifest = message.Manifest[..Math.Min(message.Manifest.Length, 256)], Signature = message.Signature[..Math.Min(message.Signature.Length, MaxSignatureLength)] };
            return new ContributionFacts(truncated, payloadSha256, null, oversized, null, null, null);
        }

        var manifest = ManifestDocument.Parse(message.Manifest, out var unreadable);
        return manifest is null
            ? new ContributionFacts(message, payloadSha256, null, unreadable, null, null, null)
            : new ContributionFacts(message, payloadSha256, manifest, null, VerifySignature(registry, manifest, message), null, null);
    }

    /// <summary>
    /// The SHA-256 of the payload an authenticated contribution sent in chunks, which must be assembled before
    /// <see cref="ExaminePayload"/> can read it; null when there is nothing to wait for (an inline payload, or a
    /// contribution that will be rejected before its payload matters).
    /// </summary>
    public static string? ChunkedPayloadSha256(ContributionFacts facts) =>
        facts is { Manifest: { } manifest, Signature: null } && InChunks(facts.Message, manifest) && Sha256Hex.IsWellFormed(manifest.PayloadSha256)
            ? manifest.PayloadSha256
            : null;

    /// <summary>
    /// Checks the payload of an authenticated contribution: the inline bytes, or the payload assembled in
    /// <paramref name="store"/> under the hash the manifest signs, which is there only once its hash was verified.
    /// Facts whose signature failed are returned unchanged: their payload is never read.
    /// </summary>
    public static ContributionFacts ExaminePayload(ContributionFacts facts, IAssembledPayloads? store)
    {
        if (facts is not { Manifest: { } manifest, Signature: null } || facts.PayloadExamined)
        {
            return facts;
        }

        var payloadSha256 = facts.PayloadSha256;
        var rejection = InChunks(facts.Message, manifest)
            ? CheckStoredPayload(manifest, store, ref payloadSha256, out var summary)
            : CheckInlinePayload(facts.Message.Payload, payloadSha256, manifest, out summary);
        return facts with { PayloadSha256 = payloadSha256, Payload = rejection is null ? summary : null, PayloadRejection = rejection };
    }

    /// <summary>
    /// Judges the facts with the registry at <paramref name="at"/>: the manifest was readable, its key may sign for its
    /// gateway at that time, the signature verified, the policy is allowed and the payload passed. Null when all hold.
    /// </summary>
    /// <exception cref="InvalidOperationException">The facts pass everything but their payload was never examined.</exception>
    public static Rejection? Judge(ContributionFacts facts, GatewayRegistry registry, DateTimeOffset at)
    {
        if (facts.Unreadable is { } unreadable)
        {
            return unreadable;
        }

        var manifest = facts.Manifest!;
        if (registry.FindValidKey(manifest.GatewayId, manifest.KeyId, at, out var keyRejection) is null)
        {
            return keyRejection;
        }

        return facts.Signature
            ?? CheckPolicy(manifest, registry.Find(manifest.GatewayId)!)
            ?? facts.PayloadRejection
            ?? (facts.Payload is null ? throw new InvalidOperationException("The contribution's payload was not examined before it was judged.") : null);
    }

    private static bool InChunks(ContributionSubmitted message, ContributionManifest manifest) =>
        message.Payload.Length == 0 && manifest.PayloadBytes > 0;

    private static Rejection? VerifySignature(GatewayRegistry registry, ContributionManifest manifest, ContributionSubmitted message)
    {
        var key = registry.Find(manifest.GatewayId)?.Keys.FirstOrDefault(candidate => candidate.KeyId == manifest.KeyId);
        if (key is null)
        {
            // Only seen in a decision when the key was enrolled between this check and the decision: the
            // registry's own reason (unknown gateway or key) comes first otherwise.
            return new Rejection(
                RejectionReason.UnknownKey, $"Key {manifest.KeyId} was not enrolled for gateway '{manifest.GatewayId}' when the contribution arrived; send it again.");
        }

        return SignedDocument.VerifySignature(key, manifest.GatewayId, message.Manifest, message.Signature);
    }

    private static Rejection? CheckPolicy(ContributionManifest manifest, RegisteredGateway gateway) =>
        gateway.AllowedPolicies.Contains(manifest.PolicySha256)
            ? null
            : new Rejection(
                RejectionReason.PolicyNotAllowed,
                $"The update was released under policy {manifest.PolicySha256}, which is not among the policies allowed for gateway '{gateway.GatewayId}' ({string.Join(", ", gateway.AllowedPolicies)}). " +
                "If the factory changed its policy on purpose, an operator must allow the new hash (fedctl gateways allow-policy).");

    private static Rejection? CheckInlinePayload(byte[] payload, string payloadSha256, ContributionManifest manifest, out PayloadSummary? summary)
    {
        summary = null;
        if (payloadSha256 != manifest.PayloadSha256 || payload.LongLength != manifest.PayloadBytes)
        {
            return new Rejection(
                RejectionReason.PayloadHashMismatch,
                $"The payload ({payload.LongLength} bytes, SHA-256 {payloadSha256}) is not the one the manifest signs ({manifest.PayloadBytes} bytes, SHA-256 {manifest.PayloadSha256}).");
        }

        using var stream = new MemoryStream(payload, writable: false);
        return PayloadScan.Check(stream, payload.LongLength, manifest.SampleCount, out summary);
    }

    private static Rejection? CheckStoredPayload(ContributionManifest manifest, IAssembledPayloads? store, ref string payloadSha256, out PayloadSummary? summary)
    {
        summary = null;
        var claimed = manifest.PayloadSha256;
        if (store is null || !Sha256Hex.IsWellFormed(claimed))
        {
            return new Rejection(
                RejectionReason.MalformedPayload,
                $"The contribution carries no payload, and its manifest names no payload this aggregator can receive apart from it (SHA-256 '{claimed}').");
        }

        if (!store.Contains(claimed))
        {
            return store.AssemblyFailure(claimed) is { } failure
                ? new Rejection(RejectionReason.PayloadHashMismatch, failure)
                : new Rejection(
                    RejectionReason.PayloadHashMismatch,
                    $"The payload the manifest signs ({manifest.PayloadBytes} bytes, SHA-256 {claimed}) was to be uploaded apart from the contribution, but no complete payload with that hash arrived in time.");
        }

        // In the store means assembled and hashed to exactly this name.
        payloadSha256 = claimed;
        using var stream = store.OpenRead(claimed);
        if (stream.Length != manifest.PayloadBytes)
        {
            return new Rejection(
                RejectionReason.PayloadHashMismatch,
                $"The payload with SHA-256 {claimed} has {stream.Length} bytes; the manifest signs {manifest.PayloadBytes}.");
        }

        return PayloadScan.Check(stream, stream.Length, manifest.SampleCount, out summary);
    }
}

/// <summary>The result of the stateless checks run at once (<see cref="ContributionChecks.Check"/>).</summary>
/// <param name="Message">The contribution as received.</param>
/// <param name="PayloadSha256">SHA-256 of the received payload.</param>
/// <param name="Manifest">The manifest, when it could be read.</param>
/// <param name="Payload">The update's layout and norm, when every check passed.</param>
/// <param name="Rejection">The first failed check, or null.</param>
public sealed record CheckedContribution(
    ContributionSubmitted Message,
    string PayloadSha256,
    ContributionManifest? Manifest,
    PayloadSummary? Payload,
    Rejection? Rejection);
