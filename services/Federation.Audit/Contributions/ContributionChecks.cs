using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Trust;

namespace Federation.Audit.Contributions;

/// <summary>
/// The checks a contribution must pass on its own, before any round state is consulted, in a
/// fixed order: manifest, signer and key, signature, policy, payload hash, payload format, sample count, values.
/// The payload is only parsed once its signed hash matches, so unauthenticated bytes are never read; it is read as
/// a stream (<see cref="PayloadScan"/>), never held whole.
/// </summary>
public static class ContributionChecks
{
    /// <summary>The longest manifest accepted; real ones are about 500 characters.</summary>
    public const int MaxManifestLength = 4096;

    /// <summary>The longest signature accepted; an Ed25519 signature is 88 base64 characters.</summary>
    public const int MaxSignatureLength = 128;

    /// <summary>
    /// Runs every check on a received contribution that needs no round state, with the keys valid at <paramref name="receivedAt"/>.
    /// A contribution whose payload travelled in chunks (an empty payload; the signed manifest names it by SHA-256 and
    /// length) is checked by streaming over the assembled payload in <paramref name="store"/>, which holds it only
    /// after its hash was verified.
    /// </summary>
    /// <param name="message">The contribution as received.</param>
    /// <param name="registry">The enrolled gateways and keys.</param>
    /// <param name="receivedAt">When it was received.</param>
    /// <param name="store">Where payloads sent in chunks are assembled; without one, only inline payloads are accepted.</param>
    /// <param name="waitOver">
    /// True when a chunked payload that has not arrived is no longer waited for: the contribution is then rejected
    /// instead of <see cref="PayloadNotYetAssembledException"/> being thrown.
    /// </param>
    /// <exception cref="PayloadNotYetAssembledException">The payload is sent in chunks and is still being assembled.</exception>
    public static CheckedContribution Check(
        ContributionSubmitted message, GatewayRegistry registry, DateTimeOffset receivedAt, IAssembledPayloads? store = null, bool waitOver = false)
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
            return new CheckedContribution(truncated, payloadSha256, null, null, oversized);
        }

        var manifest = SignedDocument.Parse<ContributionManifest>(
            message.Manifest, DocumentTypes.ContributionManifest, document => document.Type, out var rejection);
        if (manifest is null)
        {
            return new CheckedContribution(message, payloadSha256, null, null, rejection);
        }

        PayloadSummary? summary = null;
        var gateway = SignedDocument.Authenticate(registry, manifest.GatewayId, manifest.KeyId, message.Manifest, message.Signature, receivedAt, out rejection);
        rejection ??= CheckPolicy(manifest, gateway!);
        if (rejection is null)
        {
            bool inChunks = message.Payload.Length == 0 && manifest.PayloadBytes > 0;
            rejection = inChunks
                ? CheckStoredPayload(manifest, store, waitOver, ref payloadSha256, out summary)
                : CheckInlinePayload(message.Payload, payloadSha256, manifest, out summary);
        }

        return new CheckedContribution(message, payloadSha256, manifest, rejection is null ? summary : null, rejection);
    }

    /// <summary>
    /// The checks that depend on key events, not on the bytes: the manifest's key may sign for its
    /// gateway at <paramref name="at"/> and its policy is allowed. The coordinator runs them again
    /// while it appends an acceptance, since keys may change between the first check and then.
    /// </summary>
    public static Rejection? CheckKeyAndPolicy(GatewayRegistry registry, ContributionManifest manifest, DateTimeOffset at) =>
        registry.FindValidKey(manifest.GatewayId, manifest.KeyId, at, out var rejection) is null
            ? rejection
            : CheckPolicy(manifest, registry.Find(manifest.GatewayId)!);

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

    private static Rejection? CheckStoredPayload(
        ContributionManifest manifest, IAssembledPayloads? store, bool waitOver, ref string payloadSha256, out PayloadSummary? summary)
    {
        summary = null;
        var claimed = manifest.PayloadSha256;
        if (store is null || !Sha256Hex.IsWellFormed(claimed))
        {
            return new Rejection(
                RejectionReason.MalformedPayload,
                $"The contribution carries no payload, and its manifest names no payload this aggregator can receive in chunks (SHA-256 '{claimed}').");
        }

        if (!store.Contains(claimed))
        {
            if (store.AssemblyFailure(claimed) is { } failure)
            {
                return new Rejection(RejectionReason.PayloadHashMismatch, failure);
            }

            return waitOver
                ? new Rejection(
                    RejectionReason.PayloadHashMismatch,
                    $"The payload the manifest signs ({manifest.PayloadBytes} bytes, SHA-256 {claimed}) was to arrive in chunks, but no complete payload with that hash arrived in time.")
                : throw new PayloadNotYetAssembledException(claimed);
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

/// <summary>
/// A contribution's payload is travelling in chunks and is not assembled yet: a transient condition, so the
/// contribution is checked again a little later rather than rejected.
/// </summary>
/// <param name="payloadSha256">The payload waited for.</param>
public sealed class PayloadNotYetAssembledException(string payloadSha256)
    : Exception($"Payload {payloadSha256} is still being assembled from its chunks.")
{
    /// <summary>The payload waited for.</summary>
    public string PayloadSha256 { get; } = payloadSha256;
}

/// <summary>The result of the stateless checks.</summary>
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
